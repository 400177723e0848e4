#!/usr/bin/env bash
# Sets up (deploy/setup.sh) and runs the whole test suite with ctest: unit tests, integration tests against a
# real paiosd, and the Python protocol client; first on the Release build (build/), then on the
# AddressSanitizer + UndefinedBehaviorSanitizer build (build-sanitize/).
#   deploy/test.sh              both
#   deploy/test.sh --release    the Release build only
#   deploy/test.sh --sanitize   the sanitizer build only
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
case "$which" in
  all|--release|--sanitize) ;;
  *) echo "test.sh: unknown argument '$which' (--release or --sanitize)" >&2; exit 2 ;;
esac

run_suite() {  # $1: build directory
  (cd "$1" && ctest --output-on-failure --timeout 600 -j "$(nproc)")
}

if [ "$which" != "--sanitize" ]; then
  deploy/setup.sh
  run_suite build
fi
if [ "$which" != "--release" ]; then
  deploy/setup.sh --sanitize
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  run_suite build-sanitize
fi
