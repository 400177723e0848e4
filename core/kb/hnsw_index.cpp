#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

// hnswlib's own SIMD kernels are chosen at compile time (SSE for a portable build); the space below uses
// the project's dot product instead, which picks AVX2 at load time where the processor has it.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include "core/kb/vector_index.hpp"

namespace paios {
namespace {

// Inner-product distance (1 - cosine for normalized vectors), as hnswlib's InnerProductSpace, over dot().
class ip_space final : public hnswlib::SpaceInterface<float> {
 public:
  explicit ip_space(std::size_t dims) : dims_(dims) {}
  std::size_t get_data_size() override { return dims_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &distance; }
  void* get_dist_func_param() override { return &dims_; }

 private:
  static float distance(const void* a, const void* b, const void* dims) {
    return 1.0f - dot(static_cast<const float*>(a), static_cast<const float*>(b), *static_cast<const std::size_t*>(dims));
  }
  std::size_t dims_;
};

using graph_type = hnswlib::HierarchicalNSW<float>;

}  // namespace

struct hnsw_index::impl {
  explicit impl(std::size_t dims, hnsw_options o) : space(dims), dims(dims), opts(o) {}
  ip_space space;  // before graph: the graph points into it
  std::unique_ptr<graph_type> graph;
  std::size_t dims;
  hnsw_options opts;
  std::vector<std::uint32_t> tags;  // by the graph's internal id

  bool live(hnswlib::tableint i) const { return !graph->isMarkedDeleted(i); }
};

hnsw_index::hnsw_index(std::unique_ptr<impl> p) : p_(std::move(p)) {}
hnsw_index::~hnsw_index() = default;

std::unique_ptr<hnsw_index> hnsw_index::create(std::size_t dimensions, std::size_t capacity, hnsw_options opts) {
  auto p = std::make_unique<impl>(dimensions, opts);
  p->graph = std::make_unique<graph_type>(&p->space, std::max<std::size_t>(capacity, 1024), opts.m, opts.ef_construction);
  return std::unique_ptr<hnsw_index>(new hnsw_index(std::move(p)));
}

expected<std::unique_ptr<hnsw_index>> hnsw_index::load(const std::string& file, std::size_t dimensions,
                                                       hnsw_options opts) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return status{errc::not_found, file + " does not exist"};
  auto p = std::make_unique<impl>(dimensions, opts);
  try {
    p->graph = std::make_unique<graph_type>(&p->space, file);
  } catch (const std::exception& e) {
    return status{errc::store_failed, file + ": " + e.what()};
  }
  // The file records where each element's label sits after its vector: that gap is the vector's size.
  if (p->graph->label_offset_ - p->graph->offsetData_ != dimensions * sizeof(float))
    return status{errc::store_failed, file + " holds vectors of " +
                                          std::to_string((p->graph->label_offset_ - p->graph->offsetData_) / sizeof(float)) +
                                          " dimensions, not " + std::to_string(dimensions)};
  // hnswlib 0.6.2 counts the deleted elements of a loaded file onto an uninitialized counter: count again.
  p->graph->num_deleted_ = 0;
  for (hnswlib::tableint i = 0; i < p->graph->cur_element_count; ++i) p->graph->num_deleted_ += p->graph->isMarkedDeleted(i);
  p->tags.assign(p->graph->cur_element_count, 0);
  return std::unique_ptr<hnsw_index>(new hnsw_index(std::move(p)));
}

status hnsw_index::save(const std::string& file) const {
  const std::string tmp = file + ".tmp";
  try {
    p_->graph->saveIndex(tmp);
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    return {errc::store_failed, "cannot write " + tmp + ": " + e.what()};
  }
  std::error_code ec;
  const auto written = std::filesystem::file_size(tmp, ec);
  if (ec || written < p_->graph->cur_element_count * p_->graph->size_data_per_element_) {
    std::remove(tmp.c_str());
    return {errc::store_failed, "cannot write " + tmp + ": the file is shorter than the index (disk full?)"};
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return {errc::store_failed, "cannot rename " + tmp + " to " + file + ": " + ec.message()};
  }
  return {};
}

bool hnsw_index::set_tag(std::int64_t id, std::uint32_t tag) {
  auto it = p_->graph->label_lookup_.find(static_cast<hnswlib::labeltype>(id));
  if (it == p_->graph->label_lookup_.end() || !p_->live(it->second)) return false;
  p_->tags[it->second] = tag;
  return true;
}

