// The evasion corpus (tests/data/autonomy/corpus.tsv): each command judged with the built-in rules of
// config/defaults.json for one fixed session (cwd /home/u/proj, HOME /home/u, passed in). Prints the 3x3
// confusion counts (expected by row, got by column) and fails on any mismatch, listing each.
#include <gtest/gtest.h>

#include <array>
#include <iostream>
#include <sstream>
#include <string>

#include "config/config.hpp"
#include "core/autonomy/policy.hpp"
#include "tests/unit/autonomy_corpus.hpp"

namespace paios::autonomy {
namespace {

TEST(AutonomyCorpus, EveryCommandGetsItsExpectedLevel) {
  auto cfg = config_from_json(nlohmann::json::object());
  ASSERT_TRUE(cfg.config) << (cfg.errors.empty() ? "" : cfg.errors[0]);
  const auto& a = cfg.config->autonomy;
  auto pol = policy::make(a.builtin, a.pins, {}, a.limits);
  ASSERT_TRUE(pol) << pol.message();

  auto lines = test_corpus::read();
  ASSERT_FALSE(lines.empty()) << "tests/data/autonomy/corpus.tsv is missing or empty";
  std::array<std::array<int, 3>, 3> confusion{};
  std::ostringstream mismatches;
  int total = 0;
  for (const auto& l : lines) {
    const int line_no = l.number;
    ASSERT_FALSE(l.level.empty()) << "corpus.tsv:" << line_no << ": no tab";
    auto expected = level_from_string(l.level);
    ASSERT_TRUE(expected) << "corpus.tsv:" << line_no << ": unknown level";
    const std::string& command = l.command;
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
