#!/usr/bin/env bash
# MCP conformance: the server scenarios of @modelcontextprotocol/conformance
# that apply to this server, against `--sandbox --http` on loopback, stateful
# and --stateless; the latest release's scenarios plus the two of the newest
# pre-release that the release lacks. Runs alone: bash .ci/conformance.sh
#
# Scenarios that need the reference server's own test tools, prompts or
# resources do not apply; docs/conformance.md lists them with the
# reason. Every scenario of the release is in one list or the other.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/tools.sh

APPLIES=(server-initialize ping logging-set-level tools-list resources-list prompts-list
	server-sse-multiple-streams dns-rebinding-protection)
APPLIES_PRE=(server-session-lifecycle http-header-validation)
NOT_APPLICABLE=(completion-complete tools-call-simple-text tools-call-image tools-call-audio
	tools-call-embedded-resource tools-call-mixed-content tools-call-with-logging tools-call-error
	tools-call-with-progress tools-call-sampling tools-call-elicitation json-schema-2020-12
	elicitation-sep1034-defaults elicitation-sep1330-enums server-sse-polling resources-read-text
	resources-read-binary resources-templates-read resources-subscribe resources-unsubscribe
	prompts-get-simple prompts-get-with-args prompts-get-embedded-resource prompts-get-with-image)

use_node22
release=$(npm_tool @modelcontextprotocol/conformance "$CONFORMANCE_VERSION")/conformance
pre=$(npm_tool @modelcontextprotocol/conformance "$CONFORMANCE_PRE")/conformance

# Every server scenario of the release is classified.
listed=$("$release" list --server | sed -n 's/^  - \([a-z0-9-]*\).*/\1/p' | sort)
classified=$(printf '%s\n' "${APPLIES[@]}" "${NOT_APPLICABLE[@]}" | sort)
if [ "$listed" != "$classified" ]; then
	echo "conformance $CONFORMANCE_VERSION: scenarios not classified in .ci/conformance.sh:"
	diff <(echo "$listed") <(echo "$classified") || true
	exit 1
fi

dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/qualys-cs-mcp" .

# serve MODE FLAGS...: starts the server, sets url
serve() {
	local mode=$1
	shift
	"$dir/qualys-cs-mcp" --sandbox --http 127.0.0.1:0 "$@" 2>"$dir/$mode.log" &
	pids+=($!)
	url=""
	for _ in $(seq 200); do
		url=$(grep -o 'addr=http://[^ ]*/mcp' "$dir/$mode.log" | head -n 1 | cut -d= -f2- || true)
		[ -n "$url" ] && return 0
		sleep 0.1
	done
	echo "conformance: the $mode server did not start"
	cat "$dir/$mode.log"
	exit 1
}

failed=()
passed=0
# run MODE CLI SCENARIO
run() {
	local out="$dir/$1-$3.out" rc=0
	timeout 180 "$2" server --url "$url" --scenario "$3" >"$out" 2>&1 || rc=$?
	local summary
	summary=$(grep -E 'Passed: [0-9]+/[0-9]+' "$out" | tail -n 1 | sed 's/^ *//')
	if [ "$rc" -eq 0 ] && ! grep -qE ', [1-9][0-9]* failed' <<<"$summary"; then
		passed=$((passed + 1))
		printf '  pass  %-10s %-28s %s\n' "$1" "$3" "$summary"
	else
		failed+=("$1/$3")
		printf '  FAIL  %-10s %-28s %s\n' "$1" "$3" "${summary:-exit $rc}"
		if grep -q 'Failed Checks' "$out"; then
			sed -n '/=== Failed Checks ===/,/Error:/p' "$out" | head -20
		else
			tail -n 20 "$out"
		fi
	fi
}

echo "MCP conformance: @modelcontextprotocol/conformance $CONFORMANCE_VERSION and $CONFORMANCE_PRE, node $(node --version)"
for mode in stateful stateless; do
	flags=()
	[ "$mode" = stateless ] && flags=(--stateless)
	serve "$mode" "${flags[@]}"
	for s in "${APPLIES[@]}"; do run "$mode" "$release" "$s"; done
	for s in "${APPLIES_PRE[@]}"; do run "$mode" "$pre" "$s"; done
done
total=$(((${#APPLIES[@]} + ${#APPLIES_PRE[@]}) * 2))
if [ ${#failed[@]} -gt 0 ]; then
	echo "MCP conformance FAILED: ${failed[*]} ($passed of $total passed)"
	exit 1
fi
echo "MCP conformance: all $total runs passed (${#APPLIES[@]} + ${#APPLIES_PRE[@]} scenarios, stateful and stateless)"
