#include "core/state/held_tasks.hpp"

#include <algorithm>

#include "core/state/state_db.hpp"

namespace paios {

expected<std::unique_ptr<held_tasks>> held_tasks::open(const std::filesystem::path& journal_file,
                                                       std::size_t capacity) {
  auto journal = task_journal::open(journal_file, capacity);
  if (!journal) return journal.error();
  std::unique_ptr<held_tasks> h{new held_tasks(std::move(*journal))};
  for (const auto& e : h->journal_->entries()) h->remember(e);
  return h;
}

held_tasks::held_tasks(std::unique_ptr<task_journal> journal) : journal_(std::move(journal)) {}

void held_tasks::remember(const journal_entry& e) {
  auto [it, first] = held_.try_emplace(e.record.spec.id, e);
  if (first) {
    order_.push_back(e.record.spec.id);
    return;
  }
  // The task's row is still to be inserted if its first write is held: a later write does not change that.
  const bool is_new = it->second.is_new;
  it->second = e;
  it->second.is_new = is_new;
}

status held_tasks::hold(const std::vector<journal_entry>& writes) {
  if (auto st = journal_->append(writes); !st) return st;
  for (const auto& e : writes) remember(e);
  return {};
}

status held_tasks::apply(state_db& db) {
  if (held_.empty()) return {};
  if (auto st = db.begin(); !st) return st;
  for (const auto& id : order_) {
    const auto& e = held_.at(id);
    // An insert the database already has (its commit went through after all, or a replay stopped half-way)
    // is the same task: its row is brought up to date instead.
    status st;
    if (e.is_new) st = db.insert_task(e.record);
    if (!e.is_new || !st) st = db.update_task(e.record);
    if (!st) {
      db.rollback();
      return {st.code(), "task " + id + ": " + st.message()};
    }
  }
  if (auto st = db.commit(); !st) {
    db.rollback();
    return st;
  }
  held_.clear();
  order_.clear();
  return journal_->clear();
}

std::optional<task_record> held_tasks::find(const std::string& id) const {
  auto it = held_.find(id);
  if (it == held_.end()) return std::nullopt;
  return it->second.record;
}

void held_tasks::overlay(std::vector<task_record>& list, int limit, std::optional<task_state> state) const {
  if (held_.empty()) return;
  // Rows the journal has moved on replace the database's; those of another state leave the list.
  list.erase(std::remove_if(list.begin(), list.end(), [this](const task_record& r) { return held_.count(r.spec.id) > 0; }),
             list.end());
  for (const auto& [id, e] : held_)
    if (!state || e.record.state == *state) list.push_back(e.record);
  std::sort(list.begin(), list.end(), [](const task_record& a, const task_record& b) {
    return a.spec.created_ms != b.spec.created_ms ? a.spec.created_ms > b.spec.created_ms : a.spec.id > b.spec.id;
  });
  if (limit >= 0 && list.size() > static_cast<std::size_t>(limit)) list.resize(static_cast<std::size_t>(limit));
}

status held_tasks::recover(std::vector<task_record>& queued, bool redispatch_running, std::int64_t now_ms) {
  if (held_.empty()) return {};
  queued.erase(std::remove_if(queued.begin(), queued.end(),
                              [this](const task_record& r) { return held_.count(r.spec.id) > 0; }),
               queued.end());
  std::vector<journal_entry> changed;
  for (const auto& id : order_) {
    auto e = held_.at(id);
    auto& r = e.record;
    if (r.state == task_state::running) {
      // As state_db::recover does for the database's own rows.
      if (redispatch_running) {
        r.state = task_state::queued;
      } else {
        r.state = task_state::interrupted;
        r.error = errc::interrupted;
        r.error_message = "the daemon stopped while this task was running";
        r.finished_ms = now_ms;
      }
      changed.push_back(e);
    }
    if (r.state == task_state::queued) queued.push_back(r);
  }
  std::sort(queued.begin(), queued.end(), [](const task_record& a, const task_record& b) {
    return a.spec.created_ms != b.spec.created_ms ? a.spec.created_ms < b.spec.created_ms : a.spec.id < b.spec.id;
  });
  return changed.empty() ? status{} : hold(changed);
}

}  // namespace paios
