#include "core/kb/chunker.hpp"
#include "messages/text.hpp"

#include <algorithm>

namespace paios {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// The best place to end a chunk in text[from, limit): the last blank line, line end, sentence end or space
// in the second half of the window, in that order of preference; `limit` itself when there is none.
std::size_t cut_point(std::string_view text, std::size_t from, std::size_t limit) {
  const std::size_t half = from + (limit - from) / 2;
  auto last = [&](std::string_view needle) -> std::size_t {
    auto window = text.substr(half, limit - half);
    auto at = window.rfind(needle);
    return at == std::string_view::npos ? 0 : half + at + needle.size();
  };
  for (auto needle : {std::string_view{"\n\n"}, std::string_view{"\n"}, std::string_view{". "},
                      std::string_view{"? "}, std::string_view{"! "}, std::string_view{" "}})
    if (auto at = last(needle)) return at;
  auto at = limit;
  while (at > from && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;  // not inside UTF-8
  return at > from ? at : limit;
}

// Moves `at` forward to the start of a word (after a space), so that an overlap begins cleanly.
std::size_t word_start(std::string_view text, std::size_t at, std::size_t end) {
  while (at < end && !is_space(text[at]) && at > 0 && !is_space(text[at - 1])) ++at;
  while (at < end && is_space(text[at])) ++at;
  return at;
}

}  // namespace

std::size_t estimate_tokens(std::string_view text) { return (text.size() + kBytesPerToken - 1) / kBytesPerToken; }

std::vector<text_chunk> chunk_text(std::string_view text, std::size_t chunk_tokens, std::size_t overlap_tokens) {
  std::vector<text_chunk> out;
  const std::size_t size = std::max<std::size_t>(chunk_tokens * kBytesPerToken, 64);
  const std::size_t overlap = std::min(overlap_tokens * kBytesPerToken, size / 2);
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.size() - begin <= size ? text.size() : cut_point(text, begin, begin + size);
    auto piece = trim_ascii(text.substr(begin, end - begin));
    if (!piece.empty())
      out.push_back({static_cast<std::size_t>(piece.data() - text.data()), std::string{piece}});
    if (end >= text.size()) break;
    // The next chunk starts `overlap` bytes before this one ended, at a word; always past this one's start.
    std::size_t next = end > overlap ? word_start(text, end - overlap, end) : end;
    begin = std::max(next, begin + 1);
  }
  return out;
}

}  // namespace paios
