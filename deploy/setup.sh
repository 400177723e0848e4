#!/usr/bin/env bash
# Installs every system package PAIOS needs (Debian 12, as root) and builds it with CMake.
# Idempotent: packages already installed are not fetched again; the build is incremental.
#
#   deploy/setup.sh                   Release build in build/
#   deploy/setup.sh --sanitize        ASan + UBSan build in build-sanitize/
#   BUILD_DIR=out deploy/setup.sh     another build directory
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
build_dir="${BUILD_DIR:-build}"
build_type="${BUILD_TYPE:-Release}"
extra=()
for arg in "$@"; do
  case "$arg" in
    # The sanitizer build is for the test suite, and CAF's templates make it the slow half of CI. It is built
    # by Clang, which compiles them about twice as fast as GCC at -O0 with the sanitizers (and a second
    # compiler's warnings come with it); no optimizer and line tables only (-g1: the reports still name file and
    # line); no benchmarks. docs/benchmarks.md, "CI", has the times.
    --sanitize) sanitize=ON; build_dir="${BUILD_DIR:-build-sanitize}"; build_type=RelWithDebInfo
                extra=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
                       -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG"
                       -DPAIOS_BUILD_BENCH=OFF) ;;
    *) echo "setup.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev                         # the actor runtime (0.17)
  libzmq3-dev cppzmq-dev             # the ZeroMQ bridge
  nlohmann-json3-dev libvalijson-dev # JSON and JSON Schema
  libsqlite3-dev sqlite3             # the stores
  libspdlog-dev libfmt-dev           # logs
  libcli11-dev                       # command lines
  libre2-dev                         # the router's and the autonomy rules' regular expressions
  libtree-sitter-dev                 # the autonomy policy's bash parser (the grammar comes from npm, below)
  libhnswlib-dev                     # the knowledge base's vector graph (HNSW) past its threshold
  tzdata                             # the scheduler's time zones (/usr/share/zoneinfo)
  poppler-utils pandoc               # the knowledge base's PDF and DOCX converters (pdftotext, pandoc)
  libcurl4-openssl-dev               # the knowledge base's HTTP: embedding providers, `ai kb add URL`
  libmagic-dev                       # the watchers' classification of files by content
  libgtest-dev libgmock-dev libbenchmark-dev  # tests and benchmarks
  libcpp-httplib-dev                 # tests: loopback HTTP servers (fake embedding providers, pages)
  python3 python3-zmq                # the protocol test's outside client
  procps
  zsh fish groff-base                # tests: ai's completion scripts in their shells, its man page rendered
)
# The sanitizer build's compiler and its sanitizer runtimes.
if [ "$sanitize" = ON ]; then packages+=(clang libclang-rt-14-dev); fi
# Node.js and npm run the MCP SDK client test (tests/mcp). A machine that has its own Node.js (a NodeSource
# build, which carries npm and conflicts with Debian's npm) keeps it: Debian's are installed only when missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The bash grammar for core/autonomy, into the build tree before CMake looks for it.
bash deploy/fetch_tree_sitter_bash.sh "$build_dir/tree-sitter-bash"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DPAIOS_SANITIZE="$sanitize" "${extra[@]}"
cmake --build "$build_dir" -j "$(nproc)"
# The official MCP SDK for the mcp_sdk_client test, into the build tree (the test installs it itself when this
# could not, and says why it is skipped only when npm cannot reach its registry).
bash tests/mcp/install_sdk.sh "$build_dir/mcp-sdk" || echo "setup.sh: the MCP SDK is not installed (see above)" >&2
# The reference MCP server that the MCP client tests (mcp_client_test) run as a tool source, likewise.
bash tests/mcp/install_sdk.sh "$build_dir/mcp-everything" server-everything ||
  echo "setup.sh: @modelcontextprotocol/server-everything is not installed (see above)" >&2
