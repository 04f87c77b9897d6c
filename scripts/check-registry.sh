#!/usr/bin/env bash
# Stops a deployment whose stack would push images to a placeholder or local registry
# (the stack files ship `registry.example.com/platform` until a team sets its own).
#   bash scripts/check-registry.sh STACK      (needs the Pulumi CLI, logged in)
set -euo pipefail
stack="${1:?usage: check-registry.sh STACK}"
registry="$(pulumi config get imageRegistry --stack "$stack" 2>/dev/null || true)"
host="${registry%%/*}"
case "$host" in
  "" | *example.com | *example.org | *example.net | *.example | *.invalid | *.test | localhost | localhost:* | 127.* | "[::1]"*)
    echo "::error::stack $stack pushes images to '${registry:-(unset)}', a placeholder or local registry." >&2
    echo "Set the team's registry first: pulumi config set imageRegistry <registry>/<path> --stack $stack" >&2
    exit 1 ;;
esac
echo "stack $stack pushes to $registry"
