#!/usr/bin/env bash
# Sets up (deploy/setup.sh) and runs the whole test suite with ctest: unit tests, integration tests against a
# real paiosd, and the Python protocol client.   deploy/test.sh --sanitize   does the same on the ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh "$@"
build_dir=build
[ "${1:-}" = "--sanitize" ] && build_dir="${BUILD_DIR:-build-sanitize}"
[ -n "${BUILD_DIR:-}" ] && build_dir="$BUILD_DIR"
cd "$build_dir"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --output-on-failure --timeout 600 -j "$(nproc)"
