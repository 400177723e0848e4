#include "actors/state_store/state_store.hpp"

#include <algorithm>
#include <unordered_map>
#include <variant>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "actors/supervisor/supervisor.hpp"
#include "core/obs/event_sink.hpp"
#include "core/state/held_tasks.hpp"
#include "core/state/pipeline_records.hpp"
#include "core/state/state_db.hpp"
#include "messages/caf_types.hpp"
#include "messages/ids.hpp"

namespace paios {
namespace {

// A write that finds state.sqlite locked by another process waits this long before the batch goes to the task
// journal instead: a submission never hangs for the length of someone else's transaction.
constexpr auto kBusyWait = std::chrono::milliseconds(250);
// While writes are held, the database is tried again after this, doubling up to kApplyMaxMs.
constexpr std::int64_t kApplyFirstMs = 100;
constexpr std::int64_t kApplyMaxMs = 5000;

// A folder that `ai watch add` added (or `ai watch rm` removed).
struct watch_folder_op {
  std::string path, classes;
  bool remove = false;
};

// The answer to a batch of task writes (persist_atom, std::vector<task_write>): one error per write, delivered
// once the last of them is committed (they all join the same transaction).
struct batch_reply {
  caf::typed_response_promise<std::vector<std::string>> promise;
  std::vector<std::string> errors;
  std::size_t left = 0;
};

// Where one write of a batch is answered: its slot in the batch's reply.
struct batch_slot {
  std::shared_ptr<batch_reply> reply;
  std::size_t index = 0;
};

// One row to write in the next batch. Writes of one task that meet in a batch become one row (its last
// record; an insert if the first was): they commit together anyway, and on a busy daemon a task's "running"
// and its outcome usually do. Each write's promise (or slot in a batch's reply) is kept, and each is answered.
struct pending_write {
  std::variant<task_record, breaker_record, rule_weight, job_run_row, job_state_row, pipeline_run_row,
               pipeline_step_row, watch_file_row, watch_folder_op>
      item;
  bool is_new = false;
  std::vector<caf::response_promise> promises;
  std::vector<batch_slot> slots;
  std::int64_t arrived_us = 0;  // of the first write

