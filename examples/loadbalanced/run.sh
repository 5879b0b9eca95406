#!/usr/bin/env bash
# Three replicas of qualys-cs-mcp that are one service: they share their state
# (single-use confirmations, rate-limit budgets, the Qualys login) on Redis,
# behind a round-robin balancer, all on loopback. The replicas talk to an
# emulated gateway as they would to Qualys (throttled, one login).
#
#   examples/loadbalanced/run.sh          start it all; the MCP endpoint is printed; Ctrl-C stops it
#   examples/loadbalanced/run.sh --check  start it all, show that it behaves as one service, stop
#
# Ports (loopback): REDIS_PORT (6390), GATEWAY_PORT (8099), LB_PORT (8100),
# REPLICA_PORTS ("8101 8102 8103"). Needs go, redis-server and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
REDIS_PORT=${REDIS_PORT:-6390}
GATEWAY_PORT=${GATEWAY_PORT:-8099}
LB_PORT=${LB_PORT:-8100}
REPLICA_PORTS=${REPLICA_PORTS:-8101 8102 8103}
command -v redis-server >/dev/null || { echo "needs redis-server (Debian: apt-get install redis-server)" >&2; exit 1; }

dir=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

go build -o "$dir/qualys-cs-mcp" .
go build -o "$dir/proxy" ./examples/loadbalanced/proxy
go build -o "$dir/gateway" ./examples/loadbalanced/gateway

redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
pids+=($!)
"$dir/gateway" -listen "127.0.0.1:$GATEWAY_PORT" 2>"$dir/gateway.log" &
pids+=($!)

# What every replica shares: the gateway and account, the store, the state key.
export QUALYS_GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT" QUALYS_USERNAME=sandbox QUALYS_PASSWORD=sandbox QUALYS_POD=
export QUALYS_MCP_STATE_URL="redis://127.0.0.1:$REDIS_PORT/0"
export QUALYS_MCP_STATE_KEY="${QUALYS_MCP_STATE_KEY:-$(head -c 32 /dev/urandom | base64)}"
backends=""
for port in $REPLICA_PORTS; do
	"$dir/qualys-cs-mcp" --http "127.0.0.1:$port" --stateless --toolsets all 2>"$dir/replica-$port.log" &
	pids+=($!)
	backends="${backends:+$backends,}http://127.0.0.1:$port"
done
"$dir/proxy" -listen "127.0.0.1:$LB_PORT" -backends "$backends" 2>"$dir/proxy.log" &
pids+=($!)

wait_for() { # URL
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no answer from $1" >&2
	cat "$dir"/*.log >&2
	exit 1
}
for port in $REPLICA_PORTS; do wait_for "http://127.0.0.1:$port/healthz"; done
wait_for "http://127.0.0.1:$LB_PORT/healthz"
grep -h "state store" "$dir"/replica-*.log
endpoint="http://127.0.0.1:$LB_PORT/mcp"
echo "MCP endpoint (round-robin over $backends): $endpoint"

if [ "${1:-}" != "--check" ]; then
	echo "Confirmation pages take a passkey enrolled in the shared store: with the same QUALYS_MCP_STATE_KEY"
	echo "(set it before running this script), run: $dir/qualys-cs-mcp passkey add --name NAME --state $QUALYS_MCP_STATE_URL"
	echo "Ctrl-C stops everything. Logs: $dir"
	wait
	exit 0
fi

# --check: calls through the balancer, each to the next replica.
call() { # TOOL JSON-ARGUMENTS
	curl -fsS "$endpoint" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2025-11-25' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$1\",\"arguments\":$2}}"
}
for _ in 1 2 3; do
	call list_sensor_profiles '{}' | grep -q North || { echo "a read through the balancer failed" >&2; exit 1; }
done
echo "three reads, one per replica: $(curl -fsS "http://127.0.0.1:$GATEWAY_PORT/stats")"

# A destructive call. Without elicitation, the replica that takes it would answer a
# confirmation page where only a person's passkey confirms; none is enrolled here, so it
# answers the preview and how to enrol one, and changes nothing.
profile=8aee8879-d536-4efd-b23d-41dcb77a4a32
args="{\"sensorProfileId\":\"$profile\"}"
case "$(call delete_sensor_profile "$args")" in
*'qualys-cs-mcp passkey add --name NAME'*) echo "a client without elicitation: no passkey is enrolled, nothing changed" ;;
*) echo "a destructive call without elicitation did not ask for a passkey" >&2; exit 1 ;;
esac
# A client with form elicitation (the 2026-07-28 protocol: one request, then the same
# with the user's answer) asks its user; the answer, sent to the next replica, runs it once.
form() { # TOOL JSON-ARGUMENTS [EXTRA-PARAMS]
	curl -fsS "$endpoint" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H "Mcp-Name: $1" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",
\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{\"form\":{}}}},\"name\":\"$1\",\"arguments\":$2${3:+,$3}}}"
}
state=$(form delete_sensor_profile "$args" | grep -o '"requestState":"[^"]*"')
[ -n "$state" ] || { echo "the form client was not asked to confirm" >&2; exit 1; }
answer="$state,\"inputResponses\":{\"confirm\":{\"action\":\"accept\",\"content\":{\"confirm\":true}}}"
echo "the user confirmed in the client's form"
case "$(form delete_sensor_profile "$args" "$answer")" in
*'"deleted":true'*) echo "the client's answer, on the next replica, ran it" ;;
*) echo "the confirmed deletion did not run" >&2; exit 1 ;;
esac
for _ in 1 2 3; do
	case "$(form delete_sensor_profile "$args" "$answer")" in
	*'already used'*) ;;
	*) echo "the same answer was taken again" >&2; exit 1 ;;
	esac
done
stats=$(curl -fsS "http://127.0.0.1:$GATEWAY_PORT/stats")
echo "gateway: $stats"
case "$stats" in auth=1\ *) echo "one login for the three replicas" ;; *) echo "more than one login" >&2; exit 1 ;; esac
case "$stats" in *" delete=1") echo "the same answer, repeated on each replica: deleted once" ;; *) echo "not deleted exactly once" >&2; exit 1 ;; esac
echo "load-balanced example: OK"
