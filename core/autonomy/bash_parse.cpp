#include "core/autonomy/bash_parse.hpp"

#include "core/autonomy/bash_scan.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <memory>

#include <re2/re2.h>
#include <tree_sitter/api.h>

extern "C" const TSLanguage* tree_sitter_bash(void);

namespace paios::autonomy {
namespace {

constexpr int max_node_depth = 256;  // deeper trees (((((...))))) are refused before the walk recurses too far
constexpr std::size_t max_text = 160;

struct parser_deleter {
  void operator()(TSParser* p) const { ts_parser_delete(p); }
};
struct tree_deleter {
  void operator()(TSTree* t) const { ts_tree_delete(t); }
};

// One parser per thread: making one costs more than parsing a short command.
TSParser* thread_parser() {
  thread_local std::unique_ptr<TSParser, parser_deleter> parser = [] {
    std::unique_ptr<TSParser, parser_deleter> p(ts_parser_new());
    ts_parser_set_language(p.get(), tree_sitter_bash());
    ts_parser_set_timeout_micros(p.get(), 200000);  // a pathological input ends as a problem, not a hang
    return p;
  }();
  return parser.get();
}

bool is(TSNode n, const char* type) { return std::strcmp(ts_node_type(n), type) == 0; }

// Lengths first: most names differ in length, and string_view's == compares the bytes before the lengths.
bool one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  for (auto n : names)
    if (n.size() == s.size() && std::memcmp(n.data(), s.data(), s.size()) == 0) return true;
  return false;
}

std::string cut_text(std::string_view t) {
  if (t.size() <= max_text) return std::string(t);
  std::string out;
  out.reserve(max_text + 3);
  return out.append(t.substr(0, max_text)).append("...");
}

// A view into `s`: the name after its last slash (a name ending in '/' stays whole).
std::string_view basename_of(std::string_view s) {
  auto slash = s.rfind('/');
  if (slash != std::string_view::npos && slash + 1 < s.size()) s.remove_prefix(slash + 1);
  return s;
}

using word = shell_word;

// Words of one command, from a wrapper's command on (`sudo rm -rf x`: rm -rf x); they may be moved from.
class word_span {
 public:
  word_span(word* first, std::size_t n) : first_(first), n_(n) {}
  explicit word_span(std::vector<word>& ws) : first_(ws.data()), n_(ws.size()) {}
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  word& operator[](std::size_t k) const { return first_[k]; }
  word* begin() const { return first_; }
  word* end() const { return first_ + n_; }
  word_span from(std::size_t k) const { return {first_ + k, n_ - k}; }
  word_span first(std::size_t k) const { return {first_, k}; }

 private:
  word* first_;
  std::size_t n_;
};

class walker final : public scan_sink {
 public:
  walker(const bash_limits& limits, bash_parse_result& out) : limits_(limits), out_(out) {}

  void parse(std::string_view src, const std::vector<std::string>& fed_by, int depth) {
    if (depth > limits_.max_depth) {
      out_.problems.push_back("nested beyond " + std::to_string(limits_.max_depth) + " levels of commands in strings");
      return;
    }
    depth_ = depth;
    // Most commands are lists of simple commands the scanner reads for certain in a fraction of tree-sitter's
    // time; the rest (and anything it is not sure of) are tree-sitter's.
    if (limits_.fast_scan) {
      const checkpoint mark = save();
      lists_.push_back({&fed_by, {}, 0});
      const bool read = scan_bash(src, *this);
      if (read) {
        lists_.pop_back();
        return;
      }
      restore(mark);  // what the scanner handed over before it gave up is tree-sitter's to read
    }
    // A newline at the end changes nothing a shell does, but spares tree-sitter-bash its error-recovery path
    // on a pipeline that ends the text (`a | b | c` took 60 us without it, 5 us with it).
    std::string text;
    text.reserve(src.size() + 1);
    text.append(src).push_back('\n');
    src = text;  // nodes (an ERROR, a here-document) may end on that newline
    std::unique_ptr<TSTree, tree_deleter> tree(
        ts_parser_parse_string(thread_parser(), nullptr, text.data(), static_cast<std::uint32_t>(text.size())));
    if (!tree) {
      ts_parser_reset(thread_parser());
      out_.problems.push_back("the parser gave up on the command");
      return;
    }
    src_stack_.push_back(src);
    walk(ts_tree_root_node(tree.get()), fed_by, 0);
    src_stack_.pop_back();
  }

