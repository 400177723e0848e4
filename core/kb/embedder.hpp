#pragma once
// embedder: turns passages into vectors for the knowledge base's vector search. Every vector is
// L2-normalized, so that a dot product is the cosine. `model()` names the provider, model and dimensions:
// the store keeps it with each vector, and re-embeds when it changes.
//
// local_embedder needs no network and no model file. It is LEXICAL, not semantic: it hashes word stems,
// word pairs and character trigrams (the trigrams make it tolerant of typos and inflections) into a fixed
// number of signed buckets, with sublinear term weights and common English words left out. Two texts are
// close when they share vocabulary; "car" and "automobile" are not close. Deterministic across runs and
// machines (FNV-1a hashing, no randomness).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"

namespace paios {

class embedder {
 public:
  virtual ~embedder() = default;
  virtual std::string model() const = 0;
  virtual std::size_t dimensions() const = 0;
  // One vector per text, in order; fails with brain_unavailable when the provider cannot give them (then
  // nothing of its answer may be stored).
  virtual expected<std::vector<std::vector<float>>> embed(const std::vector<std::string_view>& texts) = 0;
};

class local_embedder final : public embedder {
 public:
  explicit local_embedder(std::size_t dimensions = 256);
  std::string model() const override;  // "local-lexical-v1/<dimensions>"
  std::size_t dimensions() const override { return dimensions_; }
  expected<std::vector<std::vector<float>>> embed(const std::vector<std::string_view>& texts) override;  // never fails
  std::vector<float> embed_one(std::string_view text) const;

 private:
  std::size_t dimensions_;
};

// The words of a text as the local embedder and the keyword query builder see them: lower-case runs of
// letters and digits (bytes of multi-byte UTF-8 sequences count as letters).
std::vector<std::string> lexical_words(std::string_view text);
// Common English words ("the", "how", "does"): they say little about what a text is about.
bool is_stopword(std::string_view word);

}  // namespace paios
