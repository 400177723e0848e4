#!/bin/bash
# `ai hook post-tool-use` wall time against bench/min_client.c and bench/hook_pyzmq.py, daemon up and down
# (docs/benchmarks.md, "Hooks"). Usage: bash bench/hook_bench.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
rounds="${2:-200}"
cmake --build "$build" --target paiosd ai min_client hook_bench >/dev/null
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(uname -sr)"
echo "build: $(grep -m1 CMAKE_BUILD_TYPE: "$build/CMakeCache.txt" | cut -d= -f2)"
echo "date: $(date -u +%F)"
"$build/bench/hook_bench" "$build" "$here" "$rounds"
