// The knowledge base's store on real SQLite files: chunking, hashing, the local embedder, de-duplication,
// replacement by source, hybrid search, removal, a change of embedding model, and recall@5 over the labeled
// retrieval set in tests/data/kb/.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/content/envelope.hpp"
#include "core/kb/chunker.hpp"
#include "core/kb/embedder.hpp"
#include "core/kb/kb_db.hpp"
#include "core/kb/sha256.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

kb_article_input doc(std::string title, std::string content, std::string source = {}) {
  kb_article_input in;
  in.title = std::move(title);
  in.content = std::move(content);
  in.source = std::move(source);
  in.format = "text";
  return in;
}

kb_query query(std::string text) {
  kb_query q;
  q.text = std::move(text);
  return q;
}

// The value of a call that should succeed: a failure fails the test, with its message, and gives T{}.
template <class T>
T ok_value(expected<T> r) {
  EXPECT_TRUE(r) << r.message();
  return r ? std::move(*r) : T{};
}

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
  float s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Chunker, PassagesOverlapAndCoverTheText) {
  EXPECT_TRUE(chunk_text("").empty());
  EXPECT_EQ(chunk_text("  short text \n").size(), 1u);
  EXPECT_EQ(chunk_text("  short text \n")[0].text, "short text");
  std::string text;
  for (int i = 0; i < 400; ++i) text += "Sentence number " + std::to_string(i) + " says something. " + (i % 7 == 6 ? "\n\n" : "");
  auto chunks = chunk_text(text);
  ASSERT_GT(chunks.size(), 3u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(estimate_tokens(chunks[i].text), kChunkTokens) << i;
    EXPECT_EQ(text.substr(chunks[i].offset, chunks[i].text.size()), chunks[i].text);
    if (i > 0) {
      const auto prev_end = chunks[i - 1].offset + chunks[i - 1].text.size();
      EXPECT_LT(chunks[i].offset, prev_end) << "chunk " << i << " overlaps the one before";
      EXPECT_GT(prev_end - chunks[i].offset, kOverlapTokens * kBytesPerToken / 2);
    }
  }
  EXPECT_EQ(chunks.back().offset + chunks.back().text.size(), text.size() - 1) << "the end is covered (its space trimmed)";
  // No cut inside a UTF-8 sequence, even in text with no spaces.
  std::string wide;
  for (int i = 0; i < 3000; ++i) wide += "é";
  for (auto& c : chunk_text(wide)) EXPECT_NE(static_cast<unsigned char>(c.text[0]) & 0xC0, 0x80);
}

TEST(LocalEmbedder, DeterministicNormalizedAndLexical) {
  local_embedder e{256};
  auto a = e.embed_one("Rotating the Postgres replica after a failover");
  EXPECT_EQ(a, e.embed_one("Rotating the Postgres replica after a failover"));
  EXPECT_NEAR(cosine(a, a), 1.0f, 1e-5);
  auto typo = e.embed_one("rotating the postgress replca");
  auto other = e.embed_one("A recipe for sourdough bread with a long cold proof");
  EXPECT_GT(cosine(a, typo), cosine(a, other) + 0.2f) << "shared words and trigrams bring texts together";
  EXPECT_EQ(e.model(), "local-lexical-v1/256");
  auto empty = e.embed_one("");
  EXPECT_EQ(empty.size(), 256u);
}

