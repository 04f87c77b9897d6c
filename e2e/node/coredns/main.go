// CoreDNS for the real node (e2e/node/): coremain with only the plugins a cluster DNS
// needs, the way CoreDNS documents a custom build without editing plugin.cfg. Built by
// scripts/e2e-tools.sh (tool `coredns`) against github.com/coredns/coredns.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
)

func init() {
	// The order plugins run in: the same relative order as CoreDNS's plugin.cfg. No
	// forward plugin: names outside the cluster domain are answered SERVFAIL/NXDOMAIN
	// here and never sent off the machine.
	dnsserver.Directives = []string{"bind", "ready", "health", "errors", "log", "cache", "kubernetes", "loop"}
}

func main() { coremain.Run() }
