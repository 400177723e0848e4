// The event store's targets (issue 5), on this machine:
//   - sustained ingest into SQLite: producers emit through the sink while a writer does what the obs_store
//     actor does (drain, redact, one transaction per batch): at least 200,000 events/s;
//   - the lookup of one trace among 1,000,000 stored events: under 5 ms;
//   - the cost of emitting an event on the task path: under 2 µs.
// Real SQLite files in a temporary directory; no actor runtime (the actor adds a message per batch).
//   obs_bench [--quick]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/obs/event_sink.hpp"
#include "core/obs/obs_db.hpp"
#include "messages/ids.hpp"
#include "messages/redact.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct percentiles {
  double p50, p99, p999;
};

percentiles of(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
  return {at(0.5), at(0.99), at(0.999)};
}

std::filesystem::path scratch_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("paios-obs-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// A task-path event as the dispatcher emits it: ids, a brain, a state.
std::string typical_data(int i) {
  return R"({"task_id":"t-1a2260ea868-)" + std::to_string(10000000 + i) + R"(","brain":"claude","state":"succeeded"})";
}

double ingest(const std::filesystem::path& file, int total) {
  auto opened = paios::obs_db::open(file, false);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.message().c_str());
    return 0;
  }
  auto db = std::move(*opened);
  paios::event_sink sink{200000, 4096};
  paios::install_event_sink(&sink);
  std::atomic<bool> producing{true};
  std::atomic<long> written{0};
  auto start = clock_type::now();
  std::thread writer([&] {
    paios::event_batch batch;
    std::vector<std::pair<std::size_t, std::string>> redacted;
    std::string out;
    for (;;) {
      bool last = !producing.load();
      sink.drain(batch);
      redacted.clear();
      for (std::size_t i = 0; i < batch.size(); ++i)
        if (paios::redact_json_into(batch.data(i), out)) redacted.emplace_back(i, std::move(out));
      batch.replace_data(redacted);
      if (!batch.empty()) {
        if (auto st = db->insert(batch); !st) std::fprintf(stderr, "insert: %s\n", st.message().c_str());
        written += static_cast<long>(batch.size());
        batch.clear();
      } else if (last) {
        break;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  });
  auto trace = paios::new_trace();
  long dropped_before = static_cast<long>(sink.dropped());
  for (int i = 0; i < total; ++i) {
    if (i % 8 == 0) trace = paios::new_trace();
    auto now = paios::now_us();
    // A full queue would drop: wait for room instead, since this measures what the store can take.
    while (sink.depth() >= sink.capacity() - 1) std::this_thread::yield();
    paios::emit_span("task", "run", trace, 0, 0, now, now + 100, "ok", typical_data(i));
  }
  producing = false;
  writer.join();
  paios::install_event_sink(nullptr);
  double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  if (written.load() != total || static_cast<long>(sink.dropped()) != dropped_before)
    std::fprintf(stderr, "ingest: wrote %ld of %d\n", written.load(), total);
  return total / seconds;
}

percentiles lookup(const std::filesystem::path& file, int total, int probes) {
  auto db = paios::obs_db::open(file, false).value();
  std::vector<paios::trace_id> traces;
  paios::event_batch batch;
  auto t = paios::new_trace();
  for (int i = 0; i < total; ++i) {
    if (i % 10 == 0) {
      t = paios::new_trace();
      traces.push_back(t);
    }
    paios::event_record e;
    e.time_us = 1'700'000'000'000'000 + i;
    e.duration_us = 50;
    e.trace = t;
    e.span = paios::new_span_id();
    e.category = i % 10 == 0 ? "bridge" : "task";
    e.action = "run";
    e.status = "ok";
    e.data_json = typical_data(i);
    batch.push(std::move(e));
    if (batch.size() == 8192 || i + 1 == total) {
      (void)db->insert(batch);
      batch.clear();
    }
  }
  db.reset();  // a fresh connection: nothing of it in SQLite's page cache but what the OS keeps
  db = paios::obs_db::open(file, false).value();
  std::mt19937 rng{42};
  std::vector<double> ms;
  std::size_t found = 0;
  for (int i = 0; i < probes; ++i) {
    const auto& pick = traces[rng() % traces.size()];
    auto a = clock_type::now();
    auto spans = db->trace(pick).value();
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - a).count());
    found += spans.size();
  }
  if (found != static_cast<std::size_t>(probes) * 10) std::fprintf(stderr, "lookup: found %zu spans\n", found);
  return of(ms);
}

percentiles emit_cost(int n) {
  // As in paiosd: the default queue and batch, and a writer woken when a batch is full (here it only frees
  // what it takes, so that the producer's side is what is measured).
  paios::event_sink sink{200000, 4096};
  std::mutex m;
  std::condition_variable cv;
  bool wake = false, running = true;
  sink.on_batch([&] {
    std::lock_guard lock(m);
    wake = true;
    cv.notify_one();
  });
  paios::install_event_sink(&sink);
  std::thread writer([&] {
    paios::event_batch out;
    for (;;) {
      std::unique_lock lock(m);
      cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return wake || !running; });
      wake = false;
      bool last = !running;
      lock.unlock();
      out.clear();
      sink.drain(out);
      if (last) break;
    }
  });
  auto trace = paios::new_trace();
  std::vector<double> us(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto a = clock_type::now();
    // What the dispatcher does at a task's end: the data object's text, then the span.
    paios::emit_span("task", "run", trace, 0, 42, 1000, 2000, "ok", typical_data(i));
    us[static_cast<std::size_t>(i)] = std::chrono::duration<double, std::micro>(clock_type::now() - a).count();
  }
  {
    std::lock_guard lock(m);
    running = false;
    cv.notify_one();
  }
  writer.join();
  paios::install_event_sink(nullptr);
  if (sink.dropped() > 0) std::fprintf(stderr, "emit: %llu dropped\n", static_cast<unsigned long long>(sink.dropped()));
  return of(us);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::string{argv[1]} == "--quick";
  auto dir = scratch_dir();
  const int ingest_n = quick ? 200'000 : 2'000'000;
  const int stored_n = quick ? 100'000 : 1'000'000;
  double rate = ingest(dir / "ingest.sqlite", ingest_n);
  std::printf("| sustained ingest (%d events: emit, queue, redact, batched insert) | %.0f events/s | | target >= 200,000/s: %s |\n",
              ingest_n, rate, rate >= 200'000 ? "met" : "NOT met");
  auto l = lookup(dir / "lookup.sqlite", stored_n, 2000);
  std::printf("| one trace among %d events (10 spans each) | p50 %.2f ms | p99 %.2f ms | target < 5 ms: %s |\n", stored_n,
              l.p50, l.p99, l.p99 < 5 ? "met" : "NOT met");
  auto e = emit_cost(quick ? 100'000 : 1'000'000);
  std::printf("| emit one event on the task path | p50 %.2f µs | p99 %.2f µs (p99.9 %.2f) | target < 2 µs: %s |\n", e.p50,
              e.p99, e.p999, e.p99 < 2 ? "met" : "NOT met");
  std::filesystem::remove_all(dir);
  return 0;
}
