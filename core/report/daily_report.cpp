#include "core/report/daily_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace paios::report {
namespace {

using nlohmann::json;

json data_of(const event_record& e) {
  auto j = json::parse(e.data_json, nullptr, false);
  return j.is_object() ? j : json::object();
}

std::string str(const json& j, const char* key, const char* absent) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() && !it->get<std::string>().empty() ? it->get<std::string>() : absent;
}

std::int64_t integer(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

// Nearest rank: the smallest value with at least q of the values at or below it.
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

// Tokens and cost of a brain call, when its event carries them (usage {input_tokens, output_tokens}, cost_usd).
void add_usage(daily_report& r, const json& d) {
  bool seen = false;
  if (auto u = d.find("usage"); u != d.end() && u->is_object()) {
    r.input_tokens += integer(*u, "input_tokens");
    r.output_tokens += integer(*u, "output_tokens");
    seen = true;
  }
  if (auto c = d.find("cost_usd"); c != d.end() && c->is_number()) {
    r.cost_usd += c->get<double>();
    seen = true;
  }
  r.usage_recorded = r.usage_recorded || seen;
}

std::string local_hhmm(std::int64_t time_us, const sched::time_zone& tz) {
  const auto s = time_us / 1000000;
  auto local = (s + tz.offset_at(s)) % 86400;
  if (local < 0) local += 86400;
  char text[8];
  std::snprintf(text, sizeof text, "%02d:%02d", static_cast<int>(local / 3600), static_cast<int>(local / 60 % 60));
  return text;
}

std::string ms_text(double ms) {
  char text[32];
  if (ms < 1000) std::snprintf(text, sizeof text, "%.0f ms", ms);
  else std::snprintf(text, sizeof text, "%.1f s", ms / 1000);
  return text;
}

// "3 (document 2, report 1)"; "0" when empty.
std::string with_parts(std::int64_t total, const std::map<std::string, std::int64_t>& parts) {
  std::string s = std::to_string(total);
  if (parts.empty()) return s;
  std::string inner;
  for (const auto& [k, n] : parts) inner += (inner.empty() ? "" : ", ") + k + " " + std::to_string(n);
  return s + " (" + inner + ")";
}

std::int64_t count_of(const std::map<std::string, std::int64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

const char* const kStates[] = {"succeeded", "failed", "cancelled", "timed_out", "interrupted"};

}  // namespace

const std::vector<std::pair<std::string, std::string>>& report_sources() {
  static const std::vector<std::pair<std::string, std::string>> sources = {
      {"task", "run"},          {"task", "retry"},         {"task", "failover"},      {"breaker", "transition"},
      {"config", "load"},       {"supervisor", "restart"}, {"alerts", "raised"},      {"alerts", "acknowledged"},
      {"autonomy", "ask"},      {"autonomy", "approved"},  {"autonomy", "denied"},    {"autonomy", "expired"},
      {"autonomy", "promoted"}, {"scheduler", "run"},      {"kb", "add"},             {"brain", "call"}};
  return sources;
}

daily_report compute(const report_day& day, const sched::time_zone& tz, const std::vector<event_record>& events,
                     std::int64_t now_us) {
  daily_report r;
  r.day = day;
  r.timezone = tz.name();
  r.made_us = now_us;
  r.made_local = local_hhmm(now_us, tz);
  r.complete = now_us >= day.until_us;
  std::map<std::string, std::vector<double>> latencies;
  for (const auto& e : events) {
    if (e.time_us < day.since_us || e.time_us >= day.until_us) continue;
    const auto& c = e.category;
    const auto& a = e.action;
    if (c == "task" && a == "run") {
      const auto d = data_of(e);
      const auto brain = str(d, "brain", "none");
      const auto state = str(d, "state", e.status == "ok" ? "succeeded" : "failed");
      auto& b = r.brains[brain];
      ++b.total;
      ++b.by_state[state];
      ++r.task_states[state];
      ++r.tasks;
      latencies[brain].push_back(static_cast<double>(e.duration_us) / 1000.0);
    } else if (c == "task" && a == "retry") {
      ++r.retries;
    } else if (c == "task" && a == "failover") {
      ++r.failovers;
    } else if (c == "breaker" && a == "transition") {
      if (e.status == "open") ++r.breaker_trips[str(data_of(e), "brain", "?")];
    } else if (c == "config" && a == "load") {
      ++r.starts;
      if (str(data_of(e), "previous_exit", "") == "unclean") ++r.unclean_starts;
    } else if (c == "supervisor" && a == "restart") {
      ++r.actor_restarts;
    } else if (c == "alerts" && a == "raised") {
      ++r.alerts_raised;
      ++r.alerts_by_kind[str(data_of(e), "kind", "?")];
    } else if (c == "alerts" && a == "acknowledged") {
      ++r.alerts_acknowledged;
    } else if (c == "autonomy") {
      if (a == "ask") ++r.approvals_asked;
      else if (a == "approved") ++r.approved;
      else if (a == "denied") ++r.denied;
      else if (a == "expired") ++r.expired;
      else if (a == "promoted") ++r.promotions;
    } else if (c == "scheduler" && a == "run") {
      auto& j = r.jobs[str(data_of(e), "job", "?")];
      ++j.runs;
      ++j.by_outcome[e.status];
      ++r.job_runs_total;
      if (e.status == "failed" || e.status == "timeout") ++r.job_runs_failed;
    } else if (c == "kb" && a == "add") {
      const auto d = data_of(e);
      if (e.status != "ok" || !d.value("added", false)) continue;  // the same content again adds nothing
      ++r.kb_added;
      ++r.kb_by_kind[str(d, "kind", "document")];
    } else if (c == "brain" && a == "call") {
      add_usage(r, data_of(e));
    }
  }
  for (auto& [brain, v] : latencies) {
    r.brains[brain].p50_ms = percentile(v, 0.50);
    r.brains[brain].p95_ms = percentile(v, 0.95);
  }
  return r;
}

json to_json(const daily_report& r) {
  json brains = json::array();
  for (const auto& [name, b] : r.brains)
    brains.push_back({{"brain", name}, {"tasks", b.total}, {"by_state", b.by_state}, {"p50_ms", b.p50_ms}, {"p95_ms", b.p95_ms}});
  json jobs = json::array();
  for (const auto& [name, j] : r.jobs) jobs.push_back({{"job", name}, {"runs", j.runs}, {"by_outcome", j.by_outcome}});
  json usage{{"recorded", r.usage_recorded}};
  if (r.usage_recorded)
    usage.update({{"input_tokens", r.input_tokens}, {"output_tokens", r.output_tokens}, {"cost_usd", r.cost_usd}});
  return {{"date", r.day.date},
          {"timezone", r.timezone},
          {"since_us", r.day.since_us},
          {"until_us", r.day.until_us},
          {"complete", r.complete},
          {"made_us", r.made_us},
          {"tasks", {{"total", r.tasks}, {"by_state", r.task_states}, {"brains", brains}, {"retries", r.retries},
                     {"failovers", r.failovers}}},
          {"breakers", {{"trips", r.breaker_trips}}},
          {"restarts", {{"starts", r.starts}, {"unclean", r.unclean_starts}, {"clean", r.starts - r.unclean_starts},
                        {"actor_restarts", r.actor_restarts}}},
          {"alerts", {{"raised", r.alerts_raised}, {"by_kind", r.alerts_by_kind}, {"acknowledged", r.alerts_acknowledged}}},
          {"approvals", {{"asked", r.approvals_asked}, {"approved", r.approved}, {"denied", r.denied},
                         {"expired", r.expired}, {"promotions", r.promotions}}},
          {"jobs", {{"runs", r.job_runs_total}, {"failed", r.job_runs_failed}, {"by_job", jobs}}},
          {"kb", {{"added", r.kb_added}, {"by_kind", r.kb_by_kind}}},
          {"usage", usage}};
}

std::string title(const daily_report& r) { return "PAIOS report " + r.day.date; }

std::string markdown(const daily_report& r) {
  std::string md = "# " + title(r) + "\n\n";
  md += "The local day " + r.day.date + " (" + r.timezone + ")" +
        (r.complete ? "" : ", so far: until " + r.made_local) + ".\n\n";

  md += "## Tasks\n\n";
  md += std::to_string(r.tasks) + " tasks";
  std::string states;
  for (const char* s : kStates)
    if (auto n = count_of(r.task_states, s)) states += (states.empty() ? "" : ", ") + std::to_string(n) + " " + s;
  md += (states.empty() ? "" : ": " + states) + ". Retries: " + std::to_string(r.retries) +
        ". Failovers: " + std::to_string(r.failovers) + ".\n\n";
  if (!r.brains.empty()) {
    md += "| brain | tasks | succeeded | failed | cancelled | timed_out | interrupted | p50 | p95 |\n";
    md += "|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& [name, b] : r.brains) {
      md += "| " + name + " | " + std::to_string(b.total);
      for (const char* s : kStates) md += " | " + std::to_string(count_of(b.by_state, s));
      md += " | " + ms_text(b.p50_ms) + " | " + ms_text(b.p95_ms) + " |\n";
    }
    md += "\n";
  }

  md += "## Breakers and restarts\n\n";
  std::int64_t trips = 0;
  for (const auto& [b, n] : r.breaker_trips) trips += n;
  md += "- Breaker trips: " + with_parts(trips, r.breaker_trips) + "\n";
  md += "- Daemon starts: " + std::to_string(r.starts) + " (after an unclean exit: " + std::to_string(r.unclean_starts) +
        ", after an orderly stop: " + std::to_string(r.starts - r.unclean_starts) + ")\n";
  md += "- Actor restarts: " + std::to_string(r.actor_restarts) + "\n\n";

  md += "## Alerts\n\n";
  md += "- Raised: " + with_parts(r.alerts_raised, r.alerts_by_kind) + "\n";
  md += "- Acknowledged: " + std::to_string(r.alerts_acknowledged) + "\n\n";

  md += "## Approvals\n\n";
  md += "- Asked: " + std::to_string(r.approvals_asked) + "; approved: " + std::to_string(r.approved) +
        "; denied: " + std::to_string(r.denied) + "; expired: " + std::to_string(r.expired) + "\n";
  md += "- Promotions to learned rules: " + std::to_string(r.promotions) + "\n\n";

  md += "## Jobs\n\n";
  md += std::to_string(r.job_runs_total) + " runs, " + std::to_string(r.job_runs_failed) + " failed or timed out.\n\n";
  if (!r.jobs.empty()) {
    md += "| job | runs | ok | failed | timeout | interrupted |\n|---|---|---|---|---|---|\n";
    for (const auto& [name, j] : r.jobs)
      md += "| " + name + " | " + std::to_string(j.runs) + " | " + std::to_string(count_of(j.by_outcome, "ok")) + " | " +
            std::to_string(count_of(j.by_outcome, "failed")) + " | " + std::to_string(count_of(j.by_outcome, "timeout")) +
            " | " + std::to_string(count_of(j.by_outcome, "interrupted")) + " |\n";
    md += "\n";
  }

  md += "## Knowledge base\n\n";
  md += "- Entries added: " + with_parts(r.kb_added, r.kb_by_kind) + "\n\n";

  md += "## Usage\n\n";
  if (!r.usage_recorded) {
    md += "Not recorded: the day's brain calls carry no token counts or costs.\n";
  } else {
    char cost[32];
    std::snprintf(cost, sizeof cost, "%.4f", r.cost_usd);
    md += "- Tokens: " + std::to_string(r.input_tokens) + " in, " + std::to_string(r.output_tokens) + " out\n";
    md += std::string{"- Cost: $"} + cost + "\n";
  }
  return md;
}

std::string summary(const daily_report& r) {
  const auto ok = count_of(r.task_states, "succeeded");
  double p95 = 0;
  for (const auto& [name, b] : r.brains) p95 = std::max(p95, b.p95_ms);
  std::int64_t trips = 0;
  for (const auto& [b, n] : r.breaker_trips) trips += n;
  std::string s = std::to_string(r.tasks) + " tasks (" + std::to_string(ok) + " succeeded, " +
                  std::to_string(r.tasks - ok) + " not)";
  if (r.tasks > 0) s += ", slowest brain's p95 " + ms_text(p95);
  s += "; " + std::to_string(r.failovers) + " failovers, " + std::to_string(trips) + " breaker trips.\n";
  s += std::to_string(r.starts) + " starts (" + std::to_string(r.unclean_starts) + " after an unclean exit); " +
       std::to_string(r.alerts_raised) + " alerts raised, " + std::to_string(r.alerts_acknowledged) + " acknowledged.\n";
  s += std::to_string(r.job_runs_total) + " job runs (" + std::to_string(r.job_runs_failed) + " failed); " +
       std::to_string(r.approvals_asked) + " approvals asked; " + std::to_string(r.kb_added) +
       " knowledge-base entries added.";
  return s;
}

}  // namespace paios::report
