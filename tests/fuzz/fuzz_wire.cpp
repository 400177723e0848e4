// The wire parser: any bytes a local client sends as a frame are a request or an error naming what was wrong.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "messages/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = paios::wire::parse_request(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.req && r.error.ok()) __builtin_trap();  // no request and no error: the parser lost the input
  return 0;
}
