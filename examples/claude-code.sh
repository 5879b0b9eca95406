#!/usr/bin/env bash
# Add qualys-cs-mcp to Claude Code. Run the lines you need; `claude mcp list` shows the result.
set -euo pipefail

# Against the real API: credentials from the environment, the password from a file.
claude mcp add qualys-cs --scope user -e QUALYS_POD=US2 -e QUALYS_USERNAME=me -e QUALYS_PASSWORD_FILE="$HOME/.qualys-pass" -- qualys-cs-mcp --audit-log "$HOME/.qualys-cs-mcp/audit.jsonl"

# An assistant that may only read.
claude mcp add qualys-cs-readonly -e QUALYS_POD=US2 -e QUALYS_USERNAME=me -e QUALYS_PASSWORD_FILE="$HOME/.qualys-pass" -- qualys-cs-mcp --read-only

# No account needed: the embedded sandbox.
claude mcp add qualys-cs-sandbox -- qualys-cs-mcp --sandbox

# A shared server on streamable HTTP (started with: qualys-cs-mcp --http 127.0.0.1:8080).
claude mcp add --transport http qualys-cs-http http://127.0.0.1:8080/mcp --header "Authorization: Bearer ${QUALYS_MCP_HTTP_TOKEN:-}"
