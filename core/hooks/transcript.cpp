#include "core/hooks/transcript.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>

#include <nlohmann/json.hpp>

#include "core/hooks/hook_rules.hpp"
#include "messages/redact.hpp"
#include "messages/text.hpp"
#include "messages/utf8.hpp"

namespace paios {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxDecisions = 5;
constexpr std::size_t kPromptShown = 300;
constexpr std::size_t kAnswerShown = 1500;
constexpr std::size_t kMaxLearningBytes = 8192;

// Members of outside data, read without trusting their types: a string, or "" / false.
std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}
bool flag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::string trim(std::string_view s) { return std::string{trim_ascii(s)}; }

std::string fold(std::string_view s, std::size_t max) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > max) out = utf8_prefix(out, max) + "...";
  return out;
}

// The text blocks of a message's content (a string is one text block); `tool_results` says whether the content
// is tool results rather than words.
std::string text_of(const json& content, bool* tool_results = nullptr) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (!content.is_array()) return out;
  for (const auto& b : content) {
    if (!b.is_object()) continue;
    auto type = str(b, "type");
    if (type == "text" && b.contains("text") && b["text"].is_string()) {
      if (!out.empty()) out += "\n";
      out += b["text"].get<std::string>();
    } else if (type == "tool_result" && tool_results) {
      *tool_results = true;
    }
  }
  return out;
}

// Sentences that state a choice or a cause: what a later session most needs to know.
const std::regex& decision_words() {
  static const std::regex re(
      "\\b(decided|decision|chose|chosen|choose|instead of|root cause|the cause|caused by|the fix|fixed by|went with|"
      "switched to|we use|i used|opted|because)\\b",
      std::regex::ECMAScript | std::regex::icase);
  return re;
}

void collect_decisions(const std::string& text, std::vector<std::string>& out) {
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find_first_of(".!?\n", start);
    if (end == std::string::npos) end = text.size();
    auto sentence = trim(std::string_view{text}.substr(start, end - start + (end < text.size() ? 1 : 0)));
    start = end + 1;
    if (sentence.size() < 20 || sentence.size() > 400) continue;
    if (!std::regex_search(sentence, decision_words())) continue;
    out.erase(std::remove(out.begin(), out.end(), sentence), out.end());
    out.push_back(std::move(sentence));
    if (out.size() > kMaxDecisions) out.erase(out.begin());
  }
}

}  // namespace

transcript_summary summarize_transcript(const std::string& jsonl) {
  transcript_summary s;
  std::string answer_id;    // message.id of the last assistant message
  bool after_prompt = false;
  std::size_t pos = 0;
  while (pos < jsonl.size()) {
    auto nl = jsonl.find('\n', pos);
    if (nl == std::string::npos) nl = jsonl.size();
    std::string_view line{jsonl.data() + pos, nl - pos};
    pos = nl + 1;
    if (trim(line).empty()) continue;
    ++s.lines;
    auto j = json::parse(line.begin(), line.end(), nullptr, false);
    if (!j.is_object()) continue;
    if (flag(j, "isMeta") || flag(j, "isSidechain")) continue;
    auto type = str(j, "type");
    if (!j.contains("message") || !j["message"].is_object()) continue;
    const auto& msg = j["message"];
    const json content = msg.contains("content") ? msg["content"] : json();
    if (type == "user") {
      bool results = false;
      auto text = trim(text_of(content, &results));
      if (results || text.empty()) continue;
      // Claude Code's own notes in the user's place: not prompts.
      if (text.rfind("<local-command-stdout>", 0) == 0 || text.rfind("Caveat:", 0) == 0) continue;
      s.prompts.push_back(text);
      s.last_answer.reset();
      answer_id.clear();
      after_prompt = true;
    } else if (type == "assistant") {
      auto id = str(msg, "id");
      auto text = text_of(content);
      if (after_prompt) {
        // The last message with words is the answer (one message may span lines sharing its id); messages of
        // tool calls alone make an answer without words only when there is none with words.
        if (!s.last_answer) s.last_answer = std::string{};
        if (!text.empty() && !id.empty() && id == answer_id) {
          *s.last_answer += "\n" + text;
        } else if (!text.empty()) {
          s.last_answer = text;
          answer_id = id;
        }
      }
      if (!text.empty()) collect_decisions(text, s.decisions);
      if (!content.is_array()) continue;
      for (const auto& b : content) {
        if (!b.is_object() || str(b, "type") != "tool_use") continue;
        ++s.tool_calls;
        auto name = str(b, "name");
        const json input = b.contains("input") && b["input"].is_object() ? b["input"] : json::object();
        if (name == "Edit" || name == "MultiEdit" || name == "Write" || name == "NotebookEdit") {
          auto path = str(input, "file_path").empty() ? str(input, "notebook_path") : str(input, "file_path");
          if (!path.empty()) s.changed[path].push_back(name);
        } else if (name == "Bash") {
          auto cmd = str(input, "command");
          if (!cmd.empty()) s.commands.push_back(cmd);
        } else if (name == "TodoWrite" && input.contains("todos") && input["todos"].is_array()) {
          s.open_todos.clear();
          for (const auto& t : input["todos"])
            if (t.is_object() && str(t, "status") != "completed") s.open_todos.push_back(str(t, "content"));
        }
      }
    }
  }
  return s;
}

