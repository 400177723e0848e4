// The HTML converter: any page becomes text and a title; never a crash, never more text than the page had bytes
// and entities could make (an entity is at most 4 bytes of UTF-8 for its 3 or more of source; a tag becomes at most
// two line ends).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/content/convert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string title;
  auto text = paios::html_to_text(std::string_view(reinterpret_cast<const char*>(data), size), &title);
  if (text.size() > 2 * size + 16) __builtin_trap();
  return 0;
}
