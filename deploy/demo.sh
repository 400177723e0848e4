#!/usr/bin/env bash
# The main job on the embedded defaults: starts paiosd in a fresh PAIOS_HOME, seeds its knowledge base with
# the project's docs, asks it something, shows the answer and the brain that gave it, prints `ai status`, and
# stops the daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh
bin="$PWD/build"
export PAIOS_HOME="$(mktemp -d /tmp/paios-demo-XXXXXX)"
"$bin/daemon/paiosd" 2>"$PAIOS_HOME/paiosd.stderr" &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do "$bin/cli/ai" ping >/dev/null 2>&1 && break; sleep 0.05; done

echo "== paiosd is up on $PAIOS_HOME"
"$bin/cli/ai" ping
echo
echo "== ai --verbose --brain echo \"Hello from the PAIOS mesh\""
"$bin/cli/ai" --verbose --brain echo "Hello from the PAIOS mesh"
echo
echo "== ai kb add README.md docs/   (seeds the knowledge base with the project's own documentation)"
"$bin/cli/ai" kb add README.md docs/
echo
echo "== ai kb search \"how does failover work\""
"$bin/cli/ai" kb search --k 3 "how does failover work"
echo
echo "== ai \"How does PAIOS fail over between brains?\"   (the default brain; with no agent CLI installed the"
echo "   chain fails over to the kb brain, which answers from the knowledge base)"
"$bin/cli/ai" --verbose "How does PAIOS fail over between brains?" || true
echo
echo "== ai tasks"
"$bin/cli/ai" tasks
echo
echo "== ai status"
"$bin/cli/ai" status
