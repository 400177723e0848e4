// The watchers' logic on real files and real inotify: what a file is, and when it has arrived whole.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/kb/sha256.hpp"
#include "core/watch/file_class.hpp"
#include "core/watch/folder_watch.hpp"
#include "core/watch/watch_ledger.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// Polls until `want` files were reported (or 10 s passed); rescans count every scanned file as reported.
std::set<fs::path> collect(folder_watch& w, std::size_t want, bool* rescanned = nullptr) {
  std::set<fs::path> seen;
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (seen.size() < want && std::chrono::steady_clock::now() < until) {
    bool rescan = false;
    for (auto& p : w.poll(100, rescan)) seen.insert(p);
    if (rescan) {
      if (rescanned) *rescanned = true;
      for (auto& p : w.scan()) seen.insert(p);
    }
  }
  return seen;
}

const std::string kPng = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89", 33);

}  // namespace

TEST(FileClass, ByMimeAndName) {
  struct row {
    const char* mime;
    const char* name;
    file_class want;
  };
  const row rows[] = {
      {"image/png", "Screenshot 2026-11-29 at 10.00.00.png", file_class::image},
      {"image/jpeg", "holiday.jpg", file_class::image},
      {"application/pdf", "paper.pdf", file_class::document},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "memo.docx", file_class::document},
      {"text/html", "page.html", file_class::document},
      {"text/plain", "notes.md", file_class::document},
      {"text/plain", "README", file_class::document},
      {"text/plain", "todo.txt", file_class::document},
      {"text/x-c", "main.c", file_class::code},
      {"text/x-script.python", "tool.py", file_class::code},
      {"text/plain", "server.go", file_class::code},
      {"text/x-shellscript", "run", file_class::code},
      {"audio/mpeg", "talk.mp3", file_class::media},
      {"video/mp4", "demo.mp4", file_class::media},
      {"application/zip", "bundle.zip", file_class::archive},
      {"application/gzip", "logs.tar.gz", file_class::archive},
      {"application/x-sharedlib", "libx.so", file_class::other},
      {"text/plain", "server.log", file_class::other},
      {"", "photo.heic", file_class::image},
      {"", "data.bin", file_class::other},
  };
  for (const auto& r : rows) EXPECT_EQ(classify_by(r.mime, r.name).cls, r.want) << r.mime << " " << r.name;
  EXPECT_TRUE(classify_by("image/png", "Screenshot 2026-11-29.png").screenshot);
  EXPECT_TRUE(classify_by("image/png", "Bildschirmfoto vom 2026-11-29.png").screenshot);
  EXPECT_FALSE(classify_by("image/png", "cat.png").screenshot);
  for (auto c : {file_class::image, file_class::document, file_class::media, file_class::code, file_class::archive,
                 file_class::other})
    EXPECT_EQ(parse_file_class(file_class_name(c)), c);
  EXPECT_FALSE(parse_file_class("pictures"));
}

TEST(FileClass, ByContentWithLibmagic) {
  test::temp_dir dir;
  file_classifier classify;
  ASSERT_TRUE(classify.error()) << classify.error().message();
  write_file(dir.path() / "shot", kPng);  // no extension: the content says image
  write_file(dir.path() / "paper.bin", "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
  write_file(dir.path() / "hello.c", "#include <stdio.h>\nint main(void) { printf(\"hi\\n\"); return 0; }\n");
  write_file(dir.path() / "notes.md", "# Notes\n\nThe replica failed over at noon.\n");
  write_file(dir.path() / "fake.png", "just some words, not an image\n");
  write_file(dir.path() / "a.gz", std::string("\x1f\x8b\x08\0\0\0\0\0\0\x03\x03\0\0\0\0\0\0\0\0\0", 20));
  EXPECT_EQ(classify.classify(dir.path() / "shot").cls, file_class::image);
  EXPECT_EQ(classify.classify(dir.path() / "shot").mime, "image/png");
  EXPECT_EQ(classify.classify(dir.path() / "paper.bin").cls, file_class::document);
  EXPECT_EQ(classify.classify(dir.path() / "hello.c").cls, file_class::code);
  EXPECT_EQ(classify.classify(dir.path() / "notes.md").cls, file_class::document);
  EXPECT_EQ(classify.classify(dir.path() / "fake.png").cls, file_class::other) << "the content outweighs the name";
  EXPECT_EQ(classify.classify(dir.path() / "a.gz").cls, file_class::archive);
}

TEST(FolderWatch, ACloseWriteIsReportedOnceAndAPartialWriteNotBefore) {
  test::temp_dir dir;
  folder_watch w(dir.path(), {.settle_ms = 60000});
  ASSERT_TRUE(w.present()) << w.problem().message();
  const auto file = dir.path() / "report.txt";
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "half", 4), 4);
  bool rescan = false;
  EXPECT_TRUE(w.poll(300, rescan).empty()) << "still open for writing";
  ASSERT_EQ(::write(fd, " and the rest\n", 14), 14);
  ::close(fd);
  auto got = w.poll(2000, rescan);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], file);
  EXPECT_TRUE(w.poll(200, rescan).empty()) << "reported once";
  EXPECT_FALSE(rescan);
}

