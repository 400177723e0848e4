#include "cli/mcp_install.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <vector>

#include "cli/config_file.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

constexpr const char* kName = "paios";
// A task_submit waits for a brain's whole answer; Codex's default of 60 s per tool call would cut it short.
constexpr int kCodexToolTimeoutS = 600;

// A TOML basic string: JSON's escapes are TOML's, but for DEL, which TOML wants escaped too.
std::string toml_string(const std::string& s) {
  auto out = nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (std::size_t at; (at = out.find('\x7f')) != std::string::npos;) out.replace(at, 1, "\\u007F");
  return out;
}

// --- Just enough of TOML to find tables and keys, line by line -------------------------------------------------

struct toml_line {
  std::string text;
  bool header = false;                // a [table] or [[array of tables]] line
  std::vector<std::string> path;      // a header's table, or a key line's key (relative to its table)
  bool statement_start = false;       // a key = value line at the top level (not inside a value)
};

// A dotted key ("mcp_servers.\"paios\"") as its parts, quotes removed; nullopt when it is not a key.
std::optional<std::vector<std::string>> parse_key(std::string_view s) {
  std::vector<std::string> parts;
  std::string cur;
  bool any = false;
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  skip_ws();
  while (i < s.size()) {
    if (s[i] == '"' || s[i] == '\'') {
      const char q = s[i++];
      while (i < s.size() && s[i] != q) {
        if (q == '"' && s[i] == '\\' && i + 1 < s.size()) ++i;
        cur += s[i++];
      }
      if (i == s.size()) return std::nullopt;
      ++i;
      any = true;
    } else if (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '-') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '-')) cur += s[i++];
      any = true;
    } else {
      return std::nullopt;
    }
    skip_ws();
    if (!any) return std::nullopt;
    parts.push_back(std::move(cur));
    cur.clear();
    any = false;
    if (i < s.size()) {
      if (s[i] != '.') return std::nullopt;
      ++i;
      skip_ws();
    }
  }
  if (parts.empty()) return std::nullopt;
  return parts;
}

// Splits the text into lines and marks headers and key lines, following strings (one-line and multi-line) and
// arrays that span lines, so that a '[' inside a value is never taken for a table.
std::vector<toml_line> scan_toml(const std::string& text) {
  std::vector<toml_line> lines;
  std::istringstream in(text);
  enum { none, ml_basic, ml_literal } open_string = none;
  int depth = 0;  // open brackets and braces of a value
  for (std::string line; std::getline(in, line);) {
    toml_line l;
    l.text = line;
    std::size_t i = 0;
    if (open_string == none && depth == 0) {
      const auto first = line.find_first_not_of(" \t");
      if (first != std::string::npos && line[first] == '[') {
        const bool array = line.compare(first, 2, "[[") == 0;
        const auto open = first + (array ? 2 : 1);
        const auto close = line.find(array ? "]]" : "]", open);
        if (close != std::string::npos) {
          if (auto key = parse_key(std::string_view(line).substr(open, close - open))) {
            l.header = true;
            l.path = *key;
          }
        }
        lines.push_back(std::move(l));
        continue;
      }
      const auto eq = line.find('=');
      if (first != std::string::npos && line[first] != '#' && eq != std::string::npos) {
        if (auto key = parse_key(std::string_view(line).substr(0, eq))) {
          l.statement_start = true;
          l.path = *key;
          i = eq + 1;
        }
      }
    }
    while (i < line.size()) {
      if (open_string == ml_basic) {
        if (line[i] == '\\') i += 2;
        else if (line.compare(i, 3, "\"\"\"") == 0) open_string = none, i += 3;
        else ++i;
        continue;
      }
      if (open_string == ml_literal) {
        if (line.compare(i, 3, "'''") == 0) open_string = none, i += 3;
        else ++i;
        continue;
      }
      const char c = line[i];
      if (c == '#') break;
      if (line.compare(i, 3, "\"\"\"") == 0) {
        open_string = ml_basic, i += 3;
      } else if (line.compare(i, 3, "'''") == 0) {
        open_string = ml_literal, i += 3;
      } else if (c == '"' || c == '\'') {
        for (++i; i < line.size() && line[i] != c; ++i)
          if (c == '"' && line[i] == '\\') ++i;
        ++i;
      } else {
        if (c == '[' || c == '{') ++depth;
        if ((c == ']' || c == '}') && depth > 0) --depth;
        ++i;
      }
    }
    lines.push_back(std::move(l));
  }
  return lines;
}

