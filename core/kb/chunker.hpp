#pragma once
// chunk_text: splits an article into the passages the knowledge base indexes and returns. A passage is about
// kChunkTokens tokens and overlaps the previous one by kOverlapTokens, so that a sentence cut by a boundary
// is whole in one of the two. Tokens are estimated, not counted: 1 token per 4 bytes of text, the usual rule
// for English with the tokenizers of today's models (code and other languages run denser; the estimate only
// sizes passages, nothing is billed by it). Boundaries prefer a blank line, then a line end, then the end of
// a sentence, then a space; a passage is never cut inside a UTF-8 sequence.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace paios {

inline constexpr std::size_t kBytesPerToken = 4;
inline constexpr std::size_t kChunkTokens = 400;
inline constexpr std::size_t kOverlapTokens = 80;

std::size_t estimate_tokens(std::string_view text);

struct text_chunk {
  std::size_t offset = 0;  // where it begins in the article's text
  std::string text;
};

// Empty text gives no chunks; text of up to one chunk's size gives one, as it is (trimmed).
std::vector<text_chunk> chunk_text(std::string_view text, std::size_t chunk_tokens = kChunkTokens,
                                   std::size_t overlap_tokens = kOverlapTokens);

}  // namespace paios