TEST(FolderWatch, DownloadsAreReportedWhenRenamedHiddenFilesNever) {
  test::temp_dir dir;
  folder_watch w(dir.path(), {.settle_ms = 300});
  write_file(dir.path() / "paper.pdf.part", "%PDF-1.4 partial");
  write_file(dir.path() / ".hidden", "x");
  write_file(dir.path() / "Unconfirmed 1234.crdownload", "x");
  bool rescan = false;
  EXPECT_TRUE(w.poll(300, rescan).empty());
  fs::rename(dir.path() / "paper.pdf.part", dir.path() / "paper.pdf");
  auto got = w.poll(2000, rescan);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].filename(), "paper.pdf");
  // Every file last written an hour ago, far past settle_ms: complete for a scan too, so that what the scan leaves
  // out, it leaves out for its name.
  for (const auto& f : fs::directory_iterator(dir.path()))
    fs::last_write_time(f.path(), fs::file_time_type::clock::now() - std::chrono::hours(1));
  auto listed = w.scan();
  ASSERT_EQ(listed.size(), 1u) << "scan skips the same names";
  EXPECT_EQ(listed[0].filename(), "paper.pdf");
}

TEST(FolderWatch, AScanLeavesAFileStillBeingWrittenToPoll) {
  test::temp_dir dir;
  write_file(dir.path() / "old.txt", "written long ago");
  fs::last_write_time(dir.path() / "old.txt", fs::file_time_type::clock::now() - std::chrono::hours(1));
  folder_watch w(dir.path(), {.settle_ms = 5000});
  int fd = ::open((dir.path() / "growing.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "first half ", 11), 11);
  bool rescan = false;
  w.poll(100, rescan);  // sees growing.txt created
  auto listed = w.scan();
  ASSERT_EQ(listed.size(), 1u) << "only the complete file";
  EXPECT_EQ(listed[0].filename(), "old.txt");
  ASSERT_EQ(::write(fd, "second half", 11), 11);
  ::close(fd);
  auto got = collect(w, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.begin()->filename(), "growing.txt");
  EXPECT_EQ(fs::file_size(dir.path() / "growing.txt"), 22u);
}

TEST(FolderWatch, AFileThatIsNeverClosedIsCompleteOnceItsSizeHolds) {
  test::temp_dir dir, elsewhere;
  write_file(elsewhere.path() / "big.bin", std::string(4096, 'x'));
  folder_watch w(dir.path(), {.settle_ms = 300});
  ASSERT_EQ(::link((elsewhere.path() / "big.bin").c_str(), (dir.path() / "big.bin").c_str()), 0);  // IN_CREATE only
  auto got = collect(w, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.begin()->filename(), "big.bin");
}

TEST(FolderWatch, AFolderDeletedAndRecreatedIsWatchedAgain) {
  test::temp_dir root;
  const auto dir = root.path() / "Screenshots";
  folder_watch w(dir, {.settle_ms = 2000, .recheck_ms = 50});
  EXPECT_FALSE(w.present());
  EXPECT_EQ(w.problem().code(), errc::not_found);
  EXPECT_NE(w.problem().message().find("does not exist"), std::string::npos) << w.problem().message();
  fs::create_directories(dir);
  write_file(dir / "early.png", kPng);  // arrived before the watch: found by the rescan
  bool rescanned = false;
  auto got = collect(w, 1, &rescanned);
  EXPECT_TRUE(rescanned);
  EXPECT_EQ(got.count(dir / "early.png"), 1u);
  ASSERT_TRUE(w.present());

  fs::remove_all(dir);
  bool rescan = false;
  w.poll(300, rescan);
  EXPECT_FALSE(w.present()) << "the removal is noticed";
  fs::create_directories(dir);
  rescanned = false;
  for (int i = 0; i < 50 && !w.present(); ++i) w.poll(50, rescan), rescanned |= rescan;
  ASSERT_TRUE(w.present());
  EXPECT_TRUE(rescanned);
  write_file(dir / "later.png", kPng);
  got = collect(w, 1);
  EXPECT_EQ(got.count(dir / "later.png"), 1u);
}

TEST(FolderWatch, AFloodOfTenThousandFilesIsAllAccountedFor) {
  test::temp_dir dir;
  folder_watch w(dir.path());
  constexpr int kFiles = 10000;
  std::thread writer([&] {
    for (int i = 0; i < kFiles; ++i) write_file(dir.path() / ("f" + std::to_string(i) + ".txt"), "file " + std::to_string(i));
  });
  auto seen = collect(w, kFiles);
  writer.join();
  for (auto& p : collect(w, kFiles - seen.size())) seen.insert(p);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kFiles));
}

