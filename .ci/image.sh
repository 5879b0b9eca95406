#!/usr/bin/env bash
# The container image server.json names, built with ko (no Docker daemon)
# into a tarball, then checked by TestImage: the binary inside runs
# --version and answers tools/list with --sandbox. Runs alone: bash .ci/image.sh
#
# The base is the machine's CA bundle (Debian's ca-certificates) on an empty
# image, user 65532, pushed to a loopback registry (crane) for ko to build on:
# nothing is pulled from outside.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/tools.sh

image=$(sed -n 's/.*"identifier": "\([^"]*\)".*/\1/p' server.json | head -n 1)
repo=${image%:*}
tag=${image##*:}
if [ -z "$image" ] || [ "$repo" = "$image" ]; then echo "image: no oci identifier with a tag in server.json"; exit 1; fi
ca=/etc/ssl/certs/ca-certificates.crt
if [ ! -s "$ca" ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates >/dev/null
fi
ko=$(go_tool github.com/google/ko "$KO_VERSION")
crane=$(go_tool github.com/google/go-containerregistry/cmd/crane "$CRANE_VERSION")

work=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
"$crane" registry serve --address 127.0.0.1:0 2>"$work/registry.log" &
pid=$!
port=""
for _ in $(seq 100); do
	port=$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$work/registry.log")
	[ -n "$port" ] && break
	sleep 0.1
done
if [ -z "$port" ]; then echo "image: the loopback registry did not start"; cat "$work/registry.log"; exit 1; fi
base=127.0.0.1:$port/base:ca-certificates

mkdir -p "$work/root/etc/ssl/certs"
cp "$ca" "$work/root/etc/ssl/certs/ca-certificates.crt"
tar -C "$work/root" --owner=0 --group=0 --numeric-owner --mtime=1970-01-01 -cf "$work/base.tar" etc
"$crane" append --oci-empty-base -f "$work/base.tar" -t "$base" >/dev/null 2>>"$work/crane.log" || { cat "$work/crane.log"; exit 1; }
"$crane" mutate --user 65532:65532 --set-platform linux/amd64 -t "$base" "$base" >/dev/null 2>>"$work/crane.log" || { cat "$work/crane.log"; exit 1; }

mkdir -p dist
tarball=dist/qualys-cs-mcp-$tag-image.tar
KO_DOCKER_REPO=$repo KO_DEFAULTBASEIMAGE=$base "$ko" build --bare --push=false --tarball "$tarball" \
	--tags "$tag" --platform linux/amd64 --sbom none . >"$work/ko.log" 2>&1 || { cat "$work/ko.log"; exit 1; }
echo "image: built $image into $tarball ($(du -h "$tarball" | cut -f1))"
QUALYS_CS_MCP_IMAGE="$tarball" go test -count=1 -run '^TestImage$' -v . | grep -E '^(=== RUN|--- |ok|FAIL|\s+image_test)'
