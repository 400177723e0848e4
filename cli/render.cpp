#include "cli/render.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "messages/ids.hpp"
#include "messages/text.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace paios {
namespace {

using nlohmann::json;

// Columns on a terminal: UTF-8 continuation bytes take none (the tree's box-drawing characters).
std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void render_tree(std::ostringstream& out, const json& tree, const std::string& indent) {
  const auto& children = tree.contains("children") ? tree["children"] : json::array();
  for (std::size_t i = 0; i < children.size(); ++i) {
    const auto& c = children[i];
    bool last = i + 1 == children.size();
    std::string label = c.value("name", "?");
    if (c.contains("tree") && c["tree"].is_object()) label += " (" + c["tree"].value("strategy", "") + ")";
    auto used = display_width(indent) + 3;
    out << indent << (last ? "└─ " : "├─ ") << pad(label, used < 34 ? 34 - used : 0) << " "
        << pad(c.value("state", "?"), 10) << " restarts " << c.value("restarts", 0);
    auto last_exit = c.value("last_exit", "");
    if (!last_exit.empty()) out << "  last exit: " << last_exit;
    out << "\n";
    if (c.contains("tree") && c["tree"].is_object()) render_tree(out, c["tree"], indent + (last ? "   " : "│  "));
  }
}

}  // namespace

std::string fit(const std::string& s, std::size_t width) {
  if (display_width(s) <= width) return s;
  if (width == 0) return {};
  std::size_t columns = 0, i = 0;
  for (; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++columns == width) break;  // the first one past
  return s.substr(0, i) + "…";
}

void table::add(std::vector<std::string> row) {
  for (auto& cell : row)
    for (auto& ch : cell)
      if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  rows_.push_back(std::move(row));
}

std::string table::str(std::size_t width) const {
  std::vector<std::size_t> widths(headers_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
  };
  std::vector<std::string> header;
  for (auto h : headers_) {
    for (auto& ch : h)
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    header.push_back(h);
  }
  measure(header);
  for (const auto& r : rows_) measure(r);
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t c = 0; c + 1 < row.size() && c + 1 < widths.size(); ++c) out += pad(row[c], widths[c]) + " ";
    const auto used = display_width(out);
    const auto& last = row.empty() ? std::string{} : row.back();
    // Columns before the last that fill the terminal already leave it "…": something is there.
    out += width == 0 ? last : fit(last, width > used ? width - used : 1);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::size_t terminal_width(int fd) {
  if (const char* c = std::getenv("COLUMNS"); c && *c) {
    char* end = nullptr;
    const auto n = std::strtoul(c, &end, 10);
    if (end && *end == 0 && n > 0) return n;
  }
  winsize w{};
  if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 0;
}

std::string pad(std::string s, std::size_t width) {
  auto w = display_width(s);
  if (w < width) s.append(width - w, ' ');
  return s;
}


std::string human_duration(std::int64_t ms) {
  char buf[64];
  if (ms < 1000) std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms));
  else if (ms < 60'000) std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000.0);
  else if (ms < 3'600'000) std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000), static_cast<long long>(ms / 1000 % 60));
  else std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000), static_cast<long long>(ms / 60'000 % 60));
  return buf;
}

namespace {

// "16:32:05": a time of today in local time, with the date when it is another day.
std::string clock_time(std::int64_t ms) {
  std::time_t t = ms / 1000, now = now_ms() / 1000;
  std::tm at{}, today{};
  localtime_r(&t, &at);
  localtime_r(&now, &today);
  char buf[32];
  std::strftime(buf, sizeof buf, at.tm_yday == today.tm_yday && at.tm_year == today.tm_year ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &at);
  return buf;
}

// Why an open breaker is open and until when, in words, each line after the first starting with `indent`.
std::string render_open_breaker(const std::string& brain, const json& k, const std::string& indent) {
  const auto until = k.value("open_until_ms", std::int64_t{0});
  std::string out = " until " + clock_time(until) + " (in " + human_duration(std::max<std::int64_t>(0, until - now_ms())) +
                    "), then it lets probe calls through";
  const auto reason = k.value("last_change", json::object()).value("reason", "");
  if (!reason.empty()) out += "\n" + indent + "why: " + reason;
  if (k.value("cause", "") == "program_missing")
    out += "\n" + indent + "its program is missing: it closes as soon as the program is on PATH (checked at each task)";
  return out + "\n" + indent + "`ai breaker reset " + brain + "` closes it now";
}

// "never opened", "opened once", "opened 3 times".
std::string times_opened(std::uint64_t n) {
  return n == 0 ? "never opened" : n == 1 ? "opened once" : "opened " + std::to_string(n) + " times";
}

}  // namespace

