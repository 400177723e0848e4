#include "core/process/output_adapter.hpp"

namespace paios {
namespace {

using nlohmann::json;

// Length of the longest prefix of `s` that does not end inside a UTF-8 sequence.
std::size_t complete_utf8_prefix(std::string_view s) {
  std::size_t n = s.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for the lead byte
    std::size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

class text_adapter final : public output_adapter {
 public:
  void feed(std::string_view bytes, std::vector<std::string>& chunks) override {
    pending_.append(bytes);
    auto n = complete_utf8_prefix(pending_);
    if (n == 0) return;
    chunks.emplace_back(pending_, 0, n);
    text_.append(pending_, 0, n);
    pending_.erase(0, n);
  }
  adapter_result finish() override {
    adapter_result r;
    text_ += pending_;
    r.text = std::move(text_);
    return r;
  }

 private:
  std::string pending_;
  std::string text_;
};

// The JSON-lines formats share the line splitting and the bookkeeping; each says what a line means.
class jsonl_adapter : public output_adapter {
 public:
  void feed(std::string_view bytes, std::vector<std::string>& chunks) override {
    buffer_.append(bytes);
    std::size_t start = 0;
    for (;;) {
      auto nl = buffer_.find('\n', start);
      if (nl == std::string::npos) break;
      handle_line(std::string_view{buffer_}.substr(start, nl - start), chunks);
      start = nl + 1;
    }
    buffer_.erase(0, start);
  }

  adapter_result finish() override {
    std::vector<std::string> ignored;
    if (!buffer_.empty()) handle_line(buffer_, ignored);
    buffer_.clear();
    if (noise_) result_.meta["noise"] = noise_;
    if (result_.text.empty()) result_.text = streamed_;
    if (!saw_end_ && result_.error)
      result_.error = {errc::brain_failed,
                       "the output ended before the agent's final " + std::string{final_record()} + " record"};
    return std::move(result_);
  }

 protected:
  virtual void on_json(const json& j, std::vector<std::string>& chunks) = 0;
  virtual const char* final_record() const = 0;

  void emit(std::string text, std::vector<std::string>& chunks) {
    if (text.empty()) return;
    streamed_ += text;
    chunks.push_back(std::move(text));
  }

  adapter_result result_;
  std::string streamed_;
  bool saw_end_ = false;

 private:
  void handle_line(std::string_view line, std::vector<std::string>& chunks) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) return;
    auto j = json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ++noise_;
      return;
    }
    try {
      on_json(j, chunks);
    } catch (const json::exception&) {
      ++noise_;  // a record of the right kind with fields of the wrong types
    }
  }

  std::string buffer_;
  int noise_ = 0;
};

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

class claude_adapter final : public jsonl_adapter {
  const char* final_record() const override { return "\"result\""; }

  void on_json(const json& j, std::vector<std::string>& chunks) override {
    auto type = str(j, "type");
    if (type == "system") {
      if (j.contains("session_id")) result_.meta["session_id"] = j["session_id"];
      if (j.contains("model")) result_.meta["model"] = j["model"];
    } else if (type == "stream_event") {
      const auto& ev = j.value("event", json::object());
      if (str(ev, "type") == "content_block_delta") {
        const auto& d = ev.value("delta", json::object());
        if (str(d, "type") == "text_delta") {
          partial_ = true;
          emit(str(d, "text"), chunks);
        }
      }
    } else if (type == "assistant") {
      // With partial messages on, the deltas already streamed this text.
      if (partial_) return;
      const auto& content = j.value("message", json::object()).value("content", json::array());
      for (const auto& block : content)
        if (str(block, "type") == "text") emit(str(block, "text"), chunks);
    } else if (type == "result") {
      saw_end_ = true;
      auto subtype = str(j, "subtype");
      const bool failed = j.value("is_error", false) || (!subtype.empty() && subtype != "success");
      if (j.contains("result") && j["result"].is_string()) result_.text = j["result"].get<std::string>();
      result_.error = failed ? status{errc::brain_failed, !result_.text.empty() ? result_.text : "claude ended with " + subtype}
                             : status{};
      for (const char* key : {"session_id", "total_cost_usd", "usage", "duration_ms", "num_turns"})
        if (j.contains(key)) result_.meta[key] = j[key];
    }
  }

  bool partial_ = false;
};

