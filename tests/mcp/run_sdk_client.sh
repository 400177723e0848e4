#!/usr/bin/env bash
# The ctest test mcp_sdk_client: installs the MCP SDK into the build tree if it is not there yet
# (install_sdk.sh), then runs sdk_client.mjs against the built paiosd and ai.
#   run_sdk_client.sh BUILD_DIR PAIOSD AI
# Exit 77 (ctest: skipped) only when npm cannot reach its registry, with the reason printed; any other
# failure to install or any failed check fails the test.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: run_sdk_client.sh BUILD_DIR PAIOSD AI}"
paiosd="${2:?}"
ai="${3:?}"
sdk="$build/mcp-sdk"
bash "$here/install_sdk.sh" "$sdk"
rc=$?
if [ "$rc" -eq 77 ]; then
  echo "SKIPPED: the MCP SDK client test needs @modelcontextprotocol/sdk from the npm registry, which npm cannot reach here"
  exit 77
fi
[ "$rc" -eq 0 ] || exit "$rc"
exec node "$here/sdk_client.mjs" --sdk "$sdk" --paiosd "$paiosd" --ai "$ai" --fake-agents "$here/../fake_agents"
