#pragma once
// The evasion corpus (tests/data/autonomy/corpus.tsv) read once for the tests that judge it: each line's
// expected level and command, `↵` turned into a newline. Lines starting with # and empty lines are skipped.
#include <fstream>
#include <string>
#include <vector>

#include "core/autonomy/level.hpp"
#include "tests/support/test_support.hpp"

namespace paios::autonomy::test_corpus {

struct line {
  int number = 0;       // in corpus.tsv, for messages
  std::string level;    // as written ("" when the line has no tab)
  std::string command;  // with its newlines
};

inline std::vector<line> read() {
  std::vector<line> out;
  std::ifstream in(paios::test::source_dir() / "tests" / "data" / "autonomy" / "corpus.tsv");
  int n = 0;
  for (std::string text; std::getline(in, text);) {
    ++n;
    if (text.empty() || text[0] == '#') continue;
    auto tab = text.find('\t');
    line l{n, tab == std::string::npos ? "" : text.substr(0, tab),
           tab == std::string::npos ? text : text.substr(tab + 1)};
    for (auto at = l.command.find("↵"); at != std::string::npos; at = l.command.find("↵", at + 1))
      l.command.replace(at, std::string("↵").size(), "\n");
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace paios::autonomy::test_corpus