 private:
  std::string_view src() const { return src_stack_.back(); }
  // The source between two offsets, clamped to it (a MISSING node or an unterminated string may have odd ones).
  std::string slice(std::size_t b, std::size_t e) const {
    b = std::min(b, src().size());
    e = std::min(std::max(e, b), src().size());
    return std::string(src().substr(b, e - b));
  }
  std::string text_of(TSNode n) const { return slice(ts_node_start_byte(n), ts_node_end_byte(n)); }
  std::string short_text(TSNode n) const { return cut_text(text_of(n)); }

  // The scanner's reading, walked as walk() walks tree-sitter's: the same order of parts and writes.
  // A list being read: what feeds all of it (a parse's fed_by; nothing in a substitution), and in the pipeline
  // being read, what feeds the next stage (its earlier stages too).
  struct list_state {
    const std::vector<std::string>* fed_by;
    std::vector<std::string> stage_fed_by;
    std::size_t first_part;   // in a substitution: the first part of its commands
    std::size_t stage_first = 0;  // the first part of the stage being read
  };

  void pipeline_begin() override {
    auto& l = lists_.back();
    l.stage_fed_by.assign(l.fed_by->begin(), l.fed_by->end());
    l.stage_first = out_.parts.size();
  }

  // A stage feeds the next with all it runs, its substitutions (already handed over) too.
  void command(std::vector<word>& words, const std::vector<scanned_redirect>& redirects,
               std::string_view text) override {
    auto& l = lists_.back();  // stays in place while lists read inside are added (a deque)
    command_words(words, l.stage_fed_by, text);
    for (const auto& r : redirects) add_redirect(r.op, r.destination, r.text);
    for (auto k = l.stage_first; k < out_.parts.size(); ++k) l.stage_fed_by.push_back(out_.parts[k].words[0]);
    l.stage_first = out_.parts.size();
  }

  void substitution_begin() override { lists_.push_back({&no_feeders_, {}, out_.parts.size()}); }

  void substitution_end(word& w) override {
    for (auto k = lists_.back().first_part; k < out_.parts.size(); ++k) w.fed_by.push_back(out_.parts[k].words[0]);
    lists_.pop_back();
  }

  // What a reading has added so far, to undo what the scanner handed over before it gave up.
  struct checkpoint {
    std::size_t parts, writes, problems, lists;
    std::string dir, stdin_script, stdin;
    bool deep_reported;
  };
  checkpoint save() const {
    return {out_.parts.size(), out_.writes.size(), out_.problems.size(), lists_.size(), dir_, stdin_script_, stdin_,
            deep_reported_};
  }
  void restore(const checkpoint& c) {
    out_.parts.erase(out_.parts.begin() + static_cast<std::ptrdiff_t>(c.parts), out_.parts.end());
    out_.writes.erase(out_.writes.begin() + static_cast<std::ptrdiff_t>(c.writes), out_.writes.end());
    out_.problems.erase(out_.problems.begin() + static_cast<std::ptrdiff_t>(c.problems), out_.problems.end());
    lists_.resize(c.lists);
    dir_ = c.dir;
    stdin_script_ = c.stdin_script;
    stdin_ = c.stdin;
    deep_reported_ = c.deep_reported;
  }