std::string render_status(const json& r) {
  std::ostringstream out;
  const auto& d = r.value("daemon", json::object());
  out << "paiosd " << d.value("version", "?") << " · pid " << d.value("pid", 0) << " · up "
      << human_duration(d.value("uptime_ms", std::int64_t{0})) << " · " << d.value("home", "") << "\n";
  const auto& t = r.value("tasks", json::object());
  out << "tasks in flight: " << t.value("in_flight", 0) << " · default brain " << t.value("default_brain", "?");
  if (t.contains("failover") && !t["failover"].empty()) {
    out << ", then";
    for (const auto& b : t["failover"]) out << " " << b.get<std::string>();
  }
  if (d.value("draining", false)) out << " · DRAINING";
  out << "\n\nbrains:\n";
  for (const auto& b : r.value("brains", json::array())) {
    out << "  " << pad(b.value("name", "?"), 10) << " " << pad(b.value("available", false) ? "available" : "unavailable", 12);
    if (b.contains("reason")) out << b.value("reason", "");
    else
      out << "running " << b.value("running", 0) << "/" << b.value("max_concurrent", 0) << ", queued "
          << b.value("queued", 0) << "/" << b.value("max_queue", 0) << ", calls " << b.value("calls", 0)
          << ", failures " << b.value("failures", 0);
    out << "\n";
    if (b.contains("breaker")) {
      const auto& k = b["breaker"];
      auto state = k.value("state", "?");
      const std::string indent = "  " + pad("", 10) + "         ";
      out << "  " << pad("", 10) << " breaker " << state;
      if (state == "open") out << render_open_breaker(b.value("name", "?"), k, indent) << "\n" << indent;
      out << (state == "open" ? "(" : " (") << k.value("failures", 0) << " failed, " << k.value("slow", 0)
          << " slow of the last " << counted(k.value("calls", 0), "call") << "; " << times_opened(k.value("opened", std::uint64_t{0}))
          << ")";
      if (k.contains("last_change") && state != "open") {  // an open one said why above
        const auto& c = k["last_change"];
        out << "\n  " << pad("", 10) << " last change " << human_duration(now_ms() - c.value("time_ms", std::int64_t{0}))
            << " ago, " << c.value("from", "") << " -> " << c.value("to", "") << ": " << c.value("reason", "");
      }
      out << "\n";
    }
  }
  // The MCP servers paiosd runs as tool sources (mcp.servers).
  const auto& servers = r.value("mcp", json::array());
  if (!servers.empty()) out << "\nmcp servers:\n";
  for (const auto& m : servers) {
    out << "  " << pad(m.value("name", "?"), 10) << " ";
    if (m.contains("error") && !m.contains("state")) {
      out << "not running: " << m.value("error", "") << "\n";
      continue;
    }
    out << pad(m.value("state", "?"), 11) << m.value("tools", 0) << " tools as " << m.value("prefix", "") << "*, "
        << counted(m.value("restarts", 0), "restart") << ", " << counted(m.value("calls", 0), "call");
    if (!m.value("last_error", "").empty()) out << " · last error: " << m.value("last_error", "");
    out << "\n";
  }
  out << render_jobs_status(r.value("jobs", json()));
  out << render_watch_status(r.value("watchers", json()));
  out << render_alerts_status(r.value("alerts", json()));
  out << render_credentials_status(r.value("alerts", json()));
  const auto& tree = r.value("tree", json::object());
  out << "\nactor tree:\n  " << tree.value("name", "root") << " (" << tree.value("strategy", "?") << ")\n";
  render_tree(out, tree, "  ");
  const auto& br = r.value("bridge", json::object());
  out << "\nbridge: " << br.value("requests", 0) << " requests, " << br.value("replies", 0) << " replies, "
      << br.value("dropped", 0) << " dropped, " << br.value("errors", 0) << " refused";
  const auto& ev = r.value("events", json::object());
  if (!ev.contains("error")) {
    out << "\nevents: " << ev.value("stored", 0) << " stored, " << ev.value("queued", 0) << " queued, "
        << ev.value("dropped", 0) << " dropped (queue of " << ev.value("capacity", 0) << ")";
    if (!ev.value("last_error", "").empty()) out << " · last write error: " << ev.value("last_error", "");
  }
  const auto& http = r.value("http", json::object());
  if (!http.value("endpoint", "").empty())
    out << "\nmetrics: http://" << http.value("endpoint", "") << "/metrics · health: http://" << http.value("endpoint", "")
        << "/healthz";
  else if (!http.value("error", "").empty())
    out << "\nmetrics: not served: " << http.value("error", "");
  return out.str();
}