expected<transcript_summary> read_transcript(const std::filesystem::path& file, std::size_t max_bytes) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return status{errno == ENOENT ? errc::not_found : errc::bad_request, file.string() + ": " + std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return status{errc::bad_request, file.string() + ": not a regular file"};
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  const std::size_t from = size > max_bytes ? size - max_bytes : 0;
  std::string text(size - from, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    auto n = ::pread(fd, text.data() + got, text.size() - got, static_cast<off_t>(from + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(got);
  if (from > 0) text.erase(0, std::min(text.size(), text.find('\n') + 1));  // the cut first line
  auto s = summarize_transcript(text);
  s.cut = from > 0;
  return s;
}

std::optional<session_learning> make_learning(const transcript_summary& s, const std::string& session,
                                              const std::string& project, const std::string& reason) {
  if (s.prompts.empty()) return std::nullopt;
  session_learning l;
  l.topic = fold(redact(s.prompts.front()), 120);
  l.title = "Learning: " + l.topic;
  std::string c = "What a Claude Code session learned (session " + session + (project.empty() ? "" : ", project " + project) +
                  (reason.empty() ? "" : ", ended: " + reason) + "; " + std::to_string(s.prompts.size()) + " prompt(s), " +
                  std::to_string(s.tool_calls) + " tool call(s)).\n";
  c += "\nAsked:\n";
  // The first prompts set the topic; the last ones say where it ended.
  std::vector<std::size_t> shown;
  for (std::size_t i = 0; i < s.prompts.size(); ++i)
    if (i < 3 || i + 2 >= s.prompts.size()) shown.push_back(i);
  std::size_t last = 0;
  for (auto i : shown) {
    if (i > last + 1 && last != 0) c += "- ...\n";
    c += "- " + fold(s.prompts[i], kPromptShown) + "\n";
    last = i;
  }
  if (!s.decisions.empty()) {
    c += "\nDecided:\n";
    for (const auto& d : s.decisions) c += "- " + fold(d, 300) + "\n";
  }
  if (!s.changed.empty()) {
    c += "\nChanged:\n";
    std::size_t n = 0;
    for (const auto& [path, tools] : s.changed) {
      if (++n > 20) {
        c += "- ... and " + std::to_string(s.changed.size() - 20) + " more files\n";
        break;
      }
      std::map<std::string, int> counts;
      for (const auto& t : tools) ++counts[t];
      std::string how;
      for (const auto& [t, k] : counts) how += (how.empty() ? "" : ", ") + t + (k > 1 ? " x" + std::to_string(k) : "");
      c += "- " + path + " (" + how + ")\n";
    }
  }
  if (!s.commands.empty()) {
    c += "\nRan:\n";
    const std::size_t first = s.commands.size() > 8 ? s.commands.size() - 8 : 0;
    for (std::size_t i = first; i < s.commands.size(); ++i) c += "- " + fold(s.commands[i], 160) + "\n";
  }
  if (!s.open_todos.empty()) {
    c += "\nLeft open:\n";
    for (const auto& t : s.open_todos) c += "- " + fold(t, 200) + "\n";
  }
  if (s.last_answer && !trim(*s.last_answer).empty()) c += "\nOutcome (the last answer):\n" + utf8_prefix(trim(*s.last_answer), kAnswerShown) + "\n";
  c = redact(c);
  if (c.size() > kMaxLearningBytes) c = utf8_prefix(c, kMaxLearningBytes) + "\n...";
  l.content = std::move(c);
  return l;
}

}  // namespace paios
