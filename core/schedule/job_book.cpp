#include "core/schedule/job_book.hpp"

#include <algorithm>

namespace paios::sched {

std::chrono::seconds backoff_policy::delay(int failures) const {
  std::chrono::seconds d = initial;
  for (int k = 1; k < failures && d < max; ++k) d *= 2;
  return std::min(d, max);
}

job_book::job_book(time_zone tz, backoff_policy backoff, std::chrono::seconds grace)
    : tz_(std::move(tz)), backoff_(backoff), grace_(grace) {}

void job_book::add(job_def def) {
  auto name = def.name;
  jobs_[name] = entry{std::move(def), {}};
}

// The first scheduled time after `due` that is later than `now`.
std::optional<instant> job_book::next_after(const entry& e, instant due, instant now) const {
  const auto& s = e.def.when;
  if (s.is_interval()) {
    const auto period = std::chrono::duration_cast<std::chrono::milliseconds>(s.interval());
    const auto behind = now - due;
    const auto k = behind.count() < 0 ? 1 : behind / period + 1;
    return due + k * period;
  }
  return s.next_after(std::max(due, now), tz_);
}

std::vector<std::string> job_book::restore(instant now, const std::map<std::string, job_saved>& saved) {
  std::vector<std::string> dropped;
  for (auto& [name, e] : jobs_) {
    const auto it = saved.find(name);
    const int running = e.status.running;  // a run started (`ai jobs run`) before the saved states came back
    e.status = job_status{};
    e.status.running = running;
    if (it == saved.end() || it->second.schedule != e.def.when.text() || !it->second.next_due) {
      e.status.next_due = e.def.when.next_after(now, tz_);  // a new job: its first time from now
      continue;
    }
    e.status.failures = it->second.failures;
    e.status.backing_off = e.status.failures > 0;
    e.status.next_due = it->second.next_due;
    if (*e.status.next_due < now) {  // passed while the daemon was down
      if (e.def.missed == missed_policy::run_once) {
        // Kept: the first tick runs it, once, and moves on past every time missed.
      } else {
        e.status.next_due = next_after(e, *e.status.next_due, now);
        e.status.backing_off = false;
        dropped.push_back(name);
      }
    }
  }
  return dropped;
}

std::vector<job_book::fire> job_book::tick(instant now) {
  std::vector<fire> out;
  for (auto& [name, e] : jobs_) {
    auto& st = e.status;
    if (!st.next_due || *st.next_due > now) continue;
    const instant due = *st.next_due;
    st.next_due = next_after(e, due, now);
    st.backing_off = false;
    if (now - due > grace_ && e.def.missed == missed_policy::skip) {
      out.push_back({fire::skipped, name, due});
    } else if (st.running > 0 && !e.def.allow_overlap) {
      out.push_back({fire::refused, name, due});
    } else {
      ++st.running;
      out.push_back({fire::run, name, due});
    }
  }
  return out;
}

bool job_book::begin_now(const std::string& name) {
  auto& st = jobs_.at(name).status;
  if (st.running > 0 && !jobs_.at(name).def.allow_overlap) return false;
  ++st.running;
  return true;
}

void job_book::finished(const std::string& name, instant now, bool ok) {
  const auto it = jobs_.find(name);
  if (it == jobs_.end()) return;
  auto& st = it->second.status;
  if (st.running > 0) --st.running;
  if (ok) {
    if (st.backing_off) st.next_due = it->second.def.when.next_after(now, tz_);
    st.failures = 0;
    st.backing_off = false;
    return;
  }
  ++st.failures;
  st.next_due = now + std::chrono::duration_cast<std::chrono::milliseconds>(backoff_.delay(st.failures));
  st.backing_off = true;
}

void job_book::abandoned(const std::string& name) {
  const auto it = jobs_.find(name);
  if (it != jobs_.end() && it->second.status.running > 0) --it->second.status.running;
}

job_saved job_book::saved(const std::string& name) const {
  const auto& e = jobs_.at(name);
  return {e.def.when.text(), e.status.next_due, e.status.failures};
}

std::vector<std::string> job_book::names() const {
  std::vector<std::string> out;
  for (const auto& [name, e] : jobs_) out.push_back(name);
  return out;
}

std::optional<instant> job_book::earliest_due() const {
  std::optional<instant> best;
  for (const auto& [name, e] : jobs_)
    if (e.status.next_due && (!best || *e.status.next_due < *best)) best = e.status.next_due;
  return best;
}

}  // namespace paios::sched