  void walk(TSNode n, const std::vector<std::string>& fed_by, int nd) {
    if (nd > max_node_depth) {
      if (!deep_reported_) out_.problems.push_back("nested beyond " + std::to_string(max_node_depth) + " levels");
      deep_reported_ = true;
      return;
    }
    if (ts_node_is_missing(n) || is(n, "ERROR")) {
      out_.problems.push_back("the parser cannot read `" + short_text(n) + "`");
      if (ts_node_is_missing(n)) return;
    }
    if (is(n, "command")) return command(n, fed_by, nd);
    if (is(n, "pipeline")) return pipeline(n, fed_by, nd);
    if (is(n, "file_redirect")) return redirect(n, nd);
    if (is(n, "function_definition")) function(n);
    if (is(n, "redirected_statement")) here_document(n);
    for (std::uint32_t i = 0; i < ts_node_named_child_count(n); ++i) walk(ts_node_named_child(n, i), fed_by, nd + 1);
  }

  // Each stage is fed by the commands of the stages before it.
  void pipeline(TSNode n, std::vector<std::string> fed_by, int nd) {
    for (std::uint32_t i = 0; i < ts_node_named_child_count(n); ++i) {
      auto first = out_.parts.size();
      walk(ts_node_named_child(n, i), fed_by, nd + 1);
      for (auto k = first; k < out_.parts.size(); ++k) fed_by.push_back(out_.parts[k].words[0]);
    }
  }

  // `sh <<EOF ... EOF`: the shell reads its script from the here-document; the command of the statement
  // takes it (command() clears it).
  void here_document(TSNode n) {
    for (std::uint32_t i = 0; i < ts_node_named_child_count(n); ++i) {
      TSNode r = ts_node_named_child(n, i);
      if (!is(r, "heredoc_redirect")) continue;
      for (std::uint32_t k = 0; k < ts_node_named_child_count(r); ++k)
        if (is(ts_node_named_child(r, k), "heredoc_body")) stdin_script_ = text_of(ts_node_named_child(r, k));
    }
  }

  // A function whose body pipes into itself is a fork bomb's shape (`:(){ :|:& };:`).
  void function(TSNode n) {
    TSNode name = ts_node_child_by_field_name(n, "name", 4);
    if (ts_node_is_null(name)) return;
    auto fname = text_of(name);
    std::vector<TSNode> stack{n};
    while (!stack.empty()) {
      TSNode cur = stack.back();
      stack.pop_back();
      if (is(cur, "pipeline")) {
        for (std::uint32_t i = 0; i < ts_node_named_child_count(cur); ++i) {
          TSNode c = ts_node_named_child(cur, i);
          if (is(c, "command") && ts_node_named_child_count(c) > 0 && text_of(ts_node_named_child(c, 0)) == fname) {
            command_part bomb;
            bomb.words = {"(recursive-function)", fname};
            bomb.text = short_text(n);
            out_.parts.push_back(std::move(bomb));
            return;
          }
        }
      }
      if (stack.size() < 4096)
        for (std::uint32_t i = 0; i < ts_node_named_child_count(cur); ++i) stack.push_back(ts_node_named_child(cur, i));
    }
  }

  void redirect(TSNode n, int nd) {
    std::string op;
    TSNode dest = ts_node_child_by_field_name(n, "destination", 11);
    for (std::uint32_t i = 0; i < ts_node_child_count(n); ++i) {
      TSNode c = ts_node_child(n, i);
      if (!ts_node_is_named(c)) op = ts_node_type(c);
    }
    if (ts_node_is_null(dest)) return;
    add_redirect(op, unquote(dest, nd).text, text_of(n));
  }

  // A redirection writes its destination unless it reads or duplicates a descriptor (2>&1).
  void add_redirect(std::string_view op, const std::string& destination, std::string_view text) {
    bool writes = one_of(op, {">", ">>", ">|", "&>", "&>>", "<>"}) ||
                  (op == ">&" && !destination.empty() && destination != "-" &&
                   destination.find_first_not_of("0123456789") != std::string::npos);
    if (writes) out_.writes.push_back({destination, cut_text(text)});
  }

