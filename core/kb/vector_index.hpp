#pragma once
// vector_index: the knowledge base's passage vectors in memory, and the nearest-neighbour search over them.
// Each vector has an id (the passage's row id) and a tag (its article, for filters). Vectors are
// L2-normalized by the embedders, so the dot product is the cosine and the score of a hit.
//   exact_index: a contiguous float32 matrix scanned in full (SIMD dot products): exact, and fast enough up
//                to some tens of thousands of passages.
//   hnsw_index:  hnswlib's graph (inner product, M 16): approximate, a few hundred dot products a query
//                whatever the size; it keeps the vectors itself (no second copy), and is saved to and loaded
//                from a file so that a large knowledge base opens without rebuilding it.
// kb_db decides which one it uses (the configured threshold) and is their one owner; not thread-safe.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "messages/error.hpp"

namespace paios {

struct vector_hit {
  float score;
  std::int64_t id;
};

// Which tags a search may return: allowed[tag] != 0. An empty filter allows every tag.
using tag_filter = std::vector<char>;

class vector_index {
 public:
  virtual ~vector_index() = default;
  virtual const char* kind() const = 0;  // "exact" or "hnsw"
  virtual std::size_t dimensions() const = 0;
  virtual std::size_t size() const = 0;   // live vectors
  // Adds the vector, or replaces the one stored under `id`.
  virtual void put(std::int64_t id, std::uint32_t tag, const float* v) = 0;
  virtual void erase_tag(std::uint32_t tag) = 0;  // every vector of one article
  virtual const float* find(std::int64_t id) const = 0;  // nullptr when absent
  virtual bool tag_of(std::int64_t id, std::uint32_t& tag) const = 0;  // false when absent
  // At most n hits, best first, among the vectors the filter allows.
  virtual std::vector<vector_hit> nearest(const float* query, std::size_t n, const tag_filter& allowed) const = 0;
  virtual void for_each(const std::function<void(std::int64_t id, std::uint32_t tag, const float* v)>& f) const = 0;
};

// The dot product of two vectors of n floats (vectorized; an AVX2/FMA build of it is chosen at load time
// where the processor has them).
float dot(const float* a, const float* b, std::size_t n);

// The n best of `scored` (highest score first; equal scores by id), for the indexes' searches.
std::vector<vector_hit> best_of(std::vector<vector_hit> scored, std::size_t n);

std::unique_ptr<vector_index> make_exact_index(std::size_t dimensions);

struct hnsw_options {
  std::size_t m = 16;                 // links per node: recall and memory against build time
  std::size_t ef_construction = 100;
  std::size_t ef_search = 400;        // at least; a search for n looks at max(n, ef_search) candidates
};

class hnsw_index final : public vector_index {
 public:
  static std::unique_ptr<hnsw_index> create(std::size_t dimensions, std::size_t capacity, hnsw_options opts = {});
  // An index saved by save(), its tags all 0 until set_tag(); fails with not_found when the file is missing,
  // store_failed when it is truncated or of other dimensions (the caller then builds it anew).
  static expected<std::unique_ptr<hnsw_index>> load(const std::string& file, std::size_t dimensions,
                                                    hnsw_options opts = {});
  ~hnsw_index() override;
  // Writes the index to `file` atomically (a temporary file renamed over it); fails with store_failed.
  status save(const std::string& file) const;
  bool set_tag(std::int64_t id, std::uint32_t tag);  // false: no such vector
  std::size_t deleted() const;  // vectors erased but still in the graph (hnswlib does not reclaim them)

  const char* kind() const override { return "hnsw"; }
  std::size_t dimensions() const override;
  std::size_t size() const override;
  void put(std::int64_t id, std::uint32_t tag, const float* v) override;
  void erase_tag(std::uint32_t tag) override;
  const float* find(std::int64_t id) const override;
  bool tag_of(std::int64_t id, std::uint32_t& tag) const override;
  std::vector<vector_hit> nearest(const float* query, std::size_t n, const tag_filter& allowed) const override;
  void for_each(const std::function<void(std::int64_t, std::uint32_t, const float*)>& f) const override;

 private:
  struct impl;
  explicit hnsw_index(std::unique_ptr<impl> p);
  std::unique_ptr<impl> p_;
};

}  // namespace paios