TEST(KbDb, AddDeduplicatesReplacesBySourceAndRemoves) {
  test::temp_dir dir;
  local_embedder e;
  auto kb = ok_value(kb_db::open(dir.path() / "kb.sqlite", e));
  ASSERT_TRUE(kb);
  auto first = ok_value(kb->add(doc("Replica rotation", "How to rotate the Postgres replica.", "notes/replica.md")));
  EXPECT_TRUE(first.added);
  EXPECT_EQ(first.chunks, 1u);
  auto again = ok_value(kb->add(doc("Another title", "How to rotate the Postgres replica.")));
  EXPECT_FALSE(again.added) << "the same content is stored once";
  EXPECT_EQ(again.id, first.id);
  auto edited = ok_value(kb->add(doc("Replica rotation", "How to rotate the Postgres replica, version two.", "notes/replica.md")));
  EXPECT_TRUE(edited.added);
  EXPECT_EQ(edited.replaced, first.id) << "a new version from the same source replaces the old";
  EXPECT_FALSE(ok_value(kb->get(first.id)));
  auto got = ok_value(kb->get(edited.id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->title, "Replica rotation");
  EXPECT_NE(got->content.find("version two"), std::string::npos);
  EXPECT_EQ(unwrap_outside(got->content).value_or(""), "How to rotate the Postgres replica, version two.")
      << "stored in its envelope";
  auto st = ok_value(kb->stats());
  EXPECT_EQ(st.articles, 1);
  EXPECT_EQ(st.chunks, 1);
  EXPECT_TRUE(ok_value(kb->remove(edited.id)));
  EXPECT_FALSE(ok_value(kb->remove(edited.id)));
  EXPECT_TRUE(ok_value(kb->search(query("postgres replica"))).empty());
  EXPECT_EQ(ok_value(kb->stats()).chunks, 0);
}

TEST(KbDb, HybridSearchFindsByKeywordByTypoAndFilters) {
  test::temp_dir dir;
  local_embedder e;
  auto kb = ok_value(kb_db::open(dir.path() / "kb.sqlite", e));
  ASSERT_TRUE(kb);
  ok_value(kb->add(doc("ZeroMQ high-water mark", "When a PUB socket reaches ZMQ_SNDHWM it drops messages for slow subscribers.")));
  ok_value(kb->add(doc("Sourdough", "Feed the starter twice a day; bake when it doubles in four hours.")));
  auto learning = doc("CAF handlers", "In CAF 0.17 a response handler passed to then() must return void.");
  learning.kind = "learning";
  learning.project = "paios";
  ok_value(kb->add(learning));
  auto hits = ok_value(kb->search(query("ZMQ_SNDHWM drops")));
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].title, "ZeroMQ high-water mark");
  EXPECT_GT(hits[0].keyword_score, 0);
  EXPECT_GT(hits[0].vector_score, 0);
  hits = ok_value(kb->search(query("sourdogh startr")));  // no keyword matches: the trigrams still find it
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].title, "Sourdough");
  auto q = query("handler return void");
  q.kind = "learning";
  hits = ok_value(kb->search(q));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].kind, "learning");
  q.project = "elsewhere";
  EXPECT_TRUE(ok_value(kb->search(q)).empty());
  // FTS syntax in a query is only words.
  auto syntax = kb->search(query("\"unbalanced AND ( OR NEAR/3 *"));
  EXPECT_TRUE(syntax) << syntax.message();
}

// A word found in most passages is left out of the keyword query (it would make FTS5 score them all), unless
// the query has nothing else.
TEST(KbDb, CommonWordsDoNotDrownTheKeywordQuery) {
  test::temp_dir dir;
  local_embedder e;
  auto kb = ok_value(kb_db::open(dir.path() / "kb.sqlite", e));
  ASSERT_TRUE(kb);
  for (int i = 0; i < 120; ++i)
    ok_value(kb->add(doc("Entry " + std::to_string(i), "widget report number " + std::to_string(i) + " zq" + std::to_string(i) + "x")));
  auto hits = ok_value(kb->search(query("widget zq57x")));
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].title, "Entry 57");
  EXPECT_GT(hits[0].keyword_score, 0.99) << "the rare word made the keyword match";
  auto keywords_only = query("widget report");
  keywords_only.vector_weight = 0;
  EXPECT_FALSE(ok_value(kb->search(keywords_only)).empty()) << "a query of common words still searches by keyword";
}

