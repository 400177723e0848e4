#pragma once
// The one table style of `ai`'s listings (cli/render.hpp, `table`), checked on what `ai` printed: a header line,
// rows whose columns start where their headers do, every line within the terminal's width.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace paios::test {

// A line as the characters a terminal shows, one column each (UTF-8 sequences kept whole).
inline std::vector<std::string> terminal_characters(const std::string& line) {
  std::vector<std::string> out;
  for (unsigned char c : line)
    if ((c & 0xC0) == 0x80 && !out.empty()) out.back() += static_cast<char>(c);
    else out.emplace_back(1, static_cast<char>(c));
  return out;
}

// Each table line fits `width`, and every column starts where its header does, after a space in every row. Notes
// under the table ("(more: ...)", "(times in UTC)") are not rows.
inline void expect_aligned_table(const std::string& text, std::size_t width) {
  std::istringstream in{text};
  std::vector<std::vector<std::string>> lines;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("(", 0) != 0) lines.push_back(terminal_characters(line));
  ASSERT_GE(lines.size(), 2u) << text;
  std::vector<std::size_t> starts;  // the columns where the headers start
  for (std::size_t i = 0; i < lines[0].size(); ++i)
    if (lines[0][i] != " " && (i == 0 || lines[0][i - 1] == " ")) starts.push_back(i);
  for (const auto& line : lines) {
    EXPECT_LE(line.size(), width) << text;
    for (std::size_t s : starts) {
      if (s > 0 && s < line.size()) {
        EXPECT_EQ(line[s - 1], " ") << "a column out of line at " << s << " in\n" << text;
      }
    }
  }
}

// `ai ARGS` against `d` as on a terminal `columns` wide ($COLUMNS).
inline run_result ai_at_width(const daemon_process& d, std::vector<std::string> args, std::size_t columns) {
  std::vector<std::string> argv{ai_path().string(), "--home", d.home().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, {{"COLUMNS", std::to_string(columns)}});
}

// `ai ARGS` printed a table in the one style at `columns` wide whose header starts with `first_header`; returns it.
inline std::string expect_table(const daemon_process& d, std::vector<std::string> args, std::size_t columns,
                                const std::string& first_header) {
  auto r = ai_at_width(d, args, columns);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind(first_header + " ", 0), 0u) << r.out;
  expect_aligned_table(r.out, columns);
  return r.out;
}

}  // namespace paios::test
