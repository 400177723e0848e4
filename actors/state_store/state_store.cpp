#include "actors/state_store/state_store.hpp"

#include <variant>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/state_store/state_db.hpp"
#include "actors/supervisor/supervisor.hpp"
#include "messages/caf_types.hpp"

namespace paios {
namespace {

struct pending_write {
  std::variant<task_record, event_record> item;
  bool is_new = false;
  caf::response_promise promise;
};

struct store_state {
  std::unique_ptr<state_db> db;
  std::vector<pending_write> pending;
  bool flush_scheduled = false;
  static inline const char* name = "state_store";
};

using store_actor = caf::stateful_actor<store_state>;

// Commits every pending write in one transaction, then answers each. A failed write fails the whole batch
// (rolled back) so that no acknowledgement is ever given for something not on disk.
void flush(store_actor* self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty()) return;
  auto batch = std::move(st.pending);
  st.pending.clear();
  std::string err = st.db->begin();
  for (auto& w : batch) {
    if (!err.empty()) break;
    if (auto* t = std::get_if<task_record>(&w.item))
      err = w.is_new ? st.db->insert_task(*t) : st.db->update_task(*t);
    else
      err = st.db->insert_event(std::get<event_record>(w.item));
  }
  if (err.empty()) err = st.db->commit();
  if (!err.empty()) {
    st.db->rollback();
    spdlog::error("state_store: a batch of {} writes failed and was rolled back: {}", batch.size(), err);
  }
  for (auto& w : batch) w.promise.deliver(err);
}

caf::result<std::string> enqueue(store_actor* self, pending_write w) {
  auto& st = self->state;
  auto promise = self->make_response_promise<std::string>();
  w.promise = promise;
  st.pending.push_back(std::move(w));
  if (!st.flush_scheduled) {
    // The flush message queues behind every write already in the mailbox: they all join this batch.
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
  return promise;
}

caf::behavior store_behavior(store_actor* self, state_store_options opts) {
  guard_actor(self, "state_store");
  std::string error;
  self->state.db = state_db::open(opts.file, opts.synchronous_full, error);
  if (!self->state.db) {
    spdlog::error("state_store: {}", error);
    self->quit(caf::make_error(caf::sec::runtime_error, error));
    return {};
  }
  spdlog::info("state_store: opened {}", opts.file.string());
  return {
      [=](persist_atom, task_record& r, bool is_new) {
        return enqueue(self, pending_write{std::move(r), is_new, {}});
      },
      [=](publish_atom, event_record& e) { return enqueue(self, pending_write{std::move(e), true, {}}); },
      [=](flush_atom) { flush(self); },
      [=](get_atom, const std::string& id) {
        std::string err;
        auto r = self->state.db->get_task(id, err);
        if (!err.empty()) spdlog::error("state_store: reading task {}: {}", id, err);
        return caf::make_message(r.has_value(), r.value_or(task_record{}));
      },
      [=](list_atom, int limit, const std::string& state) {
        std::string err;
        auto filter = state.empty() ? std::nullopt : task_state_from_string(state);
        auto rs = self->state.db->list_tasks(limit, filter, err);
        if (!err.empty()) spdlog::error("state_store: listing tasks: {}", err);
        return rs;
      },
      [=](recover_atom) {
        std::string err;
        auto rs = self->state.db->recover(opts.redispatch_running, err);
        if (!err.empty()) spdlog::error("state_store: recovery: {}", err);
        return rs;
      },
  };
}

}  // namespace

caf::actor spawn_state_store(caf::actor_system& sys, state_store_options opts) {
  return sys.spawn(store_behavior, std::move(opts));
}

}  // namespace paios