std::string render_tasks(const json& r) {
  const auto& list = r.value("tasks", json::array());
  if (list.empty()) return "no tasks\n";
  table tab{{"task", "state", "brain", "age", "prompt"}};
  for (const auto& t : list) {
    tab.add({t.value("task_id", ""), t.value("state", ""), t.value("brain", ""),
             human_duration(now_ms() - t.value("created_ms", std::int64_t{0})), t.value("prompt_preview", "")});
  }
  return tab.str(terminal_width());
}

std::string render_task(const json& r) {
  std::ostringstream out;
  const auto& t = r.value("task", json::object());
  out << "task      " << t.value("task_id", "") << "\n"
      << "state     " << t.value("state", "") << "\n"
      << "brain     " << t.value("brain", "") << (t.contains("requested_brain") ? " (requested)" : "") << "\n"
      << "trace     " << t.value("trace_id", "") << "\n"
      << "attempts  " << t.value("attempts", 0) << "\n"
      << "created   " << human_duration(now_ms() - t.value("created_ms", std::int64_t{0})) << " ago\n";
  if (t.contains("finished_ms") && t.contains("started_ms"))
    out << "ran for   " << human_duration(t["finished_ms"].get<std::int64_t>() - t["started_ms"].get<std::int64_t>()) << "\n";
  if (t.contains("error"))
    out << "error     " << t["error"].value("code", "") << ": " << t["error"].value("message", "") << "\n";
  out << "\nprompt:\n" << t.value("prompt", "") << "\n";
  if (t.contains("text") && !t["text"].get<std::string>().empty()) out << "\nanswer:\n" << t.value("text", "") << "\n";
  return out.str();
}

std::string render_route(const json& r) {
  std::ostringstream out;
  char conf[16];
  std::snprintf(conf, sizeof conf, "%.2f", r.value("confidence", 0.0));
  out << "category  " << r.value("category", "") << " (confidence " << conf
      << (r.value("below_threshold", false) ? ", below the threshold" : "") << ")\n";
  // value() returns a copy: keep it alive while iterating.
  const json chain = r.value("chain", json::array()), scores = r.value("scores", json::object()),
             rules = r.value("rules", json::array());
  out << "brain     " << r.value("brain", "") << "  (chain:";
  for (auto& b : chain) out << " " << b.get<std::string>();
  out << ")\n";
  // The brains the task would try, in order, those that cannot run now marked with why; and the one that would
  // take it.
  const json brains = r.value("brains", json::array());
  if (!brains.empty()) {
    out << "tries    ";
    for (auto& b : brains) out << " " << b.value("name", "?") << (b.value("can_run", true) ? "" : " (cannot run)");
    out << "\n";
    for (auto& b : brains)
      if (!b.value("can_run", true)) out << "          " << b.value("name", "?") << ": " << b.value("why", "") << "\n";
    const auto would = r.value("would_run", json());
    out << "runs on   " << (would.is_string() ? would.get<std::string>() : std::string{"no brain: none of them can run now"})
        << "\n";
  }
  if (r.contains("override") && !r["override"].is_null()) out << "override  " << r["override"].get<std::string>() << "\n";
  out << "scores   ";
  for (auto& [k, v] : scores.items()) out << " " << k << "=" << v.dump();
  out << "\nrules    ";
  for (auto& x : rules) out << " " << x.get<std::string>();
  out << "\nreason    " << r.value("reason", "") << "\n";
  return out.str();
}

