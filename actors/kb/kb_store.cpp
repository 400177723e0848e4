#include "actors/kb/kb_store.hpp"

#include <chrono>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/supervisor/supervisor.hpp"
#include "core/http/http_client.hpp"
#include "core/kb/embed_cache.hpp"
#include "core/kb/embedder.hpp"
#include "core/kb/http_embedder.hpp"
#include "core/kb/kb_db.hpp"
#include "core/obs/event_sink.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/json_writer.hpp"

namespace paios {
namespace {

using reply = caf::result<std::string, std::string, std::string>;
using steady = std::chrono::steady_clock;

// How long searches leave out vectors after the provider failed one: a provider that is down would otherwise
// make every search wait out its retries.
constexpr auto kKeywordsOnlyFor = std::chrono::seconds(30);
constexpr auto kReembedRetry = std::chrono::seconds(5);
constexpr int kLogEveryFailures = 60;  // a provider down for long: one line every 5 minutes, not every 5 s

struct kb_state {
  kb_store_options opts;
  std::unique_ptr<embedder> embed;
  http_embedder* http = nullptr;  // the provider, when it is an http one
  std::unique_ptr<kb_db> db;
  bool reembedding = false;
  bool maintaining = false;       // a tick is on its way: re-embedding, then the HNSW graph
  std::int64_t index_started_ms = 0;
  int reembed_failures = 0;       // in a row
  steady::time_point keywords_only_until{};
  std::string cache_error;        // the last one logged, its message
  static inline const char* name = "kb_store";
};

using kb_actor = kb_store_actor::stateful_pointer<kb_state>;

reply ok(std::string body) { return reply{std::string{}, std::string{}, std::move(body)}; }
reply fail(errc code, std::string message) { return reply{std::string{to_string(code)}, std::move(message), std::string{}}; }

// The span of one operation, in a trace of its own (the bridge's request span is its sibling there).
void trace_op(std::string_view action, std::int64_t started_us, std::string_view status, std::string data) {
  emit_span("kb", action, new_trace(), 0, 0, started_us, now_us(), status, std::move(data));
}

std::string article_json(const kb_article& a, bool with_content) {
  json_array tags;
  for (auto& t : a.tags) tags.str(t);
  json_object o;
  o.str("article_id", a.id).str("title", a.title).str("source", a.source).str("kind", a.kind);
  o.str("brain", a.brain).str("session", a.session).str("project", a.project).str("topic", a.topic);
  o.raw("tags", tags.done()).raw("meta", a.meta_json.empty() ? "{}" : a.meta_json).str("content_hash", a.content_hash);
  o.num("created_ms", a.created_ms).num("updated_ms", a.updated_ms).num("chunks", static_cast<std::int64_t>(a.chunks));
  if (with_content) o.str("content", a.content);
  return o.done();
}

std::unique_ptr<embedder> make_embedder(const kb_store_options& o, http_embedder*& http) {
  http = nullptr;
  if (o.provider != "http") return std::make_unique<local_embedder>(o.dimensions);
  auto opts = o.http;
  opts.dimensions = o.dimensions;
  std::unique_ptr<embed_cache> cache;
  if (!o.cache_file.empty() && o.cache_entries > 0) {
    if (auto opened = embed_cache::open(o.cache_file, o.cache_entries)) cache = std::move(*opened);
    else spdlog::warn("kb_store: embedding without a cache: {}", opened.message());
  }
  auto e = std::make_unique<http_embedder>(std::move(opts), std::move(cache));
  spdlog::info("kb_store: embedding with {} at {}{}", e->model(), redact_url(e->endpoint()),
               e->cache() ? " (cache: " + e->cache()->file().string() + ", " + std::to_string(e->cache()->size()) + " vectors)"
                          : std::string{" (no cache)"});
  http = e.get();
  return e;
}

// A cache that fails is skipped, not fatal; say so once per new error.
void log_cache_error(kb_state& st) {
  if (!st.http || st.http->cache_error() || st.http->cache_error().message() == st.cache_error) return;
  st.cache_error = st.http->cache_error().message();
  spdlog::warn("kb_store: the embedding cache failed, going on without it for that call: {}", st.cache_error);
}

// kb_db::stats(), or on a failure to read them zeros and the model (for the log lines that quote them).
kb_stats stats_or_zero(kb_state& st) {
  if (auto s = st.db->stats()) return std::move(*s);
  kb_stats zero;
  zero.model = st.embed->model();
  zero.dimensions = st.embed->dimensions();
  return zero;
}

void schedule_reembed(kb_actor self) {
  auto& st = self->state;
  st.reembedding = true;
  if (st.maintaining) return;
  st.maintaining = true;
  self->send(self, tick_atom::value);
}

// The HNSW graph is built between requests once the passages pass the threshold (kb_db starts it).
void schedule_index(kb_actor self) {
  auto& st = self->state;
  if (!st.db->index_pending()) return;
  if (st.index_started_ms == 0) {
    st.index_started_ms = now_ms();
    spdlog::info("kb_store: building the HNSW graph of {} passages in the background; the exact scan answers meanwhile",
                 stats_or_zero(st).chunks);
  }
  if (st.maintaining) return;
  st.maintaining = true;
  self->send(self, tick_atom::value);
}

reply add(kb_actor self, kb_request& r) {
  const auto started = now_us();
  kb_article_input in;
  in.title = std::move(r.title);
  in.source = std::move(r.source);
  in.kind = r.kind.empty() ? "document" : std::move(r.kind);
  in.brain = std::move(r.brain);
  in.session = std::move(r.session);
  in.project = std::move(r.project);
  in.topic = std::move(r.topic);
  in.tags = std::move(r.tags);
  in.format = std::move(r.format);
  in.content = std::move(r.content);
  const auto source = in.source;
  const auto kind = in.kind;  // the daily report counts the entries added by kind
  auto& st = self->state;
  auto res = st.db->add(std::move(in));
  log_cache_error(st);
  // A provider that failed an add would fail the searches after it too; one that answered is back.
  if (!res && res.code() == errc::brain_unavailable) st.keywords_only_until = steady::now() + kKeywordsOnlyFor;
  else if (res) st.keywords_only_until = {};
  if (!res) {  // store_failed whatever the cause, the provider's included: nothing was stored
    trace_op("add", started, "store_failed", json_object{}.str("source", source).str("error", res.message()).done());
    return fail(errc::store_failed, "the article could not be stored: " + res.message());
  }
  json_array flags;
  for (const auto& f : res->flags) flags.str(f);
  auto body = json_object{}
                  .str("article_id", res->id)
                  .boolean("added", res->added)
                  .str("replaced", res->replaced)
                  .num("chunks", static_cast<std::int64_t>(res->chunks))
                  .raw("flags", flags.done())
                  .done();
  trace_op("add", started, "ok", json_object::extend(body).str("source", source).str("kind", kind).done());
  schedule_index(self);
  return ok(std::move(body));
}

reply search(kb_actor self, const kb_request& r) {
  const auto started = now_us();
  auto& st = self->state;
  kb_query q;
  q.text = r.query;
  q.k = r.k;
  q.kind = r.kind;
  q.project = r.project;
  q.vector_weight = st.opts.vector_weight;
  q.keyword_weight = st.opts.keyword_weight;
  q.recency_half_life_days = st.opts.recency_half_life_days;
  q.mmr_lambda = st.opts.mmr_lambda;
  // Keywords alone while the provider is down (kb_db embeds the query only when vectors weigh something).
  auto keywords_only = [&q] {
    q.vector_weight = 0;
    if (q.keyword_weight <= 0) q.keyword_weight = 1;
  };
  bool degraded = steady::now() < st.keywords_only_until;
  if (degraded) keywords_only();
  auto hits = st.db->search(q);
  log_cache_error(st);
  if (!hits && hits.code() == errc::brain_unavailable) {  // the provider, not the store
    spdlog::warn("kb_store: searching by keywords alone for {} s: {}", kKeywordsOnlyFor.count(), hits.message());
    st.keywords_only_until = steady::now() + kKeywordsOnlyFor;
    degraded = true;
    keywords_only();
    hits = st.db->search(q);
  }
  if (!hits) {
    trace_op("search", started, "store_failed", json_object{}.str("error", hits.message()).done());
    return fail(errc::store_failed, "the search failed: " + hits.message());
  }
  json_array results;
  for (auto& h : *hits)
    results.raw(json_object{}
                    .str("article_id", h.article_id)
                    .str("title", h.title)
                    .str("source", h.source)
                    .str("kind", h.kind)
                    .str("project", h.project)
                    .str("brain", h.brain)
                    .num("chunk", h.chunk)
                    .real("score", std::round(h.score * 10000) / 10000)
                    .real("vector_score", std::round(h.vector_score * 10000) / 10000)
                    .real("keyword_score", std::round(h.keyword_score * 10000) / 10000)
                    .num("updated_ms", h.updated_ms)
                    .str("passage", h.passage)
                    .done());
  trace_op(r.kind == "learning" ? "recall" : "search", started, "ok",
           json_object{}
               .num("results", static_cast<std::int64_t>(hits->size()))
               .num("k", r.k)
               .boolean("keywords_only", degraded)
               .done());
  return ok(json_object{}.raw("results", results.done()).done());
}

std::string stats_json(kb_actor self) {
  auto got = self->state.db->stats();
  const auto s = got ? *got : stats_or_zero(self->state);
  json_object kinds;
  for (auto& [k, n] : s.by_kind) kinds.num(k, n);
  json_object o;
  o.num("articles", s.articles).num("chunks", s.chunks).num("bytes", s.bytes).raw("by_kind", kinds.done());
  o.str("model", s.model).num("dimensions", static_cast<std::int64_t>(s.dimensions)).num("pending_reembed", s.pending_reembed);
  o.str("index", s.index).num("pending_index", s.pending_index);
  o.real("vector_weight", self->state.opts.vector_weight).real("keyword_weight", self->state.opts.keyword_weight);
  if (!got) o.str("error", got.message());
  return o.done();
}

kb_store_actor::behavior_type kb_behavior(kb_actor self, kb_store_options opts) {
  guard_actor(self, "kb_store");
  auto& st = self->state;
  st.opts = std::move(opts);
  st.embed = make_embedder(st.opts, st.http);
  auto db = kb_db::open(st.opts.file, *st.embed, st.opts.index);
  if (!db) {
    spdlog::error("kb_store: {}", db.message());
    self->quit(caf::make_error(caf::sec::runtime_error, db.message()));
    return kb_store_actor::behavior_type::make_empty_behavior();
  }
  st.db = std::move(*db);
  const auto stats = stats_or_zero(st);
  spdlog::info("kb_store: opened {} ({} articles, {} chunks, {})", st.opts.file.string(), stats.articles, stats.chunks,
               stats.model);
  if (stats.pending_reembed > 0) {
    spdlog::info("kb_store: re-embedding {} chunks with {} in the background", stats.pending_reembed, stats.model);
    schedule_reembed(self);
  }
  schedule_index(self);
  return {
      [=](kb_add_atom, kb_request& r) { return add(self, r); },
      [=](kb_search_atom, const kb_request& r) { return search(self, r); },
      [=](kb_get_atom, const kb_request& r) -> reply {
        auto a = self->state.db->get(r.id);
        if (!a) return fail(a.code(), "reading the article failed: " + a.message());
        if (!*a) return fail(errc::not_found, "no article " + r.id + " in the knowledge base");
        return ok(json_object{}.raw("article", article_json(**a, true)).done());
      },
      [=](kb_rm_atom, const kb_request& r) -> reply {
        const auto started = now_us();
        auto removed = self->state.db->remove(r.id);
        if (!removed) return fail(removed.code(), "removing the article failed: " + removed.message());
        trace_op("rm", started, *removed ? "ok" : "not_found", json_object{}.str("article_id", r.id).done());
        if (!*removed) return fail(errc::not_found, "no article " + r.id + " in the knowledge base");
        return ok(json_object{}.str("article_id", r.id).boolean("removed", true).done());
      },
      [=](list_atom, const kb_request& r, int limit) -> reply {
        auto list = self->state.db->list(limit, r.kind);
        if (!list) return fail(list.code(), "listing failed: " + list.message());
        json_array out;
        for (auto& a : *list) out.raw(article_json(a, false));
        return ok(json_object{}.raw("articles", out.done()).done());
      },
      [=](status_atom) { return stats_json(self); },
      [=](tick_atom) {
        auto& st = self->state;
        auto left = st.db->reembed_step(st.opts.reembed_batch);
        log_cache_error(st);
        if (!left) {
          // Search goes on meanwhile: with the keywords of every passage and the vectors already made.
          if (++st.reembed_failures % kLogEveryFailures == 1)
            spdlog::error("kb_store: re-embedding: {}; trying again every {} s", left.message(), kReembedRetry.count());
          self->delayed_send(self, kReembedRetry, tick_atom::value);
          return;
        }
        if (st.reembed_failures > 0) {
          spdlog::info("kb_store: re-embedding goes on after {} failed tries", st.reembed_failures);
          st.reembed_failures = 0;
          st.keywords_only_until = {};
        }
        if (*left == 0 && st.reembedding) {
          st.reembedding = false;
          spdlog::info("kb_store: re-embedding done");
        }
        // One batch at a time: requests that arrived meanwhile are answered between batches.
        if (*left > 0) {
          self->send(self, tick_atom::value);
          return;
        }
        auto building = st.db->index_step(st.opts.index_batch);
        if (building && *building > 0) {
          self->send(self, tick_atom::value);
          return;
        }
        st.maintaining = false;
        if (!building) spdlog::error("kb_store: the HNSW graph is built but could not be saved: {}", building.message());
        if (st.index_started_ms > 0) {
          spdlog::info("kb_store: the HNSW graph of {} passages is built ({} ms); searches use it",
                       stats_or_zero(st).chunks, now_ms() - st.index_started_ms);
          st.index_started_ms = 0;
        }
      },
  };
}

}  // namespace

kb_store_actor spawn_kb_store(caf::actor_system& sys, kb_store_options opts) {
  return sys.spawn<caf::detached>(kb_behavior, std::move(opts));
}

}  // namespace paios
