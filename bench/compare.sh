#!/usr/bin/env bash
# Compares the task path of this build against any earlier revision, in the same run on the same machine:
#
#   bench/compare.sh REV [ROUNDS] [TASKS] [LATENCY_TASKS]
#
# REV is built once (paiosd only, Release) in its own directory and cached by its commit id
# (PAIOS_BENCH_CACHE, default ~/.cache/paios-bench/<commit>). Then, ROUNDS times (default 3), each daemon in turn
# (the order alternating, so that neither always runs on a warmer machine) is started on a fresh PAIOS_HOME with
# the echo brain, and the same load driver (this build's `paios_bench load`: TASKS echo tasks, default 60,000,
# 512 outstanding) runs against it. For each run: tasks/s, and the daemon's CPU time per task (user + system,
# from /proc); then LATENCY_TASKS (default 5,000) tasks one at a time, for the submit → result p50 and p99. The
# table gives each side's median and spread, and the ratios this/REV: a tasks/s ratio under 1.0, or a CPU or
# latency ratio over 1.0, is a regression to explain or fix (docs/benchmarks.md).
#
#   bench/compare.sh --instructions REV [TASKS]
#
# counts instead the instructions each daemon executes per task (valgrind's callgrind, switched on after a
# warm-up, TASKS default 5,000): slow, but the same on a busy machine as on a quiet one, so that a change can be
# weighed while builds run. Instructions are not time (cache misses, system calls and waiting are not in them):
# the timed comparison above decides.
#
# BUILD_DIR: this side's build (default build/, built by deploy/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
instructions=0
if [ "${1:-}" = "--instructions" ]; then
  instructions=1
  shift
