#!/usr/bin/env bash
# Runs the foundation's benchmarks on this machine and prints the table for docs/benchmarks.md, with the
# machine it ran on. Build first (deploy/setup.sh).   bench/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "build: $(grep CMAKE_BUILD_TYPE:STRING "$build/CMakeCache.txt" | cut -d= -f2), $(g++ --version | head -1)"
echo "date: $(date -u +%Y-%m-%d)"
echo
"$build/bench/paios_bench" "$@"