TEST(Sha256, AFileInPiecesHashesAsAWhole) {
  test::temp_dir dir;
  std::string big;
  for (int i = 0; i < 300000; ++i) big += static_cast<char>('a' + i % 26);
  write_file(dir.path() / "big", big);
  auto whole = sha256_file_hex(dir.path() / "big");
  ASSERT_TRUE(whole) << whole.message();
  EXPECT_EQ(*whole, sha256_hex(big));
  sha256 s;
  for (std::size_t i = 0; i < big.size(); i += 7) s.update(std::string_view(big).substr(i, 7));
  EXPECT_EQ(s.hex(), sha256_hex(big));
  auto missing = sha256_file_hex(dir.path() / "missing");
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.code(), errc::not_found);
  EXPECT_NE(missing.message().find("missing"), std::string::npos);
}

TEST(WatchLedger, AFileIsDoneOncePerContentAndFailuresAreRetriedUpToTheLimit) {
  watch_ledger ledger(2);
  using verdict = watch_ledger::verdict;
  using content = watch_ledger::content;
  EXPECT_EQ(ledger.look("/d/a.png", 10, 100), verdict::hash);
  EXPECT_EQ(ledger.after_hash("/d/a.png", "h1", 10, 100), content::fresh);
  ledger.start("/d/a.png", "h1", 10, 100);
  EXPECT_EQ(ledger.look("/d/a.png", 10, 100), verdict::skip) << "under way";
  ledger_entry cut = *ledger.find("/d/a.png");
  cut.this_run = false;
  ledger.load("/d/a.png", cut);
  EXPECT_EQ(ledger.look("/d/a.png", 10, 100), verdict::retry) << "pending, loaded: a stop cut it";
  ledger.finish("/d/a.png", true);
  EXPECT_EQ(ledger.look("/d/a.png", 10, 100), verdict::skip);
  // Touched: a new time, the same content.
  EXPECT_EQ(ledger.look("/d/a.png", 10, 200), verdict::hash);
  EXPECT_EQ(ledger.after_hash("/d/a.png", "h1", 10, 200), content::done);
  EXPECT_EQ(ledger.look("/d/a.png", 10, 200), verdict::skip);
  // New content: done again, with a fresh count of attempts.
  EXPECT_EQ(ledger.after_hash("/d/a.png", "h2", 11, 300), content::fresh);
  EXPECT_EQ(ledger.start("/d/a.png", "h2", 11, 300).attempts, 1);
  ledger.finish("/d/a.png", false);
  EXPECT_EQ(ledger.look("/d/a.png", 11, 300), verdict::skip) << "not again in the run it failed in";
  // The next run loads it from the store: retried, it has an attempt left.
  ledger_entry failed = *ledger.find("/d/a.png");
  failed.this_run = false;
  ledger.load("/d/a.png", failed);
  EXPECT_EQ(ledger.look("/d/a.png", 11, 300), verdict::retry) << "failed with an attempt left";
  EXPECT_EQ(ledger.start("/d/a.png", "h2", 11, 300).attempts, 2);
  ledger.finish("/d/a.png", false);
  EXPECT_EQ(ledger.look("/d/a.png", 11, 300), verdict::skip) << "given up at max_attempts";
}
