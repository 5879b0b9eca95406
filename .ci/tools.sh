# Sourced by .ci/run and the scripts beside it: the pinned tools CI uses,
# each installed on first use into .ci/ (git-ignored), from the npm registry
# or the Go module proxy.
#
#   use_node22              put Node >= 22.19 on PATH (the node@22 package when the machine's is older)
#   npm_tool PKG VERSION    install PKG@VERSION into .ci/npm/; prints its node_modules/.bin
#   go_tool MODULE VERSION  go install MODULE@VERSION into .ci/bin; prints the binary's path

NODE22_VERSION=22.23.3      # Inspector 2.x and conformance >= 0.1.13 need Node 22 (fs.globSync; >= 22.19)
CONFORMANCE_VERSION=0.1.16  # @modelcontextprotocol/conformance: the latest tag
CONFORMANCE_PRE=0.2.0-alpha.12 # its newest pre-release: server-session-lifecycle, http-header-validation
INSPECTOR_VERSION=2.12.0    # @modelcontextprotocol/inspector, as README.md names it
TS_SDK_VERSION=1.32.2       # @modelcontextprotocol/sdk: its client speaks MCP tasks (TestTasksTypeScriptSDK)
KO_VERSION=v0.19.1          # github.com/google/ko: builds the container image, no Docker daemon
CRANE_VERSION=v0.22.1       # github.com/google/go-containerregistry/cmd/crane: the image's base, on a loopback registry

ci_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

npm_install() { # PREFIX SPEC
	npm install --prefix "$1" --no-save --no-audit --no-fund --no-package-lock --loglevel=error "$2" >&2
}

node_ok() {
	command -v node >/dev/null 2>&1 || return 1
	local v major minor
	v=$(node --version)
	v=${v#v}
	major=${v%%.*}
	minor=${v#*.}
	minor=${minor%%.*}
	[ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 19 ]; }
}

use_node22() {
	if node_ok; then return 0; fi
	local prefix="$ci_dir/node22"
	if [ ! -x "$prefix/node_modules/node/bin/node" ]; then
		echo "node $(node --version 2>/dev/null || echo none) is older than 22.19: installing node@$NODE22_VERSION into $prefix" >&2
		npm_install "$prefix" "node@$NODE22_VERSION"
	fi
	export PATH="$prefix/node_modules/node/bin:$PATH"
	node_ok || { echo "could not put Node 22 on PATH" >&2; return 1; }
}

npm_tool() {
	local prefix="$ci_dir/npm/${1//\//+}@$2"
	if [ ! -d "$prefix/node_modules/.bin" ] || [ "$(cat "$prefix/.version" 2>/dev/null)" != "$1@$2" ]; then
		npm_install "$prefix" "$1@$2"
		echo "$1@$2" >"$prefix/.version"
	fi
	echo "$prefix/node_modules/.bin"
}

go_tool() {
	local bin="$ci_dir/bin/$(basename "$1")-$2"
	if [ ! -x "$bin" ]; then
		mkdir -p "$ci_dir/bin/tmp"
		GOFLAGS= GOBIN="$ci_dir/bin/tmp" go install "$1@$2" >&2
		mv "$ci_dir/bin/tmp/$(basename "$1")" "$bin"
	fi
	echo "$bin"
}
