// The evasion corpus (tests/data/autonomy/corpus.tsv): each command judged with the built-in rules of
// config/defaults.json for one fixed session (cwd /home/u/proj, HOME /home/u, passed in). Prints the 3x3
// confusion counts (expected by row, got by column) and fails on any mismatch, listing each.
#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "config/config.hpp"
#include "core/autonomy/policy.hpp"
#include "tests/support/test_support.hpp"

namespace paios::autonomy {
namespace {

TEST(AutonomyCorpus, EveryCommandGetsItsExpectedLevel) {
  auto cfg = config_from_json(nlohmann::json::object());
  ASSERT_TRUE(cfg.config) << (cfg.errors.empty() ? "" : cfg.errors[0]);
  const auto& a = cfg.config->autonomy;
  auto pol = policy::make(a.builtin, a.pins, {}, a.limits);
  ASSERT_TRUE(pol) << pol.message();

  std::ifstream in(test::source_dir() / "tests" / "data" / "autonomy" / "corpus.tsv");
  ASSERT_TRUE(in) << "tests/data/autonomy/corpus.tsv is missing";
  std::array<std::array<int, 3>, 3> confusion{};
  std::ostringstream mismatches;
  int total = 0, line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << "corpus.tsv:" << line_no << ": no tab";
    auto expected = level_from_string(line.substr(0, tab));
    ASSERT_TRUE(expected) << "corpus.tsv:" << line_no << ": unknown level";
    std::string command = line.substr(tab + 1);
    for (auto at = command.find("↵"); at != std::string::npos; at = command.find("↵", at + 1))
      command.replace(at, std::string("↵").size(), "\n");
    tool_call call{"Bash", command, "", "/home/u/proj", "/home/u", ""};
    auto d = pol->decide(call);
    ++total;
    ++confusion[static_cast<int>(*expected)][static_cast<int>(d.lvl)];
    if (d.lvl != *expected)
      mismatches << "  corpus.tsv:" << line_no << ": expected " << to_string(*expected) << ", got "
                 << to_string(d.lvl) << ": " << call.command << "\n      (" << d.reason << ")\n";
  }
  std::cout << "autonomy corpus: " << total << " commands; expected (rows) x got (columns)\n"
            << "           safe    ask  never\n";
  for (int e = 0; e < 3; ++e) {
    std::printf("  %-6s %6d %6d %6d\n", std::string(to_string(static_cast<level>(e))).c_str(), confusion[e][0],
                confusion[e][1], confusion[e][2]);
  }
  EXPECT_GE(total, 150);
  EXPECT_TRUE(mismatches.str().empty()) << "mismatches:\n" << mismatches.str();
}

}  // namespace
}  // namespace paios::autonomy