std::string render_routes(const json& r) {
  const json list = r.value("decisions", json::array());
  if (list.empty()) return "no routing decisions yet\n";
  table tab{{"task", "age", "category", "conf", "brain", "outcome", "before", "prompt"}};
  for (const auto& d : list) {
    char conf[16];
    std::snprintf(conf, sizeof conf, "%.2f", d.value("confidence", 0.0));
    // The brains tried before the one in BRAIN, with what each did: its own try is BRAIN and OUTCOME already.
    json tries = d.value("tried", json::array());
    if (!tries.empty() && tries.back().value("brain", "") == d.value("brain", "")) tries.erase(tries.size() - 1);
    std::string tried;
    for (const auto& t : tries) tried += (tried.empty() ? "" : ",") + t.value("brain", "?") + ":" + t.value("outcome", "?");
    auto category = d.value("category", "");
    if (d.contains("override") && d["override"].is_string()) category = "(override)";
    const auto outcome = d.value("outcome", "");
    tab.add({d.value("task_id", ""), human_duration(now_ms() - d.value("time_ms", std::int64_t{0})), category,
             d.contains("confidence") ? conf : "-", d.value("brain", ""), outcome.empty() ? "running" : outcome,
             tried.empty() ? "-" : tried, d.value("summary", "")});
  }
  return tab.str(terminal_width());
}

std::string render_weights(const json& r) {
  const json list = r.value("weights", json::array());
  if (list.empty()) return "no weight adjustments: every rule has its configured weight\n";
  table tab{{"rule", "factor", "set", "note"}};
  for (const auto& w : list) {
    char factor[16];
    std::snprintf(factor, sizeof factor, "%.3g", w.value("factor", 1.0));
    tab.add({w.value("rule", ""), factor, human_duration(now_ms() - w.value("updated_ms", std::int64_t{0})), w.value("note", "")});
  }
  return tab.str(terminal_width());
}

std::string render_cancel(const json& r) {
  return r.value("cancelled", false) ? "cancelling " + r.value("task_id", "") + "\n"
                                     : r.value("task_id", "") + " already " + r.value("state", "") + "; nothing to cancel\n";
}

}  // namespace paios

