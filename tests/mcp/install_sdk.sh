#!/usr/bin/env bash
# Installs an npm package of the MCP project, pinned below, into DIR/node_modules with the machine's Node.js
# and npm: the official TypeScript SDK (@modelcontextprotocol/sdk) for tests/mcp/sdk_client.mjs, or the
# reference server @modelcontextprotocol/server-everything that the MCP client tests (mcp_client_test) run.
# Each goes into its own DIR (npm may prune what a package.json does not name). Nothing is written to the
# source tree or saved to a package.json. Already installed at that version: does nothing.
#   tests/mcp/install_sdk.sh DIR [sdk|server-everything]
# Exit codes: 0 installed; 77 npm cannot reach its registry (the caller may skip the test, and says why);
# 1 anything else (Node.js or npm missing or too old, an install that failed while the registry answers).
set -uo pipefail
dir="${1:?usage: install_sdk.sh DIR [sdk|server-everything]}"
case "${2:-sdk}" in
  sdk) name="@modelcontextprotocol/sdk"; version="1.32.2" ;;  # supports protocol 2025-11-25; Node.js >= 18
  server-everything) name="@modelcontextprotocol/server-everything"; version="2026.8.31" ;;  # protocol 2025-11-25
  *) echo "install_sdk.sh: unknown package '$2' (sdk or server-everything)" >&2; exit 1 ;;
esac
package="$dir/node_modules/$name/package.json"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install_sdk.sh: node and npm are needed (deploy/setup.sh installs them)" >&2
  exit 1
fi
major="$(node --version | sed -E 's/^v([0-9]+).*/\1/')"
if [ "${major:-0}" -lt 18 ]; then
  echo "install_sdk.sh: $name needs Node.js 18 or newer; this is $(node --version)" >&2
  exit 1
fi
# Tests run in parallel (ctest -j) may all ask for the package at once: one installs, the others wait for it.
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9
if [ -f "$package" ] && grep -q "\"version\": \"$version\"" "$package"; then
  exit 0
fi
if ! timeout 60 npm ping --fetch-retries=0 >/dev/null 2>&1; then
  echo "install_sdk.sh: npm cannot reach its registry ($(npm config get registry)): $name is not installed" >&2
  exit 77
fi
log="$dir/npm-install.log"
if timeout 600 npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" \
     "$name@$version" >"$log" 2>&1; then
  echo "install_sdk.sh: $name@$version installed in $dir"
  exit 0
fi
echo "install_sdk.sh: npm reaches its registry, yet installing $name@$version failed:" >&2
tail -20 "$log" >&2
exit 1
