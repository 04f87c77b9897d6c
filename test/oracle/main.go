// The consumers' own parsers, as a test oracle for components/grammars.ts: Kubernetes
// quantities (k8s.io/apimachinery resource.ParseQuantity), DNS-1123 names (apimachinery
// validation), image references and names (github.com/distribution/reference, which the
// docker CLI uses) and CIDRs (Go net.ParseCIDR). Reads JSON lines ["kind","value"] and
// prints one JSON verdict per line. Built by test/config-oracle.spec.ts from the Go module
// cache only (GOPROXY=off); the spec is skipped when Go or the modules are missing.
package main

import (
	"bufio"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/json"
	"fmt"
	"net"
	"os"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var q [2]string
		if err := json.Unmarshal(in.Bytes(), &q); err != nil {
			panic(err)
		}
		kind, v := q[0], q[1]
		ok := false
		detail := ""
		switch kind {
		case "quantity":
			r, err := resource.ParseQuantity(v)
			ok = err == nil
			if ok {
				detail = fmt.Sprintf("%s sign=%d milli=%d", r.String(), r.Sign(), r.MilliValue())
			} else {
				detail = err.Error()
			}
		case "reference":
			r, err := reference.ParseNormalizedNamed(v)
			ok = err == nil
			if ok {
				_, isDigested := r.(reference.Digested)
				detail = fmt.Sprintf("%s digested=%v", r.String(), isDigested)
			} else {
				detail = err.Error()
			}
		case "name":
			r, err := reference.ParseNormalizedNamed(v)
			ok = err == nil
			if ok {
				_, tagged := r.(reference.Tagged)
				_, dig := r.(reference.Digested)
				ok = !tagged && !dig
				detail = fmt.Sprintf("%s domain=%s", r.String(), reference.Domain(r))
			} else {
				detail = err.Error()
			}
		case "label":
			errs := validation.IsDNS1123Label(v)
			ok = len(errs) == 0
			detail = fmt.Sprint(errs)
		case "subdomain":
			errs := validation.IsDNS1123Subdomain(v)
			ok = len(errs) == 0
			detail = fmt.Sprint(errs)
		case "cidr":
			_, _, err := net.ParseCIDR(v)
			ok = err == nil
			if err != nil {
				detail = err.Error()
			}
		}
		out, _ := json.Marshal(map[string]any{"kind": kind, "value": v, "ok": ok, "detail": detail})
		fmt.Println(string(out))
	}
}