bool starts_with(const std::vector<std::string>& path, const std::vector<std::string>& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

bool blank_or_comment(const std::string& line) {
  const auto first = line.find_first_not_of(" \t\r");
  return first == std::string::npos || line[first] == '#';
}

}  // namespace

ojson mcp_server_args(const std::string& home) {
  return home.empty() ? ojson::array({"mcp"}) : ojson::array({"--home", home, "mcp"});
}

bool merge_mcp_servers_json(ojson& settings, const ojson& entry, std::string& error) {
  if (!settings.contains("mcpServers")) settings["mcpServers"] = ojson::object();
  auto& servers = settings["mcpServers"];
  if (!servers.is_object()) {
    error = "\"mcpServers\" is not an object";
    return false;
  }
  servers[kName] = entry;
  return true;
}

std::string merge_codex_toml(const std::string& text, const std::string& ai_path, const std::string& home,
                             std::string& error) {
  const std::vector<std::string> ours{"mcp_servers", kName};
  auto args = mcp_server_args(home);
  std::string args_toml = "[";
  for (std::size_t i = 0; i < args.size(); ++i) args_toml += (i ? ", " : "") + toml_string(args[i].get<std::string>());
  args_toml += "]";
  const std::vector<std::string> managed{"command = " + toml_string(ai_path), "args = " + args_toml};

  auto lines = scan_toml(text);
  std::vector<std::string> table;  // the table the current line is in
  std::optional<std::size_t> header;  // our table's header line
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    if (l.header) {
      table = l.path;
      if (table == ours) {
        if (header) {
          error = "[mcp_servers.paios] is defined twice";
          return text;
        }
        header = i;
      }
      continue;
    }
    if (!l.statement_start) continue;
    auto key = table;
    key.insert(key.end(), l.path.begin(), l.path.end());
    const bool in_ours = starts_with(table, ours);
    if (!in_ours && (starts_with(key, ours) || key == std::vector<std::string>{"mcp_servers"})) {
      error = "the paios MCP server (or mcp_servers) is defined as an inline table or with dotted keys; edit it by hand "
              "or make it a [mcp_servers.paios] table";
      return text;
    }
  }

  std::vector<std::string> out;
  if (!header) {
    for (const auto& l : lines) out.push_back(l.text);
    while (!out.empty() && out.back().find_first_not_of(" \t\r") == std::string::npos) out.pop_back();
    if (!out.empty()) out.emplace_back();
    out.push_back("[mcp_servers.paios]");
    out.insert(out.end(), managed.begin(), managed.end());
    out.push_back("tool_timeout_sec = " + std::to_string(kCodexToolTimeoutS));
  } else {
    // Our table's own lines run to the next header; its command and args (each with the lines its value spans)
    // are replaced by ours right after the header, every other key and every sub-table stays.
    for (std::size_t i = 0; i <= *header; ++i) out.push_back(lines[i].text);
    out.insert(out.end(), managed.begin(), managed.end());
    std::size_t i = *header + 1;
    while (i < lines.size() && !lines[i].header) {
      const auto& l = lines[i];
      const bool replaced = l.statement_start && l.path.size() == 1 && (l.path[0] == "command" || l.path[0] == "args");
      std::size_t next = i + 1;
      if (l.statement_start)  // a value spans lines up to the next statement, header, blank or comment line
        while (next < lines.size() && !lines[next].header && !lines[next].statement_start && !blank_or_comment(lines[next].text))
          ++next;
      if (!replaced)
        for (std::size_t k = i; k < next; ++k) out.push_back(lines[k].text);
      i = next;
    }
    for (; i < lines.size(); ++i) out.push_back(lines[i].text);
  }
  std::string result;
  for (const auto& line : out) result += line + "\n";
  return result;
}

