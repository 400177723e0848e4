// `ai logs`: paiosd's own log read where the daemon writes it, the last lines, one component's, and -f following
// lines as they are written, across a rotation. The real `ai`, a real paiosd for the file's name and format.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/test_support.hpp"

namespace {

using nlohmann::json;
using paios::test::daemon_process;
using paios::test::poll_until;
namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& text) {
  std::istringstream in{text};
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `ai --home HOME logs -f ...` running on its own, its stdout in a file; killed when the object goes.
class follower_process {
 public:
  follower_process(const fs::path& home, std::vector<std::string> args) {
    std::vector<std::string> argv{paios::test::ai_path().string(), "--home", home.string(), "logs", "-f"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = paios::test::spawn_to_files(argv, out_file(), dir_.path() / "err");
    EXPECT_GT(pid_, 0);
  }
  ~follower_process() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  follower_process(const follower_process&) = delete;
  follower_process& operator=(const follower_process&) = delete;

  std::string out() const { return read(out_file()); }
  bool shows(const std::string& text) const {
    return poll_until([&] { return out().find(text) != std::string::npos; }, std::chrono::seconds(10));
  }

 private:
  fs::path out_file() const { return dir_.path() / "out"; }
  paios::test::temp_dir dir_;
  pid_t pid_ = -1;
};

void append(const fs::path& file, const std::string& text) { std::ofstream{file, std::ios::app} << text; }

}  // namespace

TEST(CliLogs, ShowsTheDaemonsLogItsLastLinesAndOneComponent) {
  daemon_process d{{{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}}}};
  d.start();
  ASSERT_TRUE(poll_until([&] { return d.ai({"logs"}).out.find(" info brain echo: ") != std::string::npos; },
                         std::chrono::seconds(10)));
  auto all = d.ai({"logs"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  // The whole (short) log as paiosd wrote it; the daemon may have added lines since.
  EXPECT_EQ(read(d.home() / "logs" / "paiosd.log").rfind(all.out, 0), 0u) << all.out;
  d.stop();  // no more lines: the last two are known
  const auto log = read(d.home() / "logs" / "paiosd.log");
  auto two = d.ai({"logs", "-n", "2"});
  EXPECT_EQ(lines_of(two.out).size(), 2u) << two.out;
  EXPECT_EQ(log.substr(log.size() - two.out.size()), two.out) << "the last two";
  auto brains = d.ai({"logs", "--component", "brain"});
  EXPECT_EQ(brains.exit_code, 0) << brains.err;
  ASSERT_FALSE(brains.out.empty());
  for (const auto& line : lines_of(brains.out)) EXPECT_NE(line.find(" info brain "), std::string::npos) << line;
  EXPECT_EQ(brains.out.find("kb_store"), std::string::npos);
  paios::test::temp_dir empty;
  auto none = paios::test::run_program({paios::test::ai_path().string(), "--home", empty.path().string(), "logs"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("ai logs: no log at "), std::string::npos) << none.err;
}

// The rotated files come first, oldest first, as paiosd names them.
TEST(CliLogs, ReadsTheRotatedFilesOldestFirst) {
  paios::test::temp_dir home;
  fs::create_directories(home.path() / "logs");
  append(home.path() / "logs" / "paiosd.2.log", "2026-01-01T00:00:00.000 info a: oldest\n");
  append(home.path() / "logs" / "paiosd.1.log", "2026-01-01T00:00:01.000 info b: older\n");
  append(home.path() / "logs" / "paiosd.log", "2026-01-01T00:00:02.000 info a: newest\n");
  auto r = paios::test::run_program({paios::test::ai_path().string(), "--home", home.path().string(), "logs"});
  EXPECT_EQ(r.out, "2026-01-01T00:00:00.000 info a: oldest\n2026-01-01T00:00:01.000 info b: older\n"
                   "2026-01-01T00:00:02.000 info a: newest\n");
  auto a = paios::test::run_program(
      {paios::test::ai_path().string(), "--home", home.path().string(), "logs", "--component", "a", "-n", "1"});
  EXPECT_EQ(a.out, "2026-01-01T00:00:02.000 info a: newest\n");
}

TEST(CliLogs, FollowPrintsNewLinesOfItsComponentAcrossARotation) {
  paios::test::temp_dir home;
  const auto log = home.path() / "logs" / "paiosd.log";
  fs::create_directories(log.parent_path());
  append(log, "2026-01-01T00:00:00.000 info watched: before\n");
  follower_process f{home.path(), {"--component", "watched"}};
  ASSERT_TRUE(f.shows("watched: before\n")) << f.out();
  append(log, "2026-01-01T00:00:01.000 info other: not shown\n2026-01-01T00:00:02.000 info watched: one");
  append(log, " line, written in two parts\n");
  ASSERT_TRUE(f.shows("watched: one line, written in two parts\n")) << f.out();
  // The daemon rotates: the file is renamed and a new one begins.
  fs::rename(log, home.path() / "logs" / "paiosd.1.log");
  append(log, "2026-01-01T00:00:03.000 info watched: after the rotation\n");
  ASSERT_TRUE(f.shows("watched: after the rotation\n")) << f.out();
  EXPECT_EQ(f.out(), "2026-01-01T00:00:00.000 info watched: before\n"
                     "2026-01-01T00:00:02.000 info watched: one line, written in two parts\n"
                     "2026-01-01T00:00:03.000 info watched: after the rotation\n");
}

// -f waits for a log that does not exist yet: the daemon's first start.
TEST(CliLogs, FollowWaitsForTheFirstLog) {
  paios::test::temp_dir home;
  follower_process f{home.path(), {}};
  const auto log = home.path() / "logs" / "paiosd.log";
  fs::create_directories(log.parent_path());
  append(log, "2026-01-01T00:00:00.000 info paiosd: first\n");
  ASSERT_TRUE(f.shows("paiosd: first\n")) << f.out();
}
