#include "core/kb/vector_index.hpp"

#include <algorithm>
#include <unordered_map>

namespace paios {

// `omp simd` (no OpenMP runtime, only -fopenmp-simd) lets the compiler reorder the additions, so that it uses
// every lane of the vector registers.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=haswell", "default")))
#endif
float dot(const float* a, const float* b, std::size_t n) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

std::vector<vector_hit> best_of(std::vector<vector_hit> scored, std::size_t n) {
  const auto take = std::min(n, scored.size());
  auto better = [](const vector_hit& a, const vector_hit& b) { return a.score != b.score ? a.score > b.score : a.id < b.id; };
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(take), scored.end(), better);
  scored.resize(take);
  return scored;
}

namespace {

// Row r is matrix_[r * dims_, (r + 1) * dims_); a removal moves the last row into the hole.
class exact_index final : public vector_index {
 public:
  explicit exact_index(std::size_t dimensions) : dims_(dimensions) {}
  const char* kind() const override { return "exact"; }
  std::size_t dimensions() const override { return dims_; }
  std::size_t size() const override { return ids_.size(); }

  void put(std::int64_t id, std::uint32_t tag, const float* v) override {
    if (auto it = row_of_.find(id); it != row_of_.end()) {
      std::copy_n(v, dims_, &matrix_[it->second * dims_]);
      tags_[it->second] = tag;
      return;
    }
    row_of_[id] = ids_.size();
    ids_.push_back(id);
    tags_.push_back(tag);
    matrix_.insert(matrix_.end(), v, v + dims_);
  }

  void erase_tag(std::uint32_t tag) override {
    for (std::size_t r = 0; r < ids_.size();) {
      if (tags_[r] != tag) {
        ++r;
        continue;
      }
      const auto last = ids_.size() - 1;
      row_of_.erase(ids_[r]);
      if (r != last) {
        ids_[r] = ids_[last];
        tags_[r] = tags_[last];
        row_of_[ids_[r]] = r;
        std::copy_n(&matrix_[last * dims_], dims_, &matrix_[r * dims_]);
      }
      ids_.pop_back();
      tags_.pop_back();
      matrix_.resize(ids_.size() * dims_);
    }
  }

  const float* find(std::int64_t id) const override {
    auto it = row_of_.find(id);
    return it == row_of_.end() ? nullptr : &matrix_[it->second * dims_];
  }

  bool tag_of(std::int64_t id, std::uint32_t& tag) const override {
    auto it = row_of_.find(id);
    if (it == row_of_.end()) return false;
    tag = tags_[it->second];
    return true;
  }

  std::vector<vector_hit> nearest(const float* query, std::size_t n, const tag_filter& allowed) const override {
    std::vector<vector_hit> scored;
    scored.reserve(ids_.size());
    for (std::size_t r = 0; r < ids_.size(); ++r)
      if (allowed.empty() || (tags_[r] < allowed.size() && allowed[tags_[r]]))
        scored.push_back({dot(query, &matrix_[r * dims_], dims_), ids_[r]});
    return best_of(std::move(scored), n);
  }

  void for_each(const std::function<void(std::int64_t, std::uint32_t, const float*)>& f) const override {
    for (std::size_t r = 0; r < ids_.size(); ++r) f(ids_[r], tags_[r], &matrix_[r * dims_]);
  }

 private:
  std::size_t dims_;
  std::vector<float> matrix_;
  std::vector<std::int64_t> ids_;
  std::vector<std::uint32_t> tags_;
  std::unordered_map<std::int64_t, std::size_t> row_of_;
};

}  // namespace

std::unique_ptr<vector_index> make_exact_index(std::size_t dimensions) { return std::make_unique<exact_index>(dimensions); }

}  // namespace paios
