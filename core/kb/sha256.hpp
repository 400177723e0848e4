#pragma once
// SHA-256 (FIPS 180-4), as 64 lower-case hex digits: the knowledge base's content hash, by which the same
// content ingested twice is recognised, and the embedding cache's key.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "messages/error.hpp"

namespace paios {

std::string sha256_hex(std::string_view data);

// The same over a file read in pieces (a watched folder's video is not read into memory). Fails with "cannot
// read FILE: why": not_found when there is no such file, bad_request when it is there but cannot be read.
expected<std::string> sha256_file_hex(const std::filesystem::path& file);

// Incremental: update() any number of times, then hex() once.
class sha256 {
 public:
  void update(std::string_view data);
  std::string hex();

 private:
  std::array<std::uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<unsigned char, 64> block_{};
  std::size_t used_ = 0;   // bytes waiting in block_
  std::uint64_t total_ = 0;
};

}  // namespace paios