TEST(KbDb, AChangeOfModelReembedsWhileSearchGoesOn) {
  test::temp_dir dir;
  {
    local_embedder small{64};
    auto kb = ok_value(kb_db::open(dir.path() / "kb.sqlite", small));
    ASSERT_TRUE(kb);
    for (int i = 0; i < 30; ++i)
      ok_value(kb->add(doc("Note " + std::to_string(i), "Topic " + std::to_string(i) + " about widgets and gadgets number " + std::to_string(i))));
  }
  local_embedder big{256};
  auto kb = ok_value(kb_db::open(dir.path() / "kb.sqlite", big));
  ASSERT_TRUE(kb);
  EXPECT_EQ(ok_value(kb->stats()).pending_reembed, 30);
  EXPECT_FALSE(ok_value(kb->search(query("widgets gadgets"))).empty()) << "keywords work before any vector is redone";
  EXPECT_EQ(ok_value(kb->reembed_step(10)), 20);
  EXPECT_EQ(ok_value(kb->reembed_step(100)), 0);
  auto hits = ok_value(kb->search(query("gadgets number 7")));
  ASSERT_FALSE(hits.empty());
  EXPECT_GT(hits[0].vector_score, 0);
}

// Past the threshold the vectors move into an HNSW graph, built a step at a time while the exact scan answers;
// the graph is saved beside the file and loaded at the next open; a stale one is built anew.
TEST(KbDb, PastTheThresholdAnHnswGraphIsBuiltSavedAndLoaded) {
  test::temp_dir dir;
  local_embedder e;
  kb_index_options ann;
  ann.ann_threshold = 100;
  const auto file = dir.path() / "kb.sqlite";
  {
    auto kb = ok_value(kb_db::open(file, e, ann));
    ASSERT_TRUE(kb);
    for (int i = 0; i < 150; ++i)
      ok_value(kb->add(doc("Note " + std::to_string(i), "Topic " + std::to_string(i) + " about widgets, code word zq" + std::to_string(i) + "x")));
    auto st = ok_value(kb->stats());
    EXPECT_EQ(st.index, "exact (hnsw being built)");
    EXPECT_GT(st.pending_index, 0);
    auto during = ok_value(kb->search(query("code word zq77x")));
    ASSERT_FALSE(during.empty());
    EXPECT_EQ(during[0].title, "Note 77") << "the exact scan answers while the graph is built";
    while (ok_value(kb->index_step(16)) > 0) {
    }
    EXPECT_EQ(ok_value(kb->stats()).index, "hnsw");
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "kb.hnsw")) << "saved once built";
    auto after = ok_value(kb->search(query("Topic 123 widgets zq123x")));
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after[0].title, "Note 123");
    EXPECT_GT(after[0].vector_score, 0.3);
    auto note5 = ok_value(kb->search(query("zq5x")));
    ASSERT_FALSE(note5.empty());
    ASSERT_TRUE(ok_value(kb->remove(note5[0].article_id)));
    for (auto& h : ok_value(kb->search(query("Topic 5 about widgets zq5x")))) EXPECT_NE(h.title, "Note 5") << "removed from the graph";
  }
  // The graph saved at close is loaded as it is.
  std::filesystem::copy_file(dir.path() / "kb.hnsw", dir.path() / "old.hnsw");
  std::filesystem::copy_file(dir.path() / "kb.hnsw.json", dir.path() / "old.hnsw.json");
  {
    auto kb = ok_value(kb_db::open(file, e, ann));
    ASSERT_TRUE(kb);
    auto st = ok_value(kb->stats());
    EXPECT_EQ(st.index, "hnsw");
    EXPECT_EQ(st.pending_index, 0);
    auto hits = ok_value(kb->search(query("Topic 42 widgets zq42x")));
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].title, "Note 42");
    ok_value(kb->add(doc("Late note", "added after the graph was saved: zqlatex")));
  }
  // A graph older than the vectors (as after a crash) is not used: the vectors are read from the file.
  std::filesystem::copy_file(dir.path() / "old.hnsw", dir.path() / "kb.hnsw", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(dir.path() / "old.hnsw.json", dir.path() / "kb.hnsw.json", std::filesystem::copy_options::overwrite_existing);
  {
    auto kb = ok_value(kb_db::open(file, e, ann));
    ASSERT_TRUE(kb);
    EXPECT_EQ(ok_value(kb->stats()).index, "exact (hnsw being built)");
    auto hits = ok_value(kb->search(query("zqlatex")));
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].title, "Late note");
    while (ok_value(kb->index_step(64)) > 0) {
    }
    EXPECT_EQ(ok_value(kb->stats()).index, "hnsw");
  }
  // A damaged graph file is not used either.
  {
    std::ofstream(dir.path() / "kb.hnsw", std::ios::trunc) << "not a graph";
    auto kb = ok_value(kb_db::open(file, e, ann));
    ASSERT_TRUE(kb);
    EXPECT_NE(ok_value(kb->stats()).index, "hnsw");
    EXPECT_FALSE(ok_value(kb->search(query("zq42x"))).empty());
  }
}

