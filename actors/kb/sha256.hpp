#pragma once
// SHA-256 (FIPS 180-4), as 64 lower-case hex digits: the knowledge base's content hash, by which the same
// content ingested twice is recognised, and the embedding cache's key.
#include <string>
#include <string_view>

namespace paios {

std::string sha256_hex(std::string_view data);

}  // namespace paios