  // tree-sitter-bash 0.23.3 sometimes reads the next line's command as more words of this one (after a
  // pipeline of three stages when that command has a redirection, or when the line starts with a backslash).
  // In bash a command's words cross a line end only by a line continuation, so one that does is a problem.
  void check_line_ends(TSNode n) {
    std::size_t prev_end = ts_node_start_byte(n);
    bool after_here_document = false;
    for (std::uint32_t i = 0; i < ts_node_named_child_count(n); ++i) {
      TSNode c = ts_node_named_child(n, i);
      std::string gap = slice(prev_end, ts_node_start_byte(c));
      for (auto at = gap.find("\\\n"); at != std::string::npos; at = gap.find("\\\n")) gap.erase(at, 2);
      const bool word_spans = is(c, "word") && text_of(c).find('\n') != std::string::npos;
      if ((!after_here_document && gap.find('\n') != std::string::npos) || word_spans) {
        out_.problems.push_back("the parser read `" + short_text(n) + "` across a line end");
        return;
      }
      after_here_document = is(c, "heredoc_redirect") || is(c, "herestring_redirect");
      prev_end = ts_node_end_byte(c);
    }
  }

  void command(TSNode n, std::vector<std::string> fed_by, int nd) {
    check_line_ends(n);
    std::vector<word> words;
    for (std::uint32_t i = 0; i < ts_node_named_child_count(n); ++i) {
      TSNode c = ts_node_named_child(n, i);
      if (is(c, "variable_assignment")) {
        walk(c, {}, nd + 1);  // X=$(rm -rf /) runs it
        continue;
      }
      if (is(c, "file_redirect")) {
        redirect(c, nd + 1);
        continue;
      }
      if (is(c, "herestring_redirect") && ts_node_named_child_count(c) > 0) {
        stdin_script_ = unquote(ts_node_named_child(c, ts_node_named_child_count(c) - 1), nd + 1).text;
        continue;
      }
      if (is(c, "heredoc_redirect")) {
        walk(c, {}, nd + 1);
        continue;
      }
      TSNode w = is(c, "command_name") && ts_node_named_child_count(c) > 0 ? ts_node_named_child(c, 0) : c;
      words.push_back(unquote(w, nd + 1));
    }
    command_words(words, fed_by, text_of(n));
  }

  // A simple command's words (quoting undone, substitutions walked): fed by its substitutions too.
  // `text` is the command's source text (cut to max_text when a part keeps it).
  // Its words are taken apart.
  void command_words(std::vector<word>& words, const std::vector<std::string>& fed_by, std::string_view text) {
    stdin_.swap(stdin_script_);  // this command's here-document, for run(); none for the commands inside it
    stdin_script_.clear();
    if (std::all_of(words.begin(), words.end(), [](const word& w) { return w.fed_by.empty(); })) {
      emit(word_span(words), fed_by, text);
    } else {
      std::vector<std::string> all = fed_by;
      for (const auto& w : words) all.insert(all.end(), w.fed_by.begin(), w.fed_by.end());
      emit(word_span(words), all, text);
    }
    stdin_.clear();
  }

  // The word's text with quoting and escapes undone; substitutions inside it are walked as commands.
  word unquote(TSNode n, int nd) {
    word w;
    append(n, w, nd, false);
    return w;
  }