  std::size_t writes() const { return promises.size() + slots.size(); }
  void answer(const std::string& error) {
    for (auto& p : promises) p.deliver(error);
    for (auto& s : slots) {
      s.reply->errors[s.index] = error;
      if (--s.reply->left == 0) s.reply->promise.deliver(std::move(s.reply->errors));
    }
  }
};

struct batch_result {
  std::string failed;               // why the transaction as a whole failed ("" when it committed)
  std::vector<std::string> errors;  // each write's error, "" for success
};

// Writes a batch in one transaction and returns each write's error ("" for success). A write that fails on
// its own (a duplicate id, an unknown task) fails alone: SQLite undoes just that statement and the
// transaction goes on. A transaction that cannot begin or commit fails every write of the batch. Task writes
// are left out (and their errors empty) unless `with_tasks`; a batch with nothing to write does not begin.
batch_result commit_batch(state_db& db, const std::vector<pending_write>& batch, bool with_tasks) {
  batch_result out;
  auto& errors = out.errors;
  errors.resize(batch.size());
  const bool any = std::any_of(batch.begin(), batch.end(), [&](const pending_write& w) {
    return with_tasks || !std::holds_alternative<task_record>(w.item);
  });
  if (!any) return out;
  if (auto st = db.begin(); !st) {
    out.failed = st.message();
    std::fill(errors.begin(), errors.end(), st.message());
    return out;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& w = batch[i];
    status st;
    if (auto* t = std::get_if<task_record>(&w.item)) {
      if (with_tasks) st = w.is_new ? db.insert_task(*t) : db.update_task(*t);
    } else if (auto* b = std::get_if<breaker_record>(&w.item))
      st = db.save_breaker(*b, b->since_ms);
    else if (auto* run = std::get_if<job_run_row>(&w.item))
      st = db.save_job_run(*run);
    else if (auto* wf = std::get_if<watch_file_row>(&w.item))
      st = db.save_watch_file(*wf, now_ms());
    else if (auto* fo = std::get_if<watch_folder_op>(&w.item))
      st = fo->remove ? db.remove_watch_folder(fo->path) : db.save_watch_folder(fo->path, fo->classes, now_ms());
    else if (auto* js = std::get_if<job_state_row>(&w.item))
      st = db.save_job_state(*js, now_ms());
    else if (auto* pr = std::get_if<pipeline_run_row>(&w.item))
      st = db.save_pipeline_run(*pr);
    else if (auto* ps = std::get_if<pipeline_step_row>(&w.item))
      st = db.save_pipeline_step(*ps);
    else
      st = db.save_weight(std::get<rule_weight>(w.item));
    errors[i] = st.message();
  }
  if (auto st = db.commit(); !st) {
    db.rollback();
    out.failed = st.message();
    std::fill(errors.begin(), errors.end(), st.message());
  }
  return out;
}

// Writes a batch: to the database, and its task writes to the journal instead when the database refused the
// batch or is behind (writes are held). Returns each write's error, "" once it is durable in one or the other.
std::vector<std::string> write_batch(state_db& db, held_tasks& held, const std::vector<pending_write>& batch) {
  const bool behind = held.holding();
  auto result = commit_batch(db, batch, !behind);
  if (!behind && result.failed.empty()) return std::move(result.errors);
  std::vector<journal_entry> journaled;
  for (const auto& w : batch)
    if (auto* t = std::get_if<task_record>(&w.item)) journaled.push_back({*t, w.is_new});
  if (journaled.empty()) return std::move(result.errors);
  const auto why = behind ? std::string{"earlier task writes are still held"} : result.failed;
  auto held_ok = held.hold(journaled);
  const auto& err = held_ok.message();
  if (held_ok)
    spdlog::warn("state_store: {} task writes kept in the task journal: state.sqlite did not take them ({})",
                 journaled.size(), why);
  else
    spdlog::error("state_store: {} task writes failed: state.sqlite: {}; the task journal: {}", journaled.size(), why, err);
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (std::holds_alternative<task_record>(batch[i].item))
      result.errors[i] = err.empty() ? std::string{} : "state.sqlite: " + why + "; the task journal: " + err;
  return std::move(result.errors);
}

// A read's rows, or none when it failed, the error logged as "state_store: WHAT: why".
template <class Rows>
Rows rows_or_log(expected<Rows> read, const std::string& what) {
  if (read) return std::move(*read);
  spdlog::error("state_store: {}: {}", what, read.message());
  return Rows{};
}

struct store_state {
  std::unique_ptr<state_db> db;
  std::unique_ptr<held_tasks> held;  // task writes the database has not taken yet (core/state/held_tasks.hpp)
  std::vector<pending_write> pending;
  std::unordered_map<std::string, std::size_t> pending_tasks;  // task id -> its row in `pending`
  bool flush_scheduled = false;
  bool apply_scheduled = false;      // a retry_atom will try the held writes on the database again
  std::int64_t apply_delay_ms = kApplyFirstMs;
  static inline const char* name = "state_store";

