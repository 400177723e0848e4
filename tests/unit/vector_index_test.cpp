// The knowledge base's vector indexes: the exact scan and the HNSW graph against each other (recall of the
// graph on lexical vectors of generated passages), replacement, removal by article, filters narrow and wide,
// and the graph's file: saved, loaded, refused when damaged or of other dimensions.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>

#include "core/kb/embedder.hpp"
#include "core/kb/vector_index.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;

namespace {

// Passages of words drawn with a Zipf-like skew from a made-up vocabulary, embedded by the local embedder.
struct corpus {
  std::vector<std::vector<float>> vectors;
  std::vector<std::vector<float>> queries;
  explicit corpus(std::size_t n, std::size_t dims = 256) {
    std::mt19937 rng{7};
    std::vector<std::string> vocab;
    static const char* syl[] = {"ka", "lo", "tra", "mi", "sen", "po", "ru", "vex", "da", "qui", "zor", "fen"};
    for (int i = 0; i < 3000; ++i) vocab.push_back(std::string{syl[rng() % 12]} + syl[rng() % 12] + syl[rng() % 12]);
    auto word = [&] {
      const double u = std::uniform_real_distribution<double>{0, 1}(rng);
      return vocab[static_cast<std::size_t>(std::pow(u, 3.0) * static_cast<double>(vocab.size() - 1))];
    };
    local_embedder e{dims};
    for (std::size_t i = 0; i < n; ++i) {
      std::string t;
      for (int w = 0; w < 60; ++w) t += word() + " ";
      vectors.push_back(e.embed_one(t));
    }
    for (int i = 0; i < 100; ++i) {
      std::string t;
      for (int w = 0; w < 4; ++w) t += word() + " ";
      queries.push_back(e.embed_one(t));
    }
  }
};

std::set<std::int64_t> ids(const std::vector<vector_hit>& hits) {
  std::set<std::int64_t> out;
  for (auto& h : hits) out.insert(h.id);
  return out;
}

}  // namespace

TEST(VectorIndex, TheGraphFindsWhatTheExactScanFinds) {
  corpus c{6000};
  auto exact = make_exact_index(256);
  auto graph = hnsw_index::create(256, 100);  // grows as it fills
  for (std::size_t i = 0; i < c.vectors.size(); ++i) {
    exact->put(static_cast<std::int64_t>(i) + 1, static_cast<std::uint32_t>(i % 50), c.vectors[i].data());
    graph->put(static_cast<std::int64_t>(i) + 1, static_cast<std::uint32_t>(i % 50), c.vectors[i].data());
  }
  EXPECT_EQ(exact->size(), 6000u);
  EXPECT_EQ(graph->size(), 6000u);
  // The knowledge base asks for 100 candidates and ranks them with the keyword scores: what matters is that
  // the exact top 10 are among them.
  std::size_t agreed = 0, asked = 0, agreed10 = 0;
  for (auto& q : c.queries) {
    auto want = exact->nearest(q.data(), 10, {});
    auto got = graph->nearest(q.data(), 100, {});
    ASSERT_EQ(want.size(), 10u);
    ASSERT_EQ(got.size(), 100u);
    EXPECT_GE(got.front().score, got.back().score) << "best first";
    auto g = ids(got);
    for (auto& h : want) agreed += g.count(h.id);
    auto w = ids(want);
    for (std::size_t i = 0; i < 10; ++i) agreed10 += w.count(got[i].id);
    asked += 10;
  }
  const double recall = static_cast<double>(agreed) / static_cast<double>(asked);
  std::printf("HNSW against the exact scan (6,000 lexical vectors, 100 queries): the exact top 10 among the graph's "
              "100: %.3f; the graph's top 10 that are the exact top 10: %.3f\n",
              recall, static_cast<double>(agreed10) / static_cast<double>(asked));
  EXPECT_GE(recall, 0.95);
}