  void append(TSNode n, word& w, int nd, bool in_double_quotes) {
    if (nd > max_node_depth) return walk(n, {}, nd);
    std::string_view type = ts_node_type(n);
    if (type == "word" || type == "string_content" || type == "number" || type == "special_variable_name") {
      auto t = text_of(n);
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '\\' && i + 1 < t.size() && (!in_double_quotes || std::strchr("\"\\$`\n", t[i + 1]))) ++i;
        w.text += t[i];
      }
    } else if (type == "raw_string") {
      auto t = text_of(n);
      w.text += t.size() >= 2 ? t.substr(1, t.size() - 2) : t;
    } else if (type == "ansi_c_string") {
      auto t = text_of(n);  // $'...': escapes other than \' and \\ are left as written
      t = t.size() >= 3 ? t.substr(2, t.size() - 3) : t;
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '\\' && i + 1 < t.size() && (t[i + 1] == '\'' || t[i + 1] == '\\')) ++i;
        w.text += t[i];
      }
    } else if (type == "string" || type == "concatenation") {
      // Text between the children (a string's spaces are not always a node) is taken as written.
      std::size_t start = ts_node_start_byte(n) + (type == "string" ? 1 : 0);
      std::size_t end = std::max<std::size_t>(ts_node_end_byte(n), 1) - (type == "string" ? 1 : 0);
      for (std::uint32_t i = 0; i < ts_node_child_count(n); ++i) {
        TSNode c = ts_node_child(n, i);
        if (!ts_node_is_named(c)) continue;
        if (ts_node_start_byte(c) > start) w.text += slice(start, ts_node_start_byte(c));
        append(c, w, nd + 1, type == "string" || in_double_quotes);
        start = ts_node_end_byte(c);
      }
      if (end > start) w.text += slice(start, end);
    } else if (type == "simple_expansion" || type == "expansion") {
      auto t = text_of(n);
      // $HOME stays as written: paths resolve it with the session's home.
      if (t != "$HOME" && t != "${HOME}") w.dynamic = true;
      w.text += t;
      walk(n, {}, nd + 1);  // ${X:-$(cmd)} runs cmd
    } else if (type == "command_substitution" || type == "process_substitution") {
      w.dynamic = true;
      w.text += text_of(n);
      auto first = out_.parts.size();
      for (std::uint32_t i = 0; i < ts_node_named_child_count(n); ++i) walk(ts_node_named_child(n, i), {}, nd + 1);
      for (auto k = first; k < out_.parts.size(); ++k) w.fed_by.push_back(out_.parts[k].words[0]);
    } else {
      // Arithmetic, brace expressions and the rest: as written, and whatever they run is walked.
      w.text += text_of(n);
      if (ts_node_named_child_count(n) > 0) {
        w.dynamic = true;
        walk(n, {}, nd + 1);
      }
    }
  }

  // Skips a wrapper's options: those in `with_value` take the next word (or are merged with it, -uroot).
  static std::size_t skip_options(word_span ws, std::size_t i,
                                  std::initializer_list<std::string_view> with_value) {
    while (i < ws.size()) {
      const auto& t = ws[i].text;
      if (t == "--") return i + 1;
      if (t.size() < 2 || t[0] != '-') return i;
      if (t.find('=') == std::string::npos && one_of(t, with_value)) ++i;
      ++i;
    }
    return i;
  }

  // The words may be moved from.
  void emit(word_span ws, const std::vector<std::string>& fed_by, std::string_view text, bool runtime_args = false) {
    std::size_t i = 0;
    std::size_t wrapper = std::string::npos;  // the last wrapper taken off: it is the command when nothing follows
    for (;;) {
      // Assignments before the name (X=1 rm, or after env) only set the environment.
      while (i < ws.size() && !ws[i].dynamic && is_assignment(ws[i].text)) ++i;
      if (i >= ws.size()) {
        if (wrapper == std::string::npos) return;
        i = wrapper;  // `env` alone prints the environment, `sudo -v` refreshes credentials
        ws = ws.first(wrapper + 1);
        break;
      }
      if (ws[i].dynamic) break;
      const std::string_view name = basename_of(ws[i].text);
      if (one_of(name, {"sudo", "doas", "env", "nice", "nohup", "builtin", "time", "exec", "stdbuf", "timeout", "xargs"}))
        wrapper = i;
      if (one_of(name, {"sudo", "doas"})) {
        i = skip_options(ws, i + 1, {"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "-R"});
      } else if (name == "env") {
        auto j = skip_options(ws, i + 1, {"-u", "-C", "--unset", "--chdir"});
        // env -S "rm -rf /" (--split-string=..., -S"...") splits its string into the command: read it as one.
        word script;
        bool split = false;
        for (auto k = i + 1; k < j; ++k) {
          const auto& t = ws[k].text;
          if (t.rfind("--split-string=", 0) == 0 || (t.size() > 2 && t.rfind("-S", 0) == 0)) {
            script = ws[k];
            script.text = t.substr(t[1] == '-' ? 15 : 2);
            split = true;
          }
        }
        if (!split && j > i + 1 && j < ws.size() && (ws[j - 1].text == "-S" || ws[j - 1].text == "--split-string")) {
          script = ws[j++];
          split = true;
        }
        if (split) {
          for (auto k = j; k < ws.size(); ++k) script.text += " " + ws[k].text;
          return reparse(script, fed_by, text);
        }
        i = j;
      } else if (name == "nice") {
        i = skip_options(ws, i + 1, {"-n", "--adjustment"});
      } else if (one_of(name, {"nohup", "builtin"})) {
        i = skip_options(ws, i + 1, {});
      } else if (name == "time") {
        i = skip_options(ws, i + 1, {"-f", "-o", "--format", "--output"});
      } else if (name == "command") {
        auto j = skip_options(ws, i + 1, {});
        bool lookup = false;  // command -v NAME only says where NAME is
        for (auto k = i + 1; k < j; ++k) lookup = lookup || ws[k].text == "-v" || ws[k].text == "-V";
        if (lookup) break;
        i = j;
      } else if (name == "exec") {
        i = skip_options(ws, i + 1, {"-a"});
      } else if (name == "stdbuf") {
        i = skip_options(ws, i + 1, {"-i", "-o", "-e"});
      } else if (name == "timeout") {
        i = skip_options(ws, i + 1, {"-s", "-k", "--signal", "--kill-after"}) + 1;  // then the duration
      } else if (name == "xargs") {
        auto j = skip_options(ws, i + 1, {"-I", "-n", "-P", "-d", "-L", "-s", "-E", "-a", "--max-args",
                                           "--max-procs", "--delimiter", "--max-lines", "--arg-file", "-e"});
        if (j >= ws.size()) break;  // xargs alone runs echo
        i = j;
        runtime_args = true;
      } else {
        break;
      }
    }
    if (i >= ws.size()) return;
    run(ws.from(i), fed_by, text, runtime_args);
  }

  static bool is_assignment(const std::string& t) {
    auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) return false;
    return std::all_of(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(eq),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  }

  // The words may be moved from.
  void run(word_span ws, const std::vector<std::string>& fed_by, std::string_view text, bool runtime_args) {
    const bool dynamic_name = ws[0].dynamic;
    // A view into ws[0], which stays in place (only later words are moved into the part).
    const std::string_view name = dynamic_name ? std::string_view(ws[0].text) : basename_of(ws[0].text);
    // The part as it runs: its words moved in once nothing below needs them as words any more.
    auto make_part = [&](bool move_words) {
      command_part part;
      part.dynamic_name = dynamic_name;
      part.runtime_args = runtime_args;
      part.dir = dir_;
      if (ws[0].text.find('/') != std::string::npos) part.program = ws[0].text;
      part.words.reserve(ws.size());
      part.words.emplace_back(name);
      for (std::size_t k = 1; k < ws.size(); ++k)
        part.words.push_back(move_words ? std::move(ws[k].text) : ws[k].text);
      part.fed_by = fed_by;
      part.text = cut_text(text);
      return part;
    };

    if (!dynamic_name && name == "busybox" && ws.size() > 1) return run(ws.from(1), fed_by, text, runtime_args);
    if (!dynamic_name && one_of(name, {"bash", "sh", "zsh", "dash", "ksh"})) {
      // -c, alone or among merged options (-lc, -ec): the first word after the options is the script.
      std::size_t k = 1;
      bool dash_c = false;
      while (k < ws.size() && ws[k].text.size() > 1 && ws[k].text[0] == '-' && ws[k].text != "--") {
        if (ws[k].text[1] != '-' && ws[k].text.find('c') != std::string::npos) dash_c = true;
        ++k;
      }
      if (dash_c && k < ws.size()) {
        if (!fed_by.empty()) out_.parts.push_back(make_part(false));  // curl x | bash -c ... : the shell reads the download
        return reparse(ws[k], fed_by, text);
      }
      if (!dash_c && k >= ws.size() && !stdin_.empty()) {  // the script is the here-document or here-string
        if (!fed_by.empty()) out_.parts.push_back(make_part(false));
        word script{std::move(stdin_), false, {}};
        stdin_.clear();
        return reparse(script, fed_by, text);
      }
    }
    // su/runuser -c CMD [user]: the shell of that user runs CMD.
    if (!dynamic_name && one_of(name, {"su", "runuser"})) {
      for (std::size_t k = 1; k + 1 < ws.size(); ++k)
        if (ws[k].text == "-c" || ws[k].text == "--command") {
          if (!fed_by.empty()) out_.parts.push_back(make_part(false));
          return reparse(ws[k + 1], fed_by, text);
        }
    }
    if (!dynamic_name && name == "eval") {
      word joined;
      for (std::size_t k = 1; k < ws.size(); ++k) {
        joined.text += (k > 1 ? " " : "") + ws[k].text;
        joined.dynamic = joined.dynamic || ws[k].dynamic;
      }
      if (!fed_by.empty()) out_.parts.push_back(make_part(false));
      return reparse(joined, fed_by, text);
    }
    if (!dynamic_name && name == "find") {
      auto part = make_part(false);
      return find(std::move(part), ws, fed_by);  // before make_part(true) moves the words
    }
    // Later commands resolve relative paths from where `cd` went (over-strict across subshells, which is safe).
    if (!dynamic_name && name == "cd") {
      std::string to = ws.size() > 1 && !ws[1].dynamic ? ws[1].text : ws.size() > 1 ? "?" : "~";
      if (to != "-") dir_ = to[0] == '/' || to[0] == '~' || dir_.empty() ? to : dir_ + "/" + to;
    }
    auto part = make_part(true);
    if (!dynamic_name && is_interpreter(name)) interpreter(part);
    out_.parts.push_back(std::move(part));
  }

  void reparse(const word& script, const std::vector<std::string>& fed_by, std::string_view text) {
    if (script.dynamic && !script.fed_by.empty()) {
      // bash -c "$(curl x)": the text comes from those commands; the shell part says so.
      command_part shell;
      shell.words = {"sh", "-c", script.text};
      shell.fed_by = script.fed_by;
      shell.text = cut_text(text);
      out_.parts.push_back(std::move(shell));
    }
    if (script.dynamic) out_.problems.push_back("runs text made at run time: `" + cut_text(text) + "`");
    auto depth = depth_;
    parse(script.text, fed_by, depth_ + 1);
    depth_ = depth;
  }

  // find's -exec/-execdir/-ok/-okdir run a command, up to `;` or `+`, with `{}` the files found under find's
  // starting points.
  void find(command_part part, word_span ws, const std::vector<std::string>& fed_by) {
    std::vector<word> starts;
    for (std::size_t k = 1; k < ws.size() && !ws[k].text.empty() && ws[k].text[0] != '-'; ++k) starts.push_back(ws[k]);
    if (starts.empty()) starts.push_back({".", false, {}});
    std::vector<word> inner;
    bool in = false;
    auto flush = [&] {
      if (!inner.empty()) emit(word_span(inner), fed_by, part.text);  // already cut
      inner.clear();
    };
    for (std::size_t k = 1; k < ws.size(); ++k) {
      const auto& t = ws[k].text;
      if (!in && one_of(t, {"-exec", "-execdir", "-ok", "-okdir"})) {
        in = true;
      } else if (in && (t == ";" || t == "+")) {
        flush();
        in = false;
      } else if (in && t == "{}") {
        inner.insert(inner.end(), starts.begin(), starts.end());
      } else if (in) {
        inner.push_back(ws[k]);
      }
    }
    flush();
    out_.parts.push_back(std::move(part));
  }

  static bool is_interpreter(std::string_view name) {
    return one_of(name, {"python", "python2", "python3", "perl", "node", "nodejs", "ruby", "php", "deno", "bun"}) ||
           name.rfind("python3.", 0) == 0;
  }

  // A one-liner: its code is marked, and the strings it hands to system()/exec()/subprocess and the backticks
  // of Perl and Ruby are parsed as commands.
  void interpreter(command_part& part) {
    bool code = false;
    for (std::size_t k = 1; k < part.words.size(); ++k) {
      const auto& t = part.words[k];
      if (t.size() >= 2 && t[0] == '-' && t[1] != '-' && t.find_first_of("ceE") != std::string::npos) code = true;
      if (t == "--eval" || t == "--command") code = true;
    }
    if (!code) return;
    part.interpreter_code = true;
    static const RE2 call_re(
        R"re((?:system|popen|exec|execSync|spawnSync|spawn|call|run|check_call|check_output|Popen|getoutput|getstatusoutput|shell_exec|passthru)\s*\(\s*\[?\s*[rfbu]?("[^"]*"|'[^']*')((?:\s*,\s*[rfbu]?(?:"[^"]*"|'[^']*'))*))re");
    static const RE2 tick_re(R"re((?:`([^`]*)`|qx\(([^)]*)\)|%x\(([^)]*)\)))re");
    static const RE2 str_re(R"re(("[^"]*"|'[^']*'))re");
    for (std::size_t k = 1; k < part.words.size(); ++k) {
      re2::StringPiece in(part.words[k]);
      std::string first, more;
      while (RE2::FindAndConsume(&in, call_re, &first, &more)) {
        std::string cmd = first.substr(1, first.size() - 2);
        re2::StringPiece rest(more);
        std::string s;
        while (RE2::FindAndConsume(&rest, str_re, &s)) cmd += " " + s.substr(1, s.size() - 2);
        nested(cmd, part);
      }
      re2::StringPiece in2(part.words[k]);
      std::string a, b, c;
      while (RE2::FindAndConsume(&in2, tick_re, &a, &b, &c)) nested(a + b + c, part);
    }
  }

  void nested(const std::string& cmd, const command_part& part) {
    auto depth = depth_;
    parse(cmd, part.fed_by, depth_ + 1);
    depth_ = depth;
  }

  const bash_limits& limits_;
  bash_parse_result& out_;
  std::vector<std::string_view> src_stack_;
  int depth_ = 0;
  bool deep_reported_ = false;
  // The lists the scanner is reading, innermost last; a deque, for commands hold references to their list's
  // state while lists read inside them are added.
  std::deque<list_state> lists_;
  const std::vector<std::string> no_feeders_;
  std::string dir_;  // where the last `cd` went
  std::string stdin_script_;  // the here-document of the statement being walked
  std::string stdin_;         // the here-document or here-string of the command being emitted
};

}  // namespace

bash_parse_result parse_bash(std::string_view command, const bash_limits& limits) {
  bash_parse_result out;
  if (command.size() > limits.max_bytes) {
    out.refused = true;
    out.problems.push_back("the command has " + std::to_string(command.size()) + " bytes, over the limit of " +
                           std::to_string(limits.max_bytes));
    return out;
  }
  // A shell never sees past a NUL (argv strings end there): what follows is not judged, so say so.
  if (command.find('\0') != std::string_view::npos) out.problems.push_back("the command holds a NUL byte");
  // The parts sized once rather than moved as they grow: agents' simple commands are 15 to 30 bytes long (a
  // huge command does not reserve all it could).
  out.parts.reserve(std::min<std::size_t>(command.size() / 12 + 4, 4096));
  walker(limits, out).parse(command, {}, 0);
  return out;
}

}  // namespace paios::autonomy
