// The agent output adapters: any stdout of an agent CLI, fed in pieces of any size, is text and an answer or a
// failure saying why; never a crash. The first byte picks the format and the piece size.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/process/output_adapter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto& formats = paios::output_formats();
  auto adapter = paios::make_output_adapter(formats[data[0] % formats.size()]);
  if (!adapter) __builtin_trap();  // every listed format has an adapter
  const std::size_t piece = 1 + (data[0] >> 3);
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> chunks;
  while (!rest.empty()) {
    auto n = std::min(piece, rest.size());
    adapter->feed(rest.substr(0, n), chunks);
    rest.remove_prefix(n);
  }
  (void)adapter->finish();
  return 0;
}