int mcp_install(const mcp_install_options& opt, std::ostream& out, std::ostream& err) {
  const std::string who = "ai mcp install " + opt.agent;
  if (opt.agent != "claude" && opt.agent != "codex" && opt.agent != "gemini") {
    err << "ai mcp install: unknown agent '" << opt.agent << "' (claude, codex or gemini)\n";
    return 2;
  }
  const auto ai = opt.ai_path.empty() ? self_exe() : opt.ai_path;
  if (ai.empty() || !fs::path(ai).is_absolute()) {
    err << who << ": cannot tell where the ai binary is\n";
    return 1;
  }
  const char* env_home = std::getenv("HOME");
  const fs::path user_home = env_home && *env_home ? fs::path(env_home) : fs::path();
  auto project_dir = [&](fs::path& dir) {
    std::error_code ec;
    dir = fs::absolute(opt.project.empty() ? fs::path(".") : fs::path(opt.project), ec).lexically_normal();
    if (ec || !fs::is_directory(dir, ec)) {
      err << who << ": " << dir.string() << " is not a folder\n";
      return false;
    }
    return true;
  };
  auto need_home = [&] {
    if (!user_home.empty()) return true;
    err << who << ": HOME is not set\n";
    return false;
  };

  fs::path file;
  bool toml = false;
  ojson entry = ojson::object();
  if (opt.agent == "claude") {
    entry["type"] = "stdio";
    if (opt.user) {
      if (!need_home()) return 1;
      file = user_home / ".claude.json";
    } else {
      fs::path dir;
      if (!project_dir(dir)) return 1;
      file = dir / ".mcp.json";
    }
  } else if (opt.agent == "codex") {
    if (!opt.project.empty()) {
      err << who << ": Codex reads its MCP servers from its user configuration only; leave out --project\n";
      return 1;
    }
    const char* codex_home = std::getenv("CODEX_HOME");
    if (codex_home && *codex_home) file = fs::path(codex_home) / "config.toml";
    else if (need_home()) file = user_home / ".codex" / "config.toml";
    else return 1;
    toml = true;
  } else {
    if (!opt.project.empty()) {
      fs::path dir;
      if (!project_dir(dir)) return 1;
      file = dir / ".gemini" / "settings.json";
    } else {
      if (!need_home()) return 1;
      file = user_home / ".gemini" / "settings.json";
    }
  }
  entry["command"] = ai;
  entry["args"] = mcp_server_args(opt.home);

  if (opt.print) {
    if (toml) {
      std::string error;
      out << "# " << file.string() << "\n" << merge_codex_toml("", ai, opt.home, error);
    } else {
      if (opt.agent == "claude") {
        std::string cmd = "claude mcp add --scope " + std::string(opt.user ? "user" : "project") + " " + kName + " -- " +
                          shell_quote(ai);
        for (const auto& a : entry["args"]) cmd += " " + shell_quote(a.get<std::string>());
        out << cmd << "\n\n";
      }
      out << "# " << file.string() << "\n"
          << ojson{{"mcpServers", {{kName, entry}}}}.dump(2, ' ', false, ojson::error_handler_t::replace) << "\n";
    }
    return 0;
  }

  text_edit edit;
  if (toml) {
    edit = [&](const std::string& before, bool, std::string& after, std::string& error) {
      after = merge_codex_toml(before, ai, opt.home, error);
      if (!error.empty()) return edit_result::refused;
      return after == before ? edit_result::unchanged : edit_result::changed;
    };
  } else {
    edit = json_object_edit([&](ojson& settings, std::string& error) { return merge_mcp_servers_json(settings, entry, error); });
  }
  std::string detail = shell_quote(ai);
  for (const auto& a : entry["args"]) detail += " " + shell_quote(a.get<std::string>());
  const int rc = install_edit(file, opt.dry_run, edit, {who, "paios is already registered in", "paios registered in", detail},
                              out, err);
  if (rc == 0 && !opt.dry_run && opt.agent == "claude" && !opt.user)
    out << "Claude Code asks once, in the project, before it uses the servers of its .mcp.json\n";
  return rc;
}

}  // namespace paios
