#include "actors/obs/obs_store.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/supervisor/supervisor.hpp"
#include "core/obs/event_sink.hpp"
#include "core/obs/obs_db.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"
#include "messages/redact.hpp"

namespace paios {
namespace {

constexpr std::int64_t kRetentionEveryMs = 60'000;
constexpr std::size_t kKeepCapacity = 4096;  // events' room kept between batches

struct obs_state {
  obs_store_options opts;
  std::unique_ptr<obs_db> db;
  event_batch batch;  // drained from the sink, or kept from a failed write
  std::uint64_t stored = 0, batches = 0, failed_batches = 0;
  std::uint64_t overflow = 0;  // events given up after failed writes (the sink counts what it refused)
  std::string last_error;
  std::int64_t next_retention_ms = 0;
  static inline const char* name = "obs_store";

  // Stopping: what the sink still holds is written, so that an orderly shutdown loses no event.
  ~obs_state() {
    if (!db || !opts.sink) return;
    opts.sink->drain(batch);
    if (!batch.empty()) (void)db->insert(batch);  // nobody is left to tell
  }
};

using obs_actor = obs_store_actor::stateful_pointer<obs_state>;

// Writes what the sink holds (after any batch kept from a failed write); "" or the error. Secrets never
// reach the disk: each event's data goes through the redactor on its way in.
std::string write_pending(obs_actor self) {
  auto& st = self->state;
  const auto kept = st.batch.size();
  if (auto dropped = st.opts.sink->drain(st.batch); dropped > 0)
    spdlog::warn("obs_store: {} events were dropped: the queue was full ({} events)", dropped, st.opts.sink->capacity());
  if (st.batch.size() == kept && kept == 0) return {};
  std::vector<std::pair<std::size_t, std::string>> redacted;
  std::string out;
  for (auto i = kept; i < st.batch.size(); ++i)
    if (redact_json_into(st.batch.data(i), out)) redacted.emplace_back(i, std::move(out));
  st.batch.replace_data(redacted);
  if (auto failed = st.db->insert(st.batch); !failed) {
    const auto& err = failed.message();
    ++st.failed_batches;
    if (err != st.last_error) spdlog::error("obs_store: {} events not written yet: {}", st.batch.size(), err);
    st.last_error = err;
    // Kept for the next tick, but never more than the queue's capacity: beyond it the oldest go (counted).
    if (st.batch.size() > st.opts.sink->capacity()) {
      auto excess = st.batch.size() - st.opts.sink->capacity();
      st.batch.erase_front(excess);
      st.overflow += excess;
    }
    return err;
  }
  st.stored += st.batch.size();
  ++st.batches;
  st.batch.clear();
  // The buffer goes back to the sink at the next drain; one that grew with a backlog is given back to the
  // allocator instead, so that a burst does not stay resident.
  st.batch.shrink_beyond(kKeepCapacity);
  return {};
}

void retention(obs_actor self) {
  auto& st = self->state;
  auto now = now_ms();
  if (now < st.next_retention_ms) return;
  st.next_retention_ms = now + kRetentionEveryMs;
  std::int64_t older = st.opts.retention_days > 0 ? now_us() - std::int64_t{st.opts.retention_days} * 86'400'000'000 : 0;
  auto removed = st.db->prune(older, st.opts.max_mb * 1024 * 1024);
  if (!removed) spdlog::error("obs_store: retention: {}", removed.message());
  else if (*removed > 0) spdlog::info("obs_store: retention removed {} events", *removed);
}

obs_store_actor::behavior_type obs_behavior(obs_actor self, obs_store_options opts) {
  guard_actor(self, "obs_store");
  auto& st = self->state;
  st.opts = std::move(opts);
  auto opened = obs_db::open(st.opts.file, st.opts.synchronous_full);
  if (!opened) {
    spdlog::error("obs_store: {}", opened.message());
    self->quit(caf::make_error(caf::sec::runtime_error, opened.message()));
    return obs_store_actor::behavior_type::make_empty_behavior();
  }
  st.db = std::move(*opened);
  spdlog::info("obs_store: opened {}", st.opts.file.string());
  // A full batch is written at once: the sink wakes this actor (a weak handle: it never keeps it alive).
  caf::actor_addr weak = self->address();
  st.opts.sink->on_batch([weak] {
    if (auto a = caf::actor_cast<obs_store_actor>(weak)) caf::anon_send(a, flush_atom::value);
  });
  st.next_retention_ms = now_ms();  // once at start, then every minute
  self->send(self, tick_atom::value);
  return {
      [=](flush_atom) { write_pending(self); },
      [=](tick_atom) {
        write_pending(self);
        retention(self);
        self->delayed_send(self, std::chrono::milliseconds{self->state.opts.flush_ms}, tick_atom::value);
      },
      [=](publish_atom, event_record& e) {
        auto& st = self->state;
        if (std::string out; redact_json_into(e.data_json, out)) e.data_json = std::move(out);
        // Everything queued before it goes first, so the store's order is the order of arrival.
        write_pending(self);
        event_batch one;
        one.push(std::move(e));
        auto written = st.db->insert(one);
        if (written) ++st.stored;
        return std::make_tuple(written.message(), one[0].seq);
      },
      [=](query_atom, const event_query& q) {
        write_pending(self);  // a query sees every event emitted before it
        auto rs = self->state.db->query(q);
        return std::make_tuple(rs.message(), rs ? std::move(*rs) : std::vector<event_record>{});
      },
      [=](trace_atom, const trace_id& t) {
        write_pending(self);
        auto rs = self->state.db->trace(t);
        return std::make_tuple(rs.message(), rs ? std::move(*rs) : std::vector<event_record>{});
      },
      [=](score_atom, const score_record& s) { return self->state.db->save_score(s).message(); },
      [=](score_atom, const std::string& target) {
        auto s = self->state.db->score(target);
        auto found = s ? std::move(*s) : std::nullopt;  // an error reads as no score, as before
        return std::make_tuple(found.has_value(), found.value_or(score_record{}));
      },
      [=](status_atom) {
        auto& st = self->state;
        return nlohmann::json{{"stored", st.stored},
                              {"dropped", st.opts.sink->dropped() + st.overflow},
                              {"queued", st.opts.sink->depth() + st.batch.size()},
                              {"capacity", st.opts.sink->capacity()},
                              {"batches", st.batches},
                              {"failed_batches", st.failed_batches},
                              {"bytes", st.db->used_bytes()},
                              {"last_error", st.last_error}}
            .dump();
      },
  };
}

}  // namespace

obs_store_actor spawn_obs_store(caf::actor_system& sys, obs_store_options opts) {
  return sys.spawn<caf::detached>(obs_behavior, std::move(opts));
}

}  // namespace paios