TEST(VectorIndex, ReplaceEraseByTagAndFilter) {
  corpus c{400, 64};
  for (auto make : {+[] { return make_exact_index(64); },
                    +[] { return std::unique_ptr<vector_index>(hnsw_index::create(64, 16)); }}) {
    auto index = make();
    SCOPED_TRACE(index->kind());
    // 400 vectors in 40 articles (tags 0..39).
    for (std::size_t i = 0; i < c.vectors.size(); ++i)
      index->put(static_cast<std::int64_t>(i), static_cast<std::uint32_t>(i / 10), c.vectors[i].data());
    // Replacing keeps one vector under the id.
    index->put(5, 0, c.vectors[300].data());
    EXPECT_EQ(index->size(), 400u);
    auto top = index->nearest(c.vectors[300].data(), 2, {});
    ASSERT_EQ(top.size(), 2u);
    EXPECT_NEAR(top[0].score, 1.0f, 1e-4);
    EXPECT_NEAR(top[1].score, 1.0f, 1e-4);
    std::uint32_t tag = 99;
    ASSERT_TRUE(index->tag_of(5, tag));
    EXPECT_EQ(tag, 0u);
    // Removing an article removes all of its vectors, and only them.
    index->erase_tag(30);
    EXPECT_EQ(index->size(), 390u);
    EXPECT_EQ(index->find(300), nullptr);
    EXPECT_FALSE(index->tag_of(305, tag));
    EXPECT_NE(index->find(5), nullptr);
    for (auto& h : index->nearest(c.vectors[301].data(), 20, {})) EXPECT_NE(h.id / 10, 30);
    // A narrow filter (one article of 39) and a wide one (all but one).
    tag_filter narrow(40, 0);
    narrow[7] = 1;
    auto only7 = index->nearest(c.queries[0].data(), 5, narrow);
    ASSERT_EQ(only7.size(), 5u);
    for (auto& h : only7) EXPECT_EQ(h.id / 10, 7);
    tag_filter wide(40, 1);
    wide[3] = 0;
    auto not3 = index->nearest(c.vectors[35].data(), 10, wide);
    ASSERT_EQ(not3.size(), 10u);
    for (auto& h : not3) EXPECT_NE(h.id / 10, 3);
    std::size_t seen = 0;
    index->for_each([&](std::int64_t, std::uint32_t t, const float*) {
      ++seen;
      EXPECT_NE(t, 30u);
    });
    EXPECT_EQ(seen, 390u);
  }
}

TEST(VectorIndex, TheGraphIsSavedAndLoadedAndADamagedFileIsRefused) {
  corpus c{500, 64};
  test::temp_dir dir;
  const auto file = (dir.path() / "kb.hnsw").string();
  auto graph = hnsw_index::create(64, 100);
  for (std::size_t i = 0; i < c.vectors.size(); ++i) graph->put(static_cast<std::int64_t>(i) + 1000, 0, c.vectors[i].data());
  graph->erase_tag(1);  // nothing has tag 1
  auto saved = graph->save(file);
  ASSERT_TRUE(saved) << saved.message();
  EXPECT_FALSE(std::filesystem::exists(file + ".tmp"));
  auto loaded = hnsw_index::load(file, 64);
  ASSERT_TRUE(loaded) << loaded.message();
  EXPECT_EQ((*loaded)->size(), 500u);
  EXPECT_TRUE((*loaded)->set_tag(1000, 4));
  EXPECT_FALSE((*loaded)->set_tag(7, 4)) << "no such vector";
  for (int q = 0; q < 5; ++q) {
    auto a = graph->nearest(c.queries[q].data(), 10, {});
    auto b = (*loaded)->nearest(c.queries[q].data(), 10, {});
    EXPECT_EQ(ids(a), ids(b));
  }
  auto other = hnsw_index::load(file, 128);
  EXPECT_FALSE(other);
  EXPECT_NE(other.message().find("64 dimensions, not 128"), std::string::npos) << other.message();
  auto missing = hnsw_index::load(file + ".missing", 64);
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.code(), errc::not_found);
  EXPECT_NE(missing.message().find("does not exist"), std::string::npos) << missing.message();
  // Cut short, as by a crash during the write of an older build.
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  auto cut = hnsw_index::load(file, 64);
  EXPECT_FALSE(cut);
  EXPECT_NE(cut.message(), "");
}