// recall@5 over the labeled set: the fraction of queries whose best answer's document is among the top 5;
// with the exact scan, and with the HNSW graph (a threshold of 1 passage).
class LabeledSet : public ::testing::TestWithParam<std::size_t> {};
INSTANTIATE_TEST_SUITE_P(KbDb, LabeledSet, ::testing::Values(std::size_t{0}, std::size_t{1}),
                         [](const auto& info) { return info.param == 0 ? std::string{"Exact"} : std::string{"Hnsw"}; });

TEST_P(LabeledSet, RecallAtFive) {
  const std::filesystem::path data = std::filesystem::path(PAIOS_SOURCE_DIR) / "tests/data/kb";
  ASSERT_TRUE(std::filesystem::exists(data / "queries.jsonl"));
  test::temp_dir dir;
  local_embedder e;
  kb_index_options ann;
  ann.ann_threshold = GetParam();
  auto kb = ok_value(kb_db::open(dir.path() / "kb.sqlite", e, ann));
  ASSERT_TRUE(kb);
  std::map<std::string, std::string> id_to_file;
  for (auto& f : std::filesystem::directory_iterator(data / "corpus")) {
    auto content = read_file(f.path());
    auto title = content.substr(0, content.find('\n'));
    if (title.rfind("# ", 0) == 0) title = title.substr(2);
    auto r = kb->add(doc(title, content, f.path().filename().string()));
    ASSERT_TRUE(r) << f.path() << ": " << r.message();
    id_to_file[r->id] = f.path().filename().string();
  }
  while (ok_value(kb->index_step(64)) > 0) {
  }
  std::ifstream in(data / "queries.jsonl");
  std::string line;
  std::map<std::string, std::pair<int, int>> by_kind;  // kind -> (found, total)
  int found = 0, total = 0, first = 0;
  std::string misses;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto q = nlohmann::json::parse(line);
    const auto best = q["relevant"][0].get<std::string>();
    const auto kind = q.value("kind", "");
    auto found_hits = kb->search(query(q["query"].get<std::string>()));
    ASSERT_TRUE(found_hits) << found_hits.message();
    const auto& hits = *found_hits;
    bool hit = false;
    for (std::size_t i = 0; i < hits.size() && i < 5; ++i) hit = hit || id_to_file[hits[i].article_id] == best;
    if (!hits.empty() && id_to_file[hits[0].article_id] == best) ++first;
    ++total;
    ++by_kind[kind].second;
    if (hit) {
      ++found;
      ++by_kind[kind].first;
    } else {
      misses += "  " + kind + ": " + q["query"].get<std::string>() + " (want " + best + ", got " +
                (hits.empty() ? std::string{"nothing"} : id_to_file[hits[0].article_id]) + ")\n";
    }
  }
  ASSERT_GE(total, 50);
  if (GetParam() > 0) {
    EXPECT_EQ(ok_value(kb->stats()).index, "hnsw");
  }
  const double recall = static_cast<double>(found) / total;
  std::printf("recall@5 (%s): %.3f (%d of %d queries); the best answer first: %d of %d\n",
              GetParam() > 0 ? "hnsw" : "exact scan", recall, found, total, first, total);
  for (auto& [kind, n] : by_kind) std::printf("  %-10s %d of %d\n", kind.c_str(), n.first, n.second);
  std::printf("misses:\n%s", misses.c_str());
  EXPECT_GE(recall, 0.80);
}
