#!/usr/bin/env bash
# Installs the official MCP TypeScript SDK (npm @modelcontextprotocol/sdk, pinned below) into DIR/node_modules
# for tests/mcp/sdk_client.mjs, with the machine's Node.js and npm. Nothing is written to the source tree or
# saved to a package.json. Already installed at that version: does nothing.
#   tests/mcp/install_sdk.sh DIR
# Exit codes: 0 installed; 77 npm cannot reach its registry (the caller may skip the test, and says why);
# 1 anything else (Node.js or npm missing or too old, an install that failed while the registry answers).
set -uo pipefail
dir="${1:?usage: install_sdk.sh DIR}"
version="1.32.2"  # supports protocol 2025-11-25; Node.js >= 18
package="$dir/node_modules/@modelcontextprotocol/sdk/package.json"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install_sdk.sh: node and npm are needed (deploy/setup.sh installs them)" >&2
  exit 1
fi
major="$(node --version | sed -E 's/^v([0-9]+).*/\1/')"
if [ "${major:-0}" -lt 18 ]; then
  echo "install_sdk.sh: the MCP SDK needs Node.js 18 or newer; this is $(node --version)" >&2
  exit 1
fi
if [ -f "$package" ] && grep -q "\"version\": \"$version\"" "$package"; then
  exit 0
fi
mkdir -p "$dir"
if ! timeout 60 npm ping --fetch-retries=0 >/dev/null 2>&1; then
  echo "install_sdk.sh: npm cannot reach its registry ($(npm config get registry)): the MCP SDK is not installed" >&2
  exit 77
fi
log="$dir/npm-install.log"
if timeout 600 npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" \
     "@modelcontextprotocol/sdk@$version" >"$log" 2>&1; then
  echo "install_sdk.sh: @modelcontextprotocol/sdk@$version installed in $dir"
  exit 0
fi
echo "install_sdk.sh: npm reaches its registry, yet installing @modelcontextprotocol/sdk@$version failed:" >&2
tail -20 "$log" >&2
exit 1
