// The knowledge base's targets (issue 6), on this machine, with the built-in local embedder:
//   - ingest rate in passages (chunks) per second, through kb_db::add (convert excluded: text is given);
//   - hybrid top-10 search over 100,000 passages: p50 under 10 ms, p99 under 30 ms, measured in the same run
//     as a plain FTS5 query (bm25, top 10) on the same file, as the baseline.
// Documents are generated: words drawn from a 20,000-word vocabulary with a Zipf distribution (as in prose),
// four passages each; queries are 2 to 5 words drawn the same way. A real SQLite file in a temporary directory.
//   kb_bench [--quick] [--keep DIR]   (quick: 10,000 passages; --keep: the knowledge base is made in DIR and kept
//                                     there, and a later run with the same DIR searches it without ingesting)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/kb/chunker.hpp"
#include "core/kb/embedder.hpp"
#include "core/kb/kb_db.hpp"
#include "core/sqlite/sqlite_db.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct percentiles {
  double p50, p99;
};

percentiles of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
  return {at(0.5), at(0.99)};
}

// Words like "kelotra": pronounceable, distinct, none of them a stop word.
std::vector<std::string> vocabulary(std::size_t n, std::mt19937& rng) {
  static const char* syllables[] = {"ka", "lo", "tra", "mi", "sen", "po", "ru", "vex", "da", "qui", "zor", "fen",
                                    "ba", "lin", "dro", "ste", "mar", "ul", "gri", "pha", "ton", "ze", "wy", "cor"};
  std::vector<std::string> words;
  while (words.size() < n) {
    std::string w;
    for (int s = 0, k = 2 + static_cast<int>(rng() % 3); s < k; ++s) w += syllables[rng() % 24];
    words.push_back(w);
  }
  return words;
}

struct zipf {
  std::vector<double> cdf;
  explicit zipf(std::size_t n) : cdf(n) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) cdf[i] = sum += 1.0 / static_cast<double>(i + 1);
    for (auto& c : cdf) c /= sum;
  }
  std::size_t operator()(std::mt19937& rng) const {
    double u = std::uniform_real_distribution<double>{0, 1}(rng);
    return static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  }
};

std::string text_of(std::size_t words, const std::vector<std::string>& vocab, const zipf& z, std::mt19937& rng) {
  std::string t;
  for (std::size_t i = 0; i < words; ++i) {
    t += vocab[z(rng)];
    t += (i % 14 == 13) ? ". " : " ";
  }
  return t;
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::filesystem::path keep;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--keep" && i + 1 < argc) keep = argv[++i];
    else {
      std::fprintf(stderr, "kb_bench: unknown argument '%s' (--quick, --keep DIR)\n", a.c_str());
      return 2;
    }
  }
  const std::size_t target_chunks = quick ? 10'000 : 100'000;
  const std::filesystem::path dir =
      keep.empty() ? std::filesystem::temp_directory_path() / ("paios-kb-bench-" + std::to_string(getpid())) : keep;
  const bool reuse = !keep.empty() && std::filesystem::exists(dir / "kb.sqlite");
  std::filesystem::create_directories(dir);
  std::mt19937 rng{42};
  auto vocab = vocabulary(20'000, rng);
  zipf z{vocab.size()};
  paios::local_embedder embed;
  const long rss_before = rss_kb();
  auto open_start = clock_type::now();
  auto opened = paios::kb_db::open(dir / "kb.sqlite", embed);
  const double open_s = std::chrono::duration<double>(clock_type::now() - open_start).count();
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.message().c_str());
    return 1;
  }
  auto kb = std::move(*opened);
  // About 4 passages a document: 1,300 words of ~7 bytes.
  std::size_t chunks = 0, docs = 0;
  auto t0 = clock_type::now();
  if (reuse) {
    auto st = kb->stats().value();
    chunks = static_cast<std::size_t>(st.chunks);
    docs = static_cast<std::size_t>(st.articles);
  }
  while (!reuse && chunks < target_chunks) {
    paios::kb_article_input in;
    in.title = vocab[z(rng)] + " " + vocab[z(rng)] + " notes " + std::to_string(docs);
    in.content = text_of(880, vocab, z, rng);
    in.source = "bench/" + std::to_string(docs++) + ".md";
    auto r = kb->add(std::move(in));
    if (!r) {
      std::fprintf(stderr, "add: %s\n", r.message().c_str());
      return 1;
    }
    chunks += r->chunks;
  }
  const double ingest_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  // What the kb_store actor does between requests: build the HNSW graph past the threshold.
  t0 = clock_type::now();
  for (std::int64_t left = 1; left > 0;) {
    auto step = kb->index_step(4096);
    if (!step) {
      std::fprintf(stderr, "index: %s\n", step.message().c_str());
      return 1;
    }
    left = *step;
  }
  const double build_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  const long rss_after = rss_kb();

  // The same queries, alternating hybrid and plain FTS5, so that both see the same machine state.
  auto fts = paios::sqlite_db::open(dir / "kb.sqlite", false).value();
  auto plain = fts->prepare("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY rank LIMIT 10").value();
  std::vector<double> hybrid_ms, fts_ms;
  const int queries = 300;
  std::size_t found = 0;
  for (int i = 0; i < queries; ++i) {
    std::string q;
    for (int w = 0, n = 2 + static_cast<int>(rng() % 4); w < n; ++w) q += (w ? " " : "") + vocab[z(rng)];
    paios::kb_query kq;
    kq.text = q;
    kq.k = 10;
    auto a = clock_type::now();
    auto hits = kb->search(kq);
    hybrid_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - a).count());
    if (hits) found += hits->size();
    std::string match;
    for (auto& w : paios::lexical_words(q)) match += (match.empty() ? "\"" : " OR \"") + w + "\"";
    a = clock_type::now();
    plain.bind(1, match);
    while (plain.step()) {
    }
    plain.reset();
    fts_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - a).count());
  }
  auto h = of(hybrid_ms), f = of(fts_ms);
  auto st = kb->stats().value();
  std::printf("| open (%s) | %.2f s | | |\n", reuse ? "a kept knowledge base" : "a new file", open_s);
  std::printf("| vector index | %s, built in %.1f s after %s | | |\n", st.index.c_str(), build_s, reuse ? "open" : "ingest");
  if (!reuse)
    std::printf("| ingest with the local embedder (%zu passages, %zu documents) | %.0f passages/s | | (no target) |\n", chunks,
              docs, static_cast<double>(chunks) / ingest_s);
  std::printf("| hybrid top-10 search over %zu passages (%d queries) | p50 %.2f ms, p99 %.2f ms | plain FTS5 top 10: p50 %.2f ms, "
              "p99 %.2f ms | p50 < 10 ms, p99 < 30 ms: %s |\n",
              chunks, queries, h.p50, h.p99, f.p50, f.p99, h.p50 < 10 && h.p99 < 30 ? "met" : "NOT met");
  std::printf("| resident memory of the index (vectors in memory, SQLite cache) | %.1f MB for %zu passages | | |\n",
              static_cast<double>(rss_after - rss_before) / 1024.0, chunks);
  if (found == 0) std::fprintf(stderr, "no query found anything\n");
  kb.reset();
  if (keep.empty()) std::filesystem::remove_all(dir);
  return 0;
}