namespace paios {
namespace {

// A line of an event's data worth showing beside it: the fields people look for first.
std::string event_detail(const json& e) {
  const json data = e.value("data", json::object());
  std::string out;
  auto add = [&](const std::string& text) {
    if (!text.empty()) out += (out.empty() ? "" : " ") + text;
  };
  for (const char* key : {"task_id", "brain", "category", "child", "from", "to", "message", "reason", "state"}) {
    if (!data.contains(key)) continue;
    const auto& v = data[key];
    add(std::string{key} + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  }
  if (out.size() > 100) out = out.substr(0, 99) + "…";
  return out;
}

}  // namespace

std::string human_micros(std::int64_t us) {
  char buf[64];
  if (us < 1000) std::snprintf(buf, sizeof buf, "%lld µs", static_cast<long long>(us));
  else if (us < 1'000'000) std::snprintf(buf, sizeof buf, "%.1f ms", us / 1000.0);
  else return human_duration(us / 1000);
  return buf;
}

std::string render_events(const json& r) {
  const json list = r.value("events", json::array());
  if (list.empty()) return "no events match\n";
  table tab{{"event", "age", "trace", "category", "action", "status", "took", "detail"}};
  for (const auto& e : list) {
    auto trace = e.value("trace_id", "");
    // The end of the trace id: its first digits are a timestamp, alike for traces begun close together.
    tab.add({e.value("event_id", ""), human_duration(now_ms() - e.value("time_us", std::int64_t{0}) / 1000),
             trace.size() > 8 ? trace.substr(trace.size() - 8) : trace, e.value("category", ""), e.value("action", ""),
             e.value("status", ""), human_micros(e.value("duration_us", std::int64_t{0})), event_detail(e)});
  }
  std::ostringstream out;
  out << tab.str(terminal_width());
  if (r.contains("next") && r["next"].is_string())
    out << "(more: add --before " << r["next"].get<std::string>() << ")\n";
  return out.str();
}

std::string render_trace(const json& r) {
  const json spans = r.value("spans", json::array());
  std::ostringstream out;
  std::int64_t first = 0, last = 0;
  std::map<std::string, std::vector<const json*>> children;  // by parent span id ("" for roots)
  std::set<std::string> ids;
  for (const auto& s : spans) ids.insert(s.value("span_id", ""));
  for (const auto& s : spans) {
    auto start = s.value("time_us", std::int64_t{0});
    auto end = start + s.value("duration_us", std::int64_t{0});
    if (first == 0 || start < first) first = start;
    last = std::max(last, end);
    std::string parent = s.contains("parent_id") && s["parent_id"].is_string() ? s["parent_id"].get<std::string>() : "";
    children[ids.count(parent) ? parent : ""].push_back(&s);  // a parent outside the trace: shown as a root
  }
  out << "trace " << r.value("trace_id", "") << " · " << spans.size() << " events · " << human_micros(last - first) << "\n";
  std::function<void(const std::string&, const std::string&)> walk = [&](const std::string& parent, const std::string& indent) {
    auto& list = children[parent];
    std::stable_sort(list.begin(), list.end(), [](const json* a, const json* b) {
      return a->value("time_us", std::int64_t{0}) < b->value("time_us", std::int64_t{0});
    });
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& s = *list[i];
      bool last_child = i + 1 == list.size();
      const std::string branch = parent.empty() ? "" : (last_child ? "└─ " : "├─ ");
      auto offset = s.value("time_us", std::int64_t{0}) - first;
      out << indent << branch << s.value("category", "") << " " << s.value("action", "") << "  " << s.value("status", "")
          << "  " << human_micros(s.value("duration_us", std::int64_t{0})) << "  +" << human_micros(offset) << "  ["
          << s.value("span_id", "") << "]";
      auto detail = event_detail(s);
      if (!detail.empty()) out << "  " << detail;
      out << "\n";
      walk(s.value("span_id", ""), indent + (parent.empty() ? "" : (last_child ? "   " : "│  ")));
    }
  };
  walk("", "");
  return out.str();
}

std::optional<std::int64_t> parse_time_arg(const std::string& text, std::int64_t now, std::string& error) {
  if (text.empty()) {
    error = "an empty time";
    return std::nullopt;
  }
  // "90s", "15m", "2h", "3d": that long ago.
  if (text.size() >= 2 && std::isdigit(static_cast<unsigned char>(text[0])) &&
      std::string{"smhd"}.find(text.back()) != std::string::npos &&
      text.find_first_not_of("0123456789") == text.size() - 1) {
    auto n = std::stoll(text.substr(0, text.size() - 1));
    std::int64_t unit = text.back() == 's' ? 1000 : text.back() == 'm' ? 60'000 : text.back() == 'h' ? 3'600'000 : 86'400'000;
    return now - n * unit;
  }
  if (text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 16) return std::stoll(text);
  // YYYY-MM-DD[THH:MM[:SS]][Z]
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char sep = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &y, &mo, &d, &sep, &h, &mi, &sec);
  bool utc = text.back() == 'Z';
  if ((n == 3 && text.size() == 10) || (n >= 6 && (sep == 'T' || sep == ' '))) {
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
      error = "'" + text + "' is not a valid date and time";
      return std::nullopt;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    std::time_t t = utc ? timegm(&tm) : std::mktime(&tm);
    return static_cast<std::int64_t>(t) * 1000;
  }
  error = "'" + text + "' is no time: use 90s, 15m, 2h, 3d (ago), unix milliseconds, or 2026-11-29T06:00[:00][Z]";
  return std::nullopt;
}