  // Stopping with writes still waiting for their batch: they are written all the same (to the journal if the
  // database refuses them). Nobody is left to hear the answer, but what a client was told "accepted" is kept.
  ~store_state() {
    if (db && held && !pending.empty()) write_batch(*db, *held, pending);
  }
};

using store_actor = state_store_actor::stateful_pointer<store_state>;

// The scheduler's rows travel as JSON text (few, small, and no new type for the actor runtime to know).
nlohmann::json run_json(const job_run_row& r) {
  return {{"id", r.id},           {"job", r.job},         {"trigger", r.trigger}, {"started_ms", r.started_ms},
          {"ended_ms", r.ended_ms}, {"outcome", r.outcome}, {"trace_id", r.trace_id}, {"task_id", r.task_id},
          {"summary", r.summary}};
}
job_run_row run_row(const nlohmann::json& j) {
  return {j.value("id", ""),       j.value("job", ""),      j.value("trigger", ""),
          j.value("started_ms", std::int64_t{0}), j.value("ended_ms", std::int64_t{0}), j.value("outcome", ""),
          j.value("trace_id", ""), j.value("task_id", ""), j.value("summary", "")};
}

// The span of one task row written: from the arrival of its first write to the commit of its batch; "writes"
// counts the writes it joined.
void trace_write(const task_record& t, const pending_write& w, std::int64_t committed_us, const std::string& error) {
  auto trace = parse_trace_id(t.spec.trace_id);
  if (!trace) return;
  json_object data;
  data.str("task_id", t.spec.id).str("state", to_string(t.state)).str("store", "state");
  if (w.writes() > 1) data.num("writes", static_cast<std::int64_t>(w.writes()));
  if (!error.empty()) data.str("error", error);
  emit_span("task", "persist", *trace, 0, t.spec.span_id, w.arrived_us, committed_us,
            error.empty() ? "ok" : "store_failed", data.done());
}

// Held writes: the database is tried again after a backoff until it takes them all.
void schedule_apply(store_actor self) {
  auto& st = self->state;
  if (st.apply_scheduled || !st.held->holding()) return;
  st.apply_scheduled = true;
  self->delayed_send(self, std::chrono::milliseconds{st.apply_delay_ms}, retry_atom::value);
  st.apply_delay_ms = std::min(st.apply_delay_ms * 2, kApplyMaxMs);
}

void apply_held(store_actor self) {
  auto& st = self->state;
  st.apply_scheduled = false;
  const auto count = st.held->size();
  if (auto applied = st.held->apply(*st.db); !applied) {
    spdlog::warn("state_store: {} task writes are still held in the task journal: {}", count, applied.message());
    schedule_apply(self);
    return;
  }
  st.apply_delay_ms = kApplyFirstMs;
  if (count) spdlog::info("state_store: the {} task writes held in the task journal are in state.sqlite", count);
}

void flush(store_actor self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty()) return;
  auto batch = std::move(st.pending);
  st.pending.clear();
  st.pending_tasks.clear();
  auto errors = write_batch(*st.db, *st.held, batch);
  schedule_apply(self);
  const auto committed_us = now_us();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!errors[i].empty()) spdlog::error("state_store: a write failed: {}", errors[i]);
    batch[i].answer(errors[i]);
    if (auto* t = std::get_if<task_record>(&batch[i].item)) trace_write(*t, batch[i], committed_us, errors[i]);
  }
}

