#include "core/kb/embedder.hpp"

#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>

namespace paios {
namespace {

constexpr float kWordWeight = 1.0f;
constexpr float kPairWeight = 0.6f;
constexpr float kTrigramWeight = 0.3f;

const std::unordered_set<std::string_view>& stopwords() {
  static const std::unordered_set<std::string_view> words = {
      "a", "an", "the", "and", "or", "but", "if", "then", "else", "of", "to", "in", "on", "at", "by", "for",
      "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that",
      "these", "those", "there", "here", "i", "you", "he", "she", "we", "they", "me", "my", "your", "our",
      "their", "his", "her", "them", "us", "do", "does", "did", "done", "have", "has", "had", "not", "no",
      "so", "can", "could", "should", "would", "will", "shall", "may", "might", "must", "what", "which", "who",
      "whom", "when", "where", "why", "how", "all", "any", "each", "some", "such", "than", "too", "very", "just",
      "into", "out", "up", "down", "about", "over", "under", "again", "also", "only", "own", "same", "other",
      "more", "most", "less", "one", "get", "got", "use", "using", "used", "via", "per", "s", "t"};
  return words;
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t salt) {
  std::uint64_t h = 14695981039346656037ull ^ salt;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // FNV's low bits mix poorly for short keys: a final avalanche (splitmix64's) spreads them.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

// A crude stem: common English suffixes off words long enough to keep a root ("indexes" and "indexing"
// meet at "index"). The trigrams catch what this misses.
std::string stem(std::string w) {
  auto strip = [&](std::string_view suffix, std::size_t keep) {
    if (w.size() >= suffix.size() + keep && w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0) {
      w.resize(w.size() - suffix.size());
      return true;
    }
    return false;
  };
  strip("ing", 4) || strip("ed", 4) || strip("es", 4) || strip("ly", 4) || (w.back() != 's' ? false : strip("s", 3));
  return w;
}

}  // namespace

bool is_stopword(std::string_view word) { return stopwords().count(word) > 0; }

std::vector<std::string> lexical_words(std::string_view text) {
  std::vector<std::string> words;
  std::string w;
  for (unsigned char c : text) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
    if (c >= 'A' && c <= 'Z') {
      w.push_back(static_cast<char>(c | 0x20));
    } else if (letter) {
      w.push_back(static_cast<char>(c));
    } else if (!w.empty()) {
      words.push_back(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) words.push_back(std::move(w));
  return words;
}

local_embedder::local_embedder(std::size_t dimensions) : dimensions_(dimensions < 8 ? 8 : dimensions) {}

std::string local_embedder::model() const { return "local-lexical-v1/" + std::to_string(dimensions_); }

std::vector<float> local_embedder::embed_one(std::string_view text) const {
  std::unordered_map<std::uint64_t, float> features;
  auto add = [&](std::string_view feature, std::uint64_t salt, float weight) { features[fnv1a(feature, salt)] += weight; };
  std::string previous;
  for (auto& word : lexical_words(text)) {
    if (is_stopword(word)) {
      previous.clear();
      continue;
    }
    auto s = stem(word);
    add(s, 1, kWordWeight);
    if (!previous.empty()) add(previous + ' ' + s, 2, kPairWeight);
    const std::string padded = "^" + word + "$";
    for (std::size_t i = 0; i + 3 <= padded.size(); ++i) add(std::string_view{padded}.substr(i, 3), 3, kTrigramWeight);
    previous = std::move(s);
  }
  std::vector<float> v(dimensions_, 0.0f);
  for (auto& [h, weight] : features) {
    const float value = std::log1p(weight);  // sublinear: a word said ten times is not ten times the topic
    v[h % dimensions_] += (h >> 63) ? -value : value;
  }
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (norm > 0) {
    const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : v) x *= inv;
  }
  return v;
}

expected<std::vector<std::vector<float>>> local_embedder::embed(const std::vector<std::string_view>& texts) {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (auto t : texts) out.push_back(embed_one(t));
  return out;
}

}  // namespace paios