namespace {
// A passage on a few lines: whitespace folded, at most `max_bytes`.
std::string excerpt(const std::string& text, std::size_t max_bytes) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  if (out.size() > max_bytes) {
    auto cut = out.rfind(' ', max_bytes);
    out = out.substr(0, cut == std::string::npos ? max_bytes : cut) + " …";
  }
  return out;
}
}  // namespace

std::string render_kb_results(const nlohmann::json& reply) {
  const auto results = reply.value("results", nlohmann::json::array());
  if (results.empty()) return "nothing found\n";
  std::string out;
  int n = 0;
  for (const auto& r : results) {
    char score[32];
    std::snprintf(score, sizeof score, "%.3f", r.value("score", 0.0));
    out += std::to_string(++n) + ". " + score + "  " + r.value("title", "") + "  [" + r.value("article_id", "") + "]\n";
    const auto source = r.value("source", "");
    if (!source.empty()) out += "   " + source + "\n";
    out += "   " + excerpt(r.value("passage", ""), 300) + "\n";
  }
  return out;
}

std::string render_kb_article(const nlohmann::json& reply) {
  const auto a = reply.value("article", nlohmann::json::object());
  std::string out = a.value("title", "") + "  [" + a.value("article_id", "") + "]\n";
  out += "kind " + a.value("kind", "") + ", " + std::to_string(a.value("chunks", 0)) + " chunks, updated " +
         human_duration(std::max<std::int64_t>(0, now_ms() - a.value("updated_ms", std::int64_t{0}))) + " ago\n";
  for (const char* key : {"source", "project", "brain", "session", "topic"})
    if (!a.value(key, "").empty()) out += std::string{key} + ": " + a.value(key, "") + "\n";
  const auto meta = a.value("meta", nlohmann::json::object());
  if (!meta.value("flags", nlohmann::json::array()).empty())
    out += "flagged: " + meta["flags"].dump() + " (text that reads like instructions to a model)\n";
  return out + "\n" + a.value("content", "") + "\n";
}

std::string render_kb_removed(const nlohmann::json& reply) { return "removed " + reply.value("article_id", "") + "\n"; }

std::string render_kb_list(const nlohmann::json& reply) {
  const auto list = reply.value("articles", nlohmann::json::array());
  if (list.empty()) return "the knowledge base is empty\n";
  table tab{{"article", "kind", "updated", "title", "source"}};
  for (const auto& a : list)
    tab.add({a.value("article_id", ""), a.value("kind", ""),
             human_duration(std::max<std::int64_t>(0, now_ms() - a.value("updated_ms", std::int64_t{0}))),
             a.value("title", ""), a.value("source", "")});
  return tab.str(terminal_width());
}

std::string render_kb_stats(const nlohmann::json& reply) {
  std::string out = std::to_string(reply.value("articles", 0)) + " articles, " + std::to_string(reply.value("chunks", 0)) +
                    " chunks, " + std::to_string(reply.value("bytes", std::int64_t{0}) / 1024) + " KiB\n";
  out += "embeddings: " + reply.value("model", "") + " (" + std::to_string(reply.value("dimensions", 0)) + " dimensions)";
  if (reply.value("pending_reembed", 0) > 0) out += ", re-embedding " + std::to_string(reply.value("pending_reembed", 0)) + " chunks";
  out += "\n";
  const auto kinds = reply.value("by_kind", nlohmann::json::object());
  for (auto& [kind, n] : kinds.items()) out += "  " + kind + ": " + n.dump() + "\n";
  return out;
}

}  // namespace paios