// Adds a write to the pending batch, answered through `promise` or `slot` (exactly one of them is set).
void add_pending(store_actor self, pending_write w, caf::response_promise* promise, batch_slot* slot) {
  auto& st = self->state;
  auto waiter = [&](pending_write& row) {
    if (promise) row.promises.push_back(std::move(*promise));
    else row.slots.push_back(std::move(*slot));
  };
  if (auto* t = std::get_if<task_record>(&w.item)) {
    auto [it, first] = st.pending_tasks.try_emplace(t->spec.id, st.pending.size());
    if (!first) {
      auto& row = st.pending[it->second];
      row.item = std::move(*t);
      waiter(row);
      return;
    }
  }
  waiter(w);
  w.arrived_us = now_us();
  st.pending.push_back(std::move(w));
  if (!st.flush_scheduled) {
    // The flush message queues behind every write already in the mailbox: they all join this batch.
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
}

caf::result<std::string> enqueue(store_actor self, pending_write w) {
  auto promise = self->make_response_promise<std::string>();
  caf::response_promise p = promise;
  add_pending(self, std::move(w), &p, nullptr);
  return promise;
}

caf::result<std::vector<std::string>> enqueue_tasks(store_actor self, std::vector<task_write>& writes) {
  auto promise = self->make_response_promise<std::vector<std::string>>();
  if (writes.empty()) return std::vector<std::string>{};
  auto reply = std::make_shared<batch_reply>();
  reply->promise = promise;
  reply->errors.resize(writes.size());
  reply->left = writes.size();
  for (std::size_t i = 0; i < writes.size(); ++i) {
    batch_slot slot{reply, i};
    add_pending(self, pending_write{std::move(writes[i].record), writes[i].is_new, {}, {}, 0}, nullptr, &slot);
  }
  return promise;
}

// The watchers' records travel as JSON text, like the scheduler's (messages/watch_file.hpp).
caf::result<std::string> watch_op(store_actor self, const std::string& op, const std::string& arg) {
  if (op == "file") {
    auto j = nlohmann::json::parse(arg, nullptr, false);
    if (!j.is_object()) return std::string{"a watched file's record is not a JSON object"};
    watch_file_row r;
    try {
      r = j.get<watch_file_row>();
    } catch (const nlohmann::json::exception& e) {
      return std::string{"a watched file's record has a member of the wrong type: "} + e.what();
    }
    return enqueue(self, pending_write{std::move(r), true, {}});
  }
  if (op == "add" || op == "rm") {
    auto j = nlohmann::json::parse(arg, nullptr, false);
    if (!j.is_object() || !j.contains("path")) return std::string{"a watched folder's record needs a path"};
    return enqueue(self, pending_write{watch_folder_op{j.value("path", ""), j.value("classes", ""), op == "rm"}, true, {}});
  }
  // Reads: what was written before them is committed first.
  flush(self);
  std::string err;
  nlohmann::json out = nlohmann::json::object();
  if (op == "files") {
    auto& files = out["files"] = nlohmann::json::array();
    auto rows = self->state.db->watch_files(arg);
    if (rows)
      for (const auto& r : *rows) files.push_back(r);
    err = rows.message();
  } else if (op == "folders") {
    auto& folders = out["folders"] = nlohmann::json::array();
    auto rows = self->state.db->watch_folders();
    if (rows)
      for (const auto& [path, classes] : *rows) folders.push_back({{"path", path}, {"classes", classes}});
    err = rows.message();
  } else {
    err = "unknown watch operation '" + op + "' (file, add, rm, files, folders)";
  }
  if (!err.empty()) {
    spdlog::error("state_store: watch {}: {}", op, err);
    out = {{"error", err}};
  }
  return out.dump();
}

state_store_actor::behavior_type store_behavior(store_actor self, state_store_options opts) {
  guard_actor(self, "state_store");
  auto opened = state_db::open(opts.file, opts.synchronous_full);
  if (!opened) {
    spdlog::error("state_store: {}", opened.message());
    self->quit(caf::make_error(caf::sec::runtime_error, opened.message()));
    return state_store_actor::behavior_type::make_empty_behavior();
  }
  self->state.db = std::move(*opened);
  self->state.db->set_busy_timeout(kBusyWait);
  auto journal_file = opts.file;
  journal_file.replace_extension(".journal");
  auto held = held_tasks::open(journal_file, opts.journal_bytes);
  if (!held) {
    spdlog::error("state_store: {}", held.message());
    self->quit(caf::make_error(caf::sec::runtime_error, held.message()));
    return state_store_actor::behavior_type::make_empty_behavior();
  }
  self->state.held = std::move(*held);
  if (auto n = self->state.held->size()) {
    spdlog::warn("state_store: {} task writes of the last run are in the task journal; applying them", n);
    apply_held(self);
  }
  spdlog::info("state_store: opened {}", opts.file.string());
  return {
      [=](persist_atom, task_record& r, bool is_new) {
        return enqueue(self, pending_write{std::move(r), is_new, {}});
      },
      [=](persist_atom, std::vector<task_write>& writes) { return enqueue_tasks(self, writes); },
      [=](persist_atom, breaker_record& b) { return enqueue(self, pending_write{std::move(b), true, {}}); },
      [=](persist_atom, rule_weight& w) { return enqueue(self, pending_write{std::move(w), true, {}}); },
      [=](flush_atom) { flush(self); },
      [=](retry_atom) { apply_held(self); },
      [=](jobrun_atom, const std::string& run, const std::string& state) -> caf::result<std::string> {
        // One promise covers both rows: they go to the same batch, so the later answer means both are on disk.
        auto r = nlohmann::json::parse(run.empty() ? "null" : run, nullptr, false);
        auto s = nlohmann::json::parse(state.empty() ? "null" : state, nullptr, false);
        if (r.is_discarded() || s.is_discarded()) return std::string{"a job record is not JSON"};
        if (s.is_object() && r.is_object())
          enqueue(self, pending_write{job_state_row{s.value("job", ""), s.value("schedule", ""),
                                                    s.value("next_due_ms", std::int64_t{-1}), s.value("failures", 0)},
                                      true, {}});
        if (r.is_object()) return enqueue(self, pending_write{run_row(r), true, {}});
        if (s.is_object())
          return enqueue(self, pending_write{job_state_row{s.value("job", ""), s.value("schedule", ""),
                                                           s.value("next_due_ms", std::int64_t{-1}), s.value("failures", 0)},
                                             true, {}});
        return std::string{};
      },
      [=](watch_atom, const std::string& op, const std::string& arg) { return watch_op(self, op, arg); },
      [=](jobs_atom, recover_atom) {
        // The scheduler at its start: runs a stop left going are over; each job's saved state and last run.
        // Writes that arrived before this (a run its predecessor started just before it failed) are committed
        // first, so that they are seen and ended too.
        flush(self);
        auto& db = *self->state.db;
        status st = db.interrupt_job_runs(now_ms());
        nlohmann::json out{{"states", nlohmann::json::array()}, {"last", nlohmann::json::array()}};
        if (st) {
          auto states = db.job_states();
          st = states.error();
          if (states)
            for (const auto& s : *states)
              out["states"].push_back({{"job", s.job}, {"schedule", s.schedule}, {"next_due_ms", s.next_due_ms},
                                       {"failures", s.failures}});
        }
        if (st) {
          auto last = db.last_job_runs();
          st = last.error();
          if (last)
            for (const auto& r : *last) out["last"].push_back(run_json(r));
        }
        if (!st) out["error"] = st.message();
        return out.dump();
      },
      [=](jobs_atom, const std::string& job, int limit) {
        flush(self);  // a run recorded just before is in the history
        auto runs = rows_or_log(self->state.db->job_runs(job, limit), "reading the runs of job " + job);
        auto out = nlohmann::json::array();
        for (const auto& r : runs) out.push_back(run_json(r));
        return out.dump();
      },
      [=](pipeline_atom, const std::string& op, const std::string& args) -> caf::result<std::string> {
        // Writes ("run", "step": a row's JSON) are group-committed like the others; reads see every write that
        // arrived before them.
        auto j = nlohmann::json::parse(args.empty() ? "{}" : args, nullptr, false);
        if (j.is_discarded()) return std::string{"a pipeline record is not JSON"};
        if (op == "run") {
          auto r = pipeline_run_from_json(j);
          if (!r) return std::string{"a pipeline run record needs its run_id"};
          return enqueue(self, pending_write{std::move(*r), true, {}});
        }
        if (op == "step") {
          auto st = pipeline_step_from_json(j);
          if (!st) return std::string{"a pipeline step record needs its run_id and name"};
          return enqueue(self, pending_write{std::move(*st), true, {}});
        }
        flush(self);
        return pipeline_read(*self->state.db, op, j);
      },
      [=](breaker_atom) {
        return rows_or_log(self->state.db->breakers(), "reading breakers");
      },
      [=](breaker_atom, const std::string& brain, int limit) {
        return rows_or_log(self->state.db->breaker_history(brain, limit), "reading breaker transitions");
      },
      [=](decision_atom, int limit) {
        return rows_or_log(self->state.db->decisions(limit), "reading routing decisions");
      },
      [=](weights_atom) {
        return rows_or_log(self->state.db->weights(), "reading router weights");
      },
      [=](get_atom, const std::string& id) {
        auto r = self->state.held->find(id);
        if (!r) r = rows_or_log(self->state.db->get_task(id), "reading task " + id);
        return std::make_tuple(r.has_value(), r.value_or(task_record{}));
      },
      [=](list_atom, int limit, const std::string& state) {
        auto filter = state.empty() ? std::nullopt : task_state_from_string(state);
        auto rs = rows_or_log(self->state.db->list_tasks(limit, filter), "listing tasks");
        self->state.held->overlay(rs, limit, filter);
        return rs;
      },
      [=](recover_atom) {
        auto rs = rows_or_log(self->state.db->recover(opts.redispatch_running), "recovery");
        if (auto held_ok = self->state.held->recover(rs, opts.redispatch_running, now_ms()); !held_ok)
          spdlog::error("state_store: recovery of the journal's tasks: {}", held_ok.message());
        schedule_apply(self);
        return rs;
      },
  };
}

}  // namespace

state_store_actor spawn_state_store(caf::actor_system& sys, state_store_options opts) {
  return sys.spawn(store_behavior, std::move(opts));
}

}  // namespace paios