std::size_t hnsw_index::deleted() const { return p_->graph->num_deleted_; }
std::size_t hnsw_index::dimensions() const { return p_->dims; }
std::size_t hnsw_index::size() const { return p_->graph->cur_element_count - p_->graph->num_deleted_; }

void hnsw_index::put(std::int64_t id, std::uint32_t tag, const float* v) {
  auto& g = *p_->graph;
  if (g.label_lookup_.count(static_cast<hnswlib::labeltype>(id)) == 0 && g.cur_element_count == g.max_elements_)
    g.resizeIndex(g.max_elements_ * 2);
  const auto internal = g.addPoint(v, static_cast<hnswlib::labeltype>(id), -1);  // replaces (and revives) an existing one
  if (internal >= p_->tags.size()) p_->tags.resize(internal + 1);
  p_->tags[internal] = tag;
}

void hnsw_index::erase_tag(std::uint32_t tag) {
  auto& g = *p_->graph;
  for (hnswlib::tableint i = 0; i < g.cur_element_count; ++i)
    if (p_->tags[i] == tag && p_->live(i)) g.markDeletedInternal(i);
}

const float* hnsw_index::find(std::int64_t id) const {
  auto it = p_->graph->label_lookup_.find(static_cast<hnswlib::labeltype>(id));
  if (it == p_->graph->label_lookup_.end() || !p_->live(it->second)) return nullptr;
  return reinterpret_cast<const float*>(p_->graph->getDataByInternalId(it->second));
}

bool hnsw_index::tag_of(std::int64_t id, std::uint32_t& tag) const {
  auto it = p_->graph->label_lookup_.find(static_cast<hnswlib::labeltype>(id));
  if (it == p_->graph->label_lookup_.end() || !p_->live(it->second)) return false;
  tag = p_->tags[it->second];
  return true;
}

std::vector<vector_hit> hnsw_index::nearest(const float* query, std::size_t n, const tag_filter& allowed) const {
  auto& g = *p_->graph;
  const std::size_t live = size();
  if (live == 0 || n == 0) return {};
  auto allows = [&](hnswlib::tableint i) {
    const auto t = p_->tags[i];
    return allowed.empty() || (t < allowed.size() && allowed[t]);
  };
  std::size_t want = n;
  if (!allowed.empty()) {
    std::size_t passing = 0;
    for (hnswlib::tableint i = 0; i < g.cur_element_count; ++i) passing += allows(i) && p_->live(i);
    if (passing == 0) return {};
    // A narrow filter (a fifth of the passages or fewer): the graph's neighbourhood would hold few of them,
    // and scanning just those is cheap.
    if (passing * 5 <= live) {
      std::vector<vector_hit> scored;
      scored.reserve(passing);
      for (hnswlib::tableint i = 0; i < g.cur_element_count; ++i)
        if (allows(i) && p_->live(i))
          scored.push_back({dot(query, reinterpret_cast<const float*>(g.getDataByInternalId(i)), p_->dims),
                            static_cast<std::int64_t>(g.getExternalLabel(i))});
      return best_of(std::move(scored), n);
    }
    // A wide one: ask the graph for enough that n of them pass, as the share that passes predicts.
    want = std::min(live, n * live / passing * 2);
  }
  g.setEf(std::max(want, p_->opts.ef_search));
  auto found = g.searchKnn(query, want);
  std::vector<vector_hit> hits;
  hits.reserve(found.size());
  for (; !found.empty(); found.pop()) {
    const auto [distance, label] = found.top();
    const auto internal = g.label_lookup_.at(label);
    if (allows(internal)) hits.push_back({1.0f - distance, static_cast<std::int64_t>(label)});
  }
  return best_of(std::move(hits), n);
}

void hnsw_index::for_each(const std::function<void(std::int64_t, std::uint32_t, const float*)>& f) const {
  auto& g = *p_->graph;
  for (hnswlib::tableint i = 0; i < g.cur_element_count; ++i)
    if (p_->live(i))
      f(static_cast<std::int64_t>(g.getExternalLabel(i)), p_->tags[i], reinterpret_cast<const float*>(g.getDataByInternalId(i)));
}

}  // namespace paios
