// load_config (declared in config.hpp): the user's file, read and parsed with errors a person can act on
// (its line and column, every repeated key), then handed to config_from_json.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>

#include "config/config.hpp"
#include "config/schema_errors.hpp"

namespace paios {
namespace {

using nlohmann::json;
using namespace config_errors;

// A configuration file is a few kilobytes; a much larger one is a wrong path, not a configuration.
constexpr std::size_t kMaxFileBytes = 16u << 20;

// Parser messages may quote raw bytes of the file (an ill-formed UTF-8 byte): keep the error printable.
std::string printable(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> read_text(const std::filesystem::path& file, std::string& error) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    error = "is a directory";
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileBytes) {
      error = "larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB, which is no configuration file";
      return std::nullopt;
    }
  }
  return text;
}

// nlohmann's parser keeps the last of two equal keys without a word; in a configuration that is a mistake
// (two "brains" objects, and the first one silently ignored), so a second pass names every repeated key.
class duplicate_keys final : public nlohmann::json_sax<json> {
 public:
  std::vector<std::string> errors;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    levels_.push_back({true, {}, {}, 0});
    return true;
  }
  bool key(string_t& k) override {
    auto& top = levels_.back();
    top.key = k;
    if (!top.keys.insert(k).second)
      add_unique(errors, path() + ": appears twice in the same object (JSON would keep only the last one)");
    return true;
  }
  bool end_object() override {
    levels_.pop_back();
    return value();
  }
  bool start_array(std::size_t) override {
    levels_.push_back({false, {}, {}, 0});
    return true;
  }
  bool end_array() override {
    levels_.pop_back();
    return value();
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) override { return false; }

 private:
  struct level {
    bool object;
    std::set<std::string> keys;
    std::string key;    // of an object: the member being read
    std::size_t index;  // of an array: the element being read
  };
  std::vector<level> levels_;

  bool value() {
    if (!levels_.empty() && !levels_.back().object) ++levels_.back().index;
    return true;
  }
  std::string path() const {
    json_path p;
    for (const auto& l : levels_) p.push_back(l.object ? l.key : std::to_string(l.index));
    return join_path(p);
  }
};

// nlohmann reports the offset of the last byte it read; editors want line:column of that byte.
std::pair<std::size_t, std::size_t> line_and_column(const std::string& text, std::size_t byte) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

config_result load_config(const std::optional<std::filesystem::path>& user_file) {
  if (!user_file) return config_from_json(json::object());
  const auto name = user_file->string();
  config_result r;
  std::string error;
  auto text = read_text(*user_file, error);
  if (!text) {
    r.errors.push_back(name + ": cannot be read: " + error);
    return r;
  }
  if (std::all_of(text->begin(), text->end(), [](unsigned char c) { return std::isspace(c); })) {
    r.errors.push_back(name + ": is empty (a file holding {} takes every default)");
    return r;
  }
  json user;
  try {
    user = json::parse(*text);
  } catch (const json::parse_error& e) {
    auto [line, column] = line_and_column(*text, e.byte);
    // Keep nlohmann's explanation, drop its "[json.exception.parse_error.101] parse error at line..." preamble.
    std::string what = e.what();
    auto pos = what.find("syntax error");
    if (pos == std::string::npos) pos = what.find(": ") == std::string::npos ? 0 : what.find(": ") + 2;
    r.errors.push_back(name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                       ": invalid JSON: " + printable(what.substr(pos)));
    return r;
  }
  duplicate_keys dups;
  json::sax_parse(*text, &dups);
  sort_by_path(dups.errors);
  r = config_from_json(user);
  if (!dups.errors.empty()) {
    r.config.reset();
    r.errors.insert(r.errors.begin(), dups.errors.begin(), dups.errors.end());
  }
  return r;
}

}  // namespace paios
