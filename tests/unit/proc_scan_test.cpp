// The scans of every process on the machine (core/process: tree_kill's kill_marked, read_proc_file) while
// other processes come and go: a process that exits between the listing of /proc and the read of its files
// makes read() fail with ESRCH, which once threw out of a scan and ended paiosd with SIGABRT. Real processes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "core/process/child_reaper.hpp"
#include "core/process/proc_file.hpp"
#include "core/process/tree_kill.hpp"

using namespace paios;
using namespace std::chrono_literals;

namespace {

// Another program whose processes come and go: a child that forks short-lived grandchildren and reaps each at
// once, so that their /proc entries vanish while this process's scans read them. Not this process's children:
// the scans must leave them alone.
class churner {
 public:
  churner() {
    pid_ = fork();
    if (pid_ == 0) {
      for (;;) {
        pid_t p = fork();
        if (p == 0) _exit(0);
        if (p > 0) waitpid(p, nullptr, 0);
      }
    }
  }
  ~churner() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace

TEST(ProcScan, TheReapersScanSurvivesProcessesThatExitDuringIt) {
  churner other;
  ASSERT_GT(other.pid(), 0);
  int reaped = 0;
  for (int scan = 0; scan < 300; ++scan) reaped += child_reaper::reap_orphans();
  EXPECT_EQ(reaped, 0);  // the churner is alive and owned by nobody, but not a zombie; its children are not ours
}

TEST(ProcScan, TheKillScanSurvivesProcessesThatExitDuringIt) {
  churner other;
  ASSERT_GT(other.pid(), 0);
  std::size_t killed = 0;
  for (int scan = 0; scan < 300; ++scan)
    killed += kill_marked([](std::string_view entry) { return entry == "PAIOS_PROC_SCAN_TEST_MATCHES_NOTHING=1"; }, 0ms);
  EXPECT_EQ(killed, 0u);
}

// A read that fails after the open succeeded, as a read of a process reaped meanwhile fails with ESRCH: a
// directory opens, and read() then fails with EISDIR. It is an empty text, never an exception.
TEST(ProcScan, AReadThatFailsAfterTheOpenIsEmptyNotAnException) {
  std::string text = "unset";
  EXPECT_NO_THROW(text = read_proc_file("/proc/self"));
  EXPECT_EQ(text, "");
}

TEST(ProcScan, AProcessThatIsGoneReadsEmpty) {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
  EXPECT_EQ(read_proc_file("/proc/" + std::to_string(pid) + "/environ"), "");
  EXPECT_NE(read_proc_file("/proc/self/stat"), "");
}