fi
if [ $# -lt 1 ]; then
  echo "usage: bench/compare.sh [--instructions] REV [ROUNDS] [TASKS] [LATENCY_TASKS]" >&2
  exit 2
fi
rev="$1"
rounds="${2:-3}"
tasks="${3:-60000}"
latency_tasks="${4:-5000}"
build="$(cd "${BUILD_DIR:-build}" && pwd)"
for f in "$build/daemon/paiosd" "$build/bench/paios_bench"; do
  [ -x "$f" ] || { echo "compare.sh: $f is missing: build first (deploy/setup.sh)" >&2; exit 2; }
done
commit="$(git rev-parse --verify "$rev^{commit}" 2>/dev/null)" || { echo "compare.sh: no revision '$rev'" >&2; exit 2; }

# The other side, built once per commit.
cache="${PAIOS_BENCH_CACHE:-$HOME/.cache/paios-bench}/$commit"
if [ ! -x "$cache/build/daemon/paiosd" ]; then
  echo "building $rev ($commit) in $cache ..." >&2
  rm -rf "$cache/src"
  mkdir -p "$cache"
  git worktree add --detach -f "$cache/src" "$commit" >/dev/null
  # A revision that reads Bash with tree-sitter (issue 18 on) needs the grammar's sources in its build tree, fetched
  # by its own script, as deploy/setup.sh does.
  if [ -f "$cache/src/deploy/fetch_tree_sitter_bash.sh" ] && [ ! -f "$cache/build/tree-sitter-bash/src/parser.c" ]; then
    bash "$cache/src/deploy/fetch_tree_sitter_bash.sh" "$cache/build/tree-sitter-bash" >&2
  fi
  cmake -S "$cache/src" -B "$cache/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPAIOS_BUILD_TESTS=OFF \
        -DPAIOS_BUILD_BENCH=OFF >/dev/null
  cmake --build "$cache/build" --target paiosd -j "$(nproc)" >&2
  git worktree remove --force "$cache/src" >/dev/null 2>&1 || true
fi

# Starts `$@` (a daemon, with the program that runs it in front, if any) on a fresh PAIOS_HOME with the echo
# brain, and waits for its socket: sets home, pid and ep for the caller.
start_daemon() {
  home="$(mktemp -d /tmp/paios-compare-XXXXXX)"
  cat >"$home/config.json" <<'JSON'
{"tasks": {"default_brain": "echo", "failover": []},
 "router": {"threshold": 1, "chains": {"chat": ["echo"]}},
 "log": {"level": "warn"}}
JSON
  "$@" --home "$home" 2>"$home/stderr.log" &
  pid=$!
  for _ in $(seq 3000); do [ -S "$home/run/paiosd.sock" ] && break; sleep 0.01; done
  ep="ipc://$home/run/paiosd.sock"
}

# Instructions per task of the daemon `$2` (labelled `$1`) under callgrind: "label instructions_per_task".
count_one() {
  local label="$1" paiosd="$2" tasks="$3" home pid ep out total
  out="$(mktemp /tmp/paios-callgrind-XXXXXX)"
  start_daemon valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" "$paiosd"
  "$build/bench/paios_bench" load "$ep" 1000 >/dev/null
  callgrind_control -i on "$pid" >/dev/null
  "$build/bench/paios_bench" load "$ep" "$tasks" >/dev/null
  callgrind_control -i off "$pid" >/dev/null
  kill -TERM "$pid"
  wait "$pid" || true
  total="$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')"
  rm -rf "$home" "$out"
  echo "$label $((total / tasks))"
}

if ((instructions)); then
  command -v valgrind >/dev/null || { echo "compare.sh: --instructions needs valgrind (apt-get install valgrind)" >&2; exit 2; }
  n="${2:-5000}"
  this_ir="$(count_one this "$build/daemon/paiosd" "$n")"
  base_ir="$(count_one base "$cache/build/daemon/paiosd" "$n")"
  echo "this: $(git rev-parse --short HEAD); base: $rev ($(git rev-parse --short "$commit")); $n echo tasks, 512 outstanding, under callgrind"
  echo "| | this | base | this / base |"
  echo "|---|---|---|---|"
  awk -v t="${this_ir#this }" -v b="${base_ir#base }" 'BEGIN {printf "| instructions per task | %d | %d | %.2fx |\n", t, b, t / b}'
  exit 0
fi

ticks="$(getconf CLK_TCK)"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT

# One run: starts the daemon `$2` (labelled `$1`), loads it, prints "label tasks_per_s cpu_us_per_task p50_us p99_us".
run_one() {
  local label="$1" paiosd="$2" home pid ep out tps cpu0 cpu1 latency
  start_daemon "$paiosd"
  "$build/bench/paios_bench" load "$ep" 2000 >/dev/null  # warm up: first allocations, page cache
  cpu0="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
  out="$("$build/bench/paios_bench" load "$ep" "$tasks")"
  cpu1="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
  latency="$("$build/bench/paios_bench" latency "$ep" "$latency_tasks" | awk '{print $1, $2}')"
  kill -TERM "$pid"
  wait "$pid" || true
  rm -rf "$home"
  tps="${out%% *}"
  echo "$label $tps $(awk -v a="$cpu0" -v b="$cpu1" -v t="$ticks" -v n="$tasks" 'BEGIN {printf "%.1f", (b - a) / t * 1e6 / n}') $latency"
}

for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then
    run_one this "$build/daemon/paiosd" | tee -a "$results" >&2
    run_one base "$cache/build/daemon/paiosd" | tee -a "$results" >&2
  else
    run_one base "$cache/build/daemon/paiosd" | tee -a "$results" >&2
    run_one this "$build/daemon/paiosd" | tee -a "$results" >&2
  fi
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "this: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)'); base: $rev ($(git rev-parse --short "$commit")); $rounds rounds of $tasks echo tasks, 512 outstanding, then $latency_tasks one at a time"
/usr/bin/python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
side = {k: [[float(r[i]) for r in rows if r[0] == k] for i in (1, 2, 3, 4)] for k in ("this", "base")}
def cell(v, f): return f"{f(statistics.median(v))} ({f(min(v))} – {f(max(v))})"
t, b = side["this"], side["base"]
print("| | this | base | this / base |")
print("|---|---|---|---|")
for i, (name, f) in enumerate([("tasks/s", lambda x: f"{x:,.0f}"), ("CPU µs per task", lambda x: f"{x:.0f}"),
                                ("submit → result p50 µs", lambda x: f"{x:.0f}"), ("submit → result p99 µs", lambda x: f"{x:.0f}")]):
    ratios = [x / y for x, y in zip(t[i], b[i])]
    print(f"| {name} | {cell(t[i], f)} | {cell(b[i], f)} | {cell(ratios, lambda x: f'{x:.2f}x')} |")
PY