class codex_adapter final : public jsonl_adapter {
  const char* final_record() const override { return "\"turn.completed\""; }

  void on_json(const json& j, std::vector<std::string>& chunks) override {
    auto type = str(j, "type");
    if (type == "thread.started") {
      result_.meta["thread_id"] = j.value("thread_id", "");
    } else if (type == "item.completed") {
      const auto& item = j.value("item", json::object());
      auto kind = item.contains("type") ? str(item, "type") : str(item, "item_type");  // older releases: item_type
      if (kind == "agent_message" || kind == "assistant_message") {
        auto text = str(item, "text");
        if (!messages_.empty()) emit("\n\n", chunks);
        messages_.push_back(text);
        emit(text, chunks);
      } else if (kind == "error") {
        last_error_ = str(item, "message");
      }
    } else if (type == "turn.completed") {
      saw_end_ = true;
      if (j.contains("usage")) result_.meta["usage"] = j["usage"];
    } else if (type == "turn.failed" || type == "error") {
      saw_end_ = true;
      auto why = type == "error" ? str(j, "message") : str(j.value("error", json::object()), "message");
      if (why.empty()) why = last_error_.empty() ? type : last_error_;
      result_.error = {errc::brain_failed, std::move(why)};
    }
  }

  // The answer is every agent message of the turn, separated by a blank line (codex may speak more than once).
  std::vector<std::string> messages_;
  std::string last_error_;
};

class gemini_stream_adapter final : public jsonl_adapter {
  const char* final_record() const override { return "\"result\""; }

  void on_json(const json& j, std::vector<std::string>& chunks) override {
    auto type = str(j, "type");
    if (type == "init") {
      result_.meta["session_id"] = j.value("session_id", "");
      result_.meta["model"] = j.value("model", "");
    } else if (type == "message" && str(j, "role") == "assistant") {
      emit(str(j, "content"), chunks);
    } else if (type == "error") {
      last_error_ = str(j, "message");
    } else if (type == "result") {
      saw_end_ = true;
      if (j.contains("stats")) result_.meta["stats"] = j["stats"];
      if (str(j, "status") != "success") {
        const auto& e = j.value("error", json::object());
        auto why = e.is_object() ? str(e, "message") : std::string{};
        if (why.empty()) why = last_error_.empty() ? "gemini reported an error" : last_error_;
        result_.error = {errc::brain_failed, std::move(why)};
      }
    }
  }

  std::string last_error_;
};

// Gemini's json format is one document printed at the end: nothing streams before it.
class gemini_json_adapter final : public output_adapter {
 public:
  void feed(std::string_view bytes, std::vector<std::string>&) override { buffer_.append(bytes); }

  adapter_result finish() override {
    adapter_result r;
    // Some versions print a line of notices before the document: parse from the first '{'.
    auto start = buffer_.find('{');
    json j = start == std::string::npos ? json{} : json::parse(buffer_.begin() + static_cast<long>(start), buffer_.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      r.error = {errc::brain_failed, buffer_.empty() ? "gemini printed nothing"
                                                     : "the output ended before gemini's JSON document was complete"};
      r.text = buffer_;
      return r;
    }
    r.text = str(j, "response");
    if (j.contains("stats")) r.meta["stats"] = j["stats"];
    if (j.contains("session_id")) r.meta["session_id"] = j["session_id"];
    auto e = j.find("error");
    if (e != j.end() && e->is_object()) {
      auto why = str(*e, "message");
      r.error = {errc::brain_failed, why.empty() ? e->dump() : std::move(why)};
    }
    return r;
  }

 private:
  std::string buffer_;
};

}  // namespace

const std::vector<std::string_view>& output_formats() {
  static const std::vector<std::string_view> names = {"text", "claude-stream-json", "codex-jsonl", "gemini-json",
                                                      "gemini-stream-json"};
  return names;
}

std::unique_ptr<output_adapter> make_output_adapter(std::string_view format) {
  if (format == "text") return std::make_unique<text_adapter>();
  if (format == "claude-stream-json") return std::make_unique<claude_adapter>();
  if (format == "codex-jsonl") return std::make_unique<codex_adapter>();
  if (format == "gemini-json") return std::make_unique<gemini_json_adapter>();
  if (format == "gemini-stream-json") return std::make_unique<gemini_stream_adapter>();
  return nullptr;
}

}  // namespace paios
