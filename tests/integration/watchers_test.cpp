// The watchers in a real daemon (docs/architecture.md, "Watchers"; docs/protocol.md, watch.*): each class of file
// that arrives in a watched folder leads to its action (an image described by a fake vision brain and the
// description searchable in the knowledge base; a document ingested; media notified; code recorded), once per
// content, across partial writes, restarts, crashes, a deleted and re-created folder and a flood; folders added
// with watch.add are kept across restarts and bad requests are refused with the reason.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

using nlohmann::json;
using paios::test::bus_request;
using paios::test::daemon_process;
using paios::test::fake_agent;
using paios::test::request;
using paios::test::temp_dir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A PNG whose tEXt chunk says what the fake vision brain will "see" in it.
std::string png_saying(const std::string& text) {
  auto be32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  auto chunk = [&](const std::string& kind, const std::string& data) { return be32(static_cast<std::uint32_t>(data.size())) + kind + data + be32(0); };
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", be32(1) + be32(1) + std::string("\x08\x06\0\0\0", 5)) +
         chunk("tEXt", std::string("Description\0", 12) + text) + chunk("IEND", "");
}

void write_file(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

struct fixture {
  temp_dir files;
  fs::path drop = files.path() / "drop";
  fs::path notes = files.path() / "notifications.txt";
  fs::path mode = files.path() / "vision-mode";

  json config(json watchers = json::object()) const {
    std::ofstream(mode, std::ios::app);
    json w{{"folders", {{{"path", drop.string()}}}}, {"vision_brain", "vision"}, {"settle_ms", 300}};
    w.update(watchers);
    return {{"brains",
             {{"vision",
               {{"kind", "process"},
                {"command", {fake_agent("fake-vision").string()}},
                {"format", "text"},
                {"kill_grace_ms", 200},
                {"env", {{"FAKE_MODE_FILE", mode.string()}}}}}}},
            {"tasks", {{"default_brain", "vision"}, {"failover", json::array()}}},
            {"scheduler", {{"jobs", {{"heartbeat", nullptr}}}}},
            {"notify",
             {{"notify_send", false}, {"command", {"/bin/sh", "-c", "printf '%s|%s\\n' \"$0\" \"$1\" >> " + notes.string()}}}},
            {"watchers", w}};
  }
  void set_mode(const std::string& m) const { std::ofstream(mode, std::ios::trunc) << m; }
};

json folder_status(const daemon_process& d, const fs::path& dir) {
  for (const auto& f : request(d, bus_request("watch.list")).value("folders", json::array()))
    if (f.value("path", "") == dir.string()) return f;
  return json::object();
}

// Polls the folder's status until `done` holds for it, or the time is up; returns the last status read.
template <class Pred>
json wait_folder(const daemon_process& d, const fs::path& dir, Pred done, std::chrono::seconds within = 30s) {
  return paios::test::poll_until([&] { return folder_status(d, dir); }, done, within, 50ms);
}

// Waits until the folder's watcher has handled (or failed) `n` files in this run and has nothing left to do.
json wait_handled(const daemon_process& d, const fs::path& dir, int n, std::chrono::seconds within = 30s) {
  return wait_folder(
      d, dir,
      [n](const json& f) {
        return f.value("handled", 0) + f.value("failed", 0) >= n && f.value("queued", 1) == 0 &&
               f.value("in_flight", 1) == 0;
      },
      within);
}

// The watch events of one action ("file", "describe", ...) by file name, from the event store (which writes in
// batches: polled until `want` events are there, or the time is up).
std::multimap<std::string, json> watch_events(const daemon_process& d, const std::string& action, std::size_t want = 0) {
  auto read = [&] {
    std::multimap<std::string, json> out;
    auto r = request(d, bus_request("obs.query", {{"category", "watch"}, {"action", action}, {"limit", 10000}}));
    for (const auto& e : r.value("events", json::array())) {
      auto data = e.value("data", json::object());
      if (data.is_string()) data = json::parse(data.get<std::string>(), nullptr, false);
      out.emplace(fs::path(data.value("path", "")).filename().string(), data);
    }
    return out;
  };
  return paios::test::poll_until(read, [want](const auto& out) { return out.size() >= want; }, 15s);
}

json kb_search(const daemon_process& d, const std::string& query) {
  return request(d, bus_request("kb.search", {{"query", query}, {"k", 5}}));
}

bool kb_has(const daemon_process& d, const std::string& query, const std::string& source) {
  for (const auto& r : kb_search(d, query).value("results", json::array()))
    if (r.value("source", "") == source) return true;
  return false;
}

}  // namespace

TEST(Watchers, EachClassLeadsToItsActionOnce) {
  fixture fx;
  fs::create_directories(fx.drop);
  daemon_process d(fx.config());
  d.start();
  ASSERT_TRUE(wait_handled(d, fx.drop, 0).value("loaded", false));

  write_file(fx.drop / "Screenshot 2026-12-06.png", png_saying("a red bicycle leaning on a lighthouse"));
  write_file(fx.drop / "notes.md", "# Migration\n\nThe zebra migration crosses the Mara river in July.\n");
  write_file(fx.drop / "main.c", "int main(void) { return 0; }\n");
  write_file(fx.drop / "talk.mp3", std::string("ID3\x03\0\0\0\0\0\0", 10) + std::string(2000, '\x55'));
  write_file(fx.drop / "bundle.zip", std::string("PK\x05\x06", 4) + std::string(18, '\0'));
  auto f = wait_handled(d, fx.drop, 5);
  EXPECT_EQ(f.value("handled", 0), 5) << f.dump();
  EXPECT_EQ(f.value("failed", 0), 0) << f.dump() << d.log();

  auto files = watch_events(d, "file", 5);
  ASSERT_EQ(files.size(), 5u);
  EXPECT_EQ(files.find("Screenshot 2026-12-06.png")->second.value("class", ""), "image");
  EXPECT_TRUE(files.find("Screenshot 2026-12-06.png")->second.value("screenshot", false));
  EXPECT_EQ(files.find("Screenshot 2026-12-06.png")->second.value("action", ""), "describe");
  EXPECT_EQ(files.find("notes.md")->second.value("action", ""), "ingest");
  EXPECT_EQ(files.find("notes.md")->second.value("sha256", "").size(), 64u) << "the digest is kept, not redacted";
  EXPECT_EQ(files.find("main.c")->second.value("class", ""), "code");
  EXPECT_EQ(files.find("main.c")->second.value("action", ""), "record");
  EXPECT_EQ(files.find("talk.mp3")->second.value("action", ""), "notify");
  EXPECT_EQ(files.find("bundle.zip")->second.value("class", ""), "archive");

  // The image's description and the document are searchable, each with its file as the source.
  EXPECT_TRUE(kb_has(d, "bicycle lighthouse", (fx.drop / "Screenshot 2026-12-06.png").string())) << kb_search(d, "bicycle lighthouse").dump();
  EXPECT_TRUE(kb_has(d, "zebra migration", (fx.drop / "notes.md").string()));
  EXPECT_FALSE(kb_has(d, "main return", (fx.drop / "main.c").string()));
  // The media file led to a notification offering capture.
  std::string line;
  std::getline(std::ifstream(fx.notes), line);
  EXPECT_NE(line.find("New media: talk.mp3"), std::string::npos) << line;
  EXPECT_NE(line.find("ai --attach"), std::string::npos) << line;

  // The same content again (a touch, a copy over itself) is not done again; new content is.
  ::utimensat(AT_FDCWD, (fx.drop / "notes.md").c_str(), nullptr, 0);
  write_file(fx.drop / "main.c", "int main(void) { return 0; }\n");
  write_file(fx.drop / "zz-marker.txt", "the last one\n");
  wait_handled(d, fx.drop, 6);
  files = watch_events(d, "file", 6);
  EXPECT_EQ(files.size(), 6u);
  EXPECT_EQ(files.count("notes.md"), 1u);
  EXPECT_EQ(files.count("main.c"), 1u);
  write_file(fx.drop / "notes.md", "# Migration\n\nThe wildebeest follow the zebra in August.\n");
  wait_handled(d, fx.drop, 7);
  EXPECT_EQ(watch_events(d, "file", 7).count("notes.md"), 2u);
  EXPECT_TRUE(kb_has(d, "wildebeest", (fx.drop / "notes.md").string()));
}

TEST(Watchers, PartialWritesAndDownloadsAreHandledWhenComplete) {
  fixture fx;
  fs::create_directories(fx.drop);
  daemon_process d(fx.config({{"settle_ms", 2000}}));
  d.start();
  ASSERT_TRUE(wait_handled(d, fx.drop, 0).value("loaded", false));

  // A writer that writes in parts and closes at the end: one handling, of the whole file.
  const auto path = fx.drop / "report.txt";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  for (const char* part : {"first part about otters. ", "second part about beavers. ", "last part about herons.\n"}) {
    ASSERT_GT(::write(fd, part, std::strlen(part)), 0);
    std::this_thread::sleep_for(200ms);
  }
  ::close(fd);
  // A browser's download: written as .part, renamed when complete.
  write_file(fx.drop / "paper.md.part", "# Paper\n\nOn the navigation of pelicans.\n");
  fs::rename(fx.drop / "paper.md.part", fx.drop / "paper.md");
  wait_handled(d, fx.drop, 2);
  auto files = watch_events(d, "file", 2);
  EXPECT_EQ(files.size(), 2u);
  EXPECT_EQ(files.count("report.txt"), 1u);
  EXPECT_EQ(files.count("paper.md"), 1u);
  EXPECT_TRUE(kb_has(d, "herons", path.string()));
  EXPECT_TRUE(kb_has(d, "pelicans", (fx.drop / "paper.md").string()));
}

TEST(Watchers, WhatArrivesWhileStoppedIsHandledAtStartAndNothingTwice) {
  fixture fx;
  fs::create_directories(fx.drop);
  daemon_process d(fx.config());
  d.start();
  write_file(fx.drop / "before.md", "# Before\n\nArrived before the daemon started: quokka.\n");
  ASSERT_EQ(wait_handled(d, fx.drop, 1).value("handled", 0), 1);
  d.stop();
  write_file(fx.drop / "meanwhile.md", "# Meanwhile\n\nArrived while the daemon was down: axolotl.\n");
  d.start();
  ASSERT_EQ(wait_handled(d, fx.drop, 1).value("handled", 0), 1);  // only the new one in this run
  auto files = watch_events(d, "file", 2);
  EXPECT_EQ(files.count("before.md"), 1u);
  EXPECT_EQ(files.count("meanwhile.md"), 1u);
  EXPECT_TRUE(kb_has(d, "axolotl", (fx.drop / "meanwhile.md").string()));
  EXPECT_EQ(folder_status(d, fx.drop).value("known", 0), 2);
}

TEST(Watchers, AnActionCutByACrashIsDoneAgainAfterTheRestart) {
  fixture fx;
  fs::create_directories(fx.drop);
  fx.set_mode("hang");
  daemon_process d(fx.config());
  d.start();
  ASSERT_TRUE(wait_handled(d, fx.drop, 0).value("loaded", false));
  write_file(fx.drop / "whiteboard.png", png_saying("a whiteboard listing the quarterly okapi census"));
  auto busy = wait_folder(d, fx.drop, [](const json& f) { return f.value("in_flight", 0) > 0; }, 20s);
  ASSERT_EQ(busy.value("in_flight", 0), 1) << busy.dump();
  d.kill9();
  for (auto pid : d.agents()) ::kill(pid, SIGKILL);  // the hung fake brain the crash left behind
  fx.set_mode("ok");
  d.start();
  auto f = wait_handled(d, fx.drop, 1);
  EXPECT_EQ(f.value("handled", 0), 1) << f.dump() << d.log();
  EXPECT_TRUE(kb_has(d, "okapi census", (fx.drop / "whiteboard.png").string()));
  auto files = watch_events(d, "file", 2);
  ASSERT_EQ(files.count("whiteboard.png"), 2u);
  int last_attempt = 0;
  for (auto [it, end] = files.equal_range("whiteboard.png"); it != end; ++it)
    last_attempt = std::max(last_attempt, it->second.value("attempt", 0));
  EXPECT_EQ(last_attempt, 2);
}

TEST(Watchers, AFailedDescribeIsRecordedAndTriedAgainAtTheNextStartUpToTheLimit) {
  fixture fx;
  fs::create_directories(fx.drop);
  fx.set_mode("error");
  daemon_process d(fx.config({{"max_attempts", 2}}));
  d.start();
  write_file(fx.drop / "chart.png", png_saying("a chart of narwhal sightings"));
  auto f = wait_handled(d, fx.drop, 1);
  EXPECT_EQ(f.value("failed", 0), 1) << f.dump();
  auto described = watch_events(d, "describe", 1);
  ASSERT_EQ(described.count("chart.png"), 1u);
  EXPECT_NE(described.find("chart.png")->second.value("detail", "").find("brain_failed"), std::string::npos)
      << described.find("chart.png")->second.dump();
  d.stop();
  d.start();
  EXPECT_EQ(wait_handled(d, fx.drop, 1).value("failed", 0), 1);  // the second and last attempt
  d.stop();
  fx.set_mode("ok");
  d.start();
  ASSERT_TRUE(wait_handled(d, fx.drop, 0).value("loaded", false));
  // A later file, handled: the watcher's scan at its start, which would have queued chart.png again, came first.
  write_file(fx.drop / "later.c", "int later;\n");
  f = wait_handled(d, fx.drop, 1);
  EXPECT_EQ(f.value("handled", 0), 1) << f.dump();
  EXPECT_EQ(f.value("failed", 0), 0) << "given up after max_attempts: " << f.dump();
  auto files = watch_events(d, "file", 3);
  EXPECT_EQ(files.count("later.c"), 1u);
  EXPECT_EQ(files.count("chart.png"), 2u) << "given up after max_attempts";
}

TEST(Watchers, AFolderDeletedAndRecreatedIsWatchedAgain) {
  fixture fx;
  daemon_process d(fx.config());  // the folder does not exist yet
  d.start();
  auto f = wait_handled(d, fx.drop, 0);
  EXPECT_FALSE(f.value("present", true));
  EXPECT_NE(f.value("problem", "").find("does not exist"), std::string::npos) << f.dump();
  fs::create_directories(fx.drop);
  write_file(fx.drop / "one.txt", "the first file: capybara\n");
  ASSERT_EQ(wait_handled(d, fx.drop, 1).value("handled", 0), 1);
  fs::remove_all(fx.drop);
  auto gone = wait_folder(d, fx.drop, [](const json& f) { return !f.value("present", true); }, 10s);
  EXPECT_FALSE(gone.value("present", true)) << gone.dump();
  fs::create_directories(fx.drop);
  write_file(fx.drop / "two.txt", "the second file: pangolin\n");
  EXPECT_EQ(wait_handled(d, fx.drop, 2).value("handled", 0), 2);
  EXPECT_TRUE(kb_has(d, "pangolin", (fx.drop / "two.txt").string()));
}

TEST(Watchers, AddedFoldersAreKeptAcrossRestartsAndBadRequestsAreRefused) {
  fixture fx;
  fs::create_directories(fx.drop);
  const auto added = fx.files.path() / "inbox";
  fs::create_directories(added);
  daemon_process d(fx.config());
  d.start();

  auto r = d.ai({"watch", "add", added.string(), "--class", "document"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("watching " + added.string()), std::string::npos) << r.out;
  write_file(added / "a.md", "# A\n\nAbout the dugong.\n");
  write_file(added / "b.c", "int b;\n");  // code: not a class acted on here, recorded only
  wait_handled(d, added, 2);
  EXPECT_TRUE(kb_has(d, "dugong", (added / "a.md").string()));
  auto files = watch_events(d, "file", 2);
  EXPECT_EQ(files.find("b.c")->second.value("action", ""), "record");

  // Refusals, each naming what was wrong.
  auto refused = [&](json req, const std::string& code, const std::string& words) {
    auto reply = request(d, req);
    EXPECT_EQ(reply.value("type", ""), "error") << reply.dump();
    EXPECT_EQ(reply.value("code", ""), code) << reply.dump();
    EXPECT_NE(reply.value("message", "").find(words), std::string::npos) << reply.dump();
  };
  refused(bus_request("watch.add", {{"path", "relative/dir"}}), "bad_request", "absolute");
  refused(bus_request("watch.add", {{"path", added.string()}}), "bad_request", "watched already");
  refused(bus_request("watch.add", {{"path", "/tmp/x"}, {"classes", {"pictures"}}}), "bad_request", "pictures");
  refused(bus_request("watch.rm", {{"path", fx.drop.string()}}), "bad_request", "configuration file");
  refused(bus_request("watch.rm", {{"path", "/nowhere/at/all"}}), "not_found", "not watched");
  refused(bus_request("watch.add"), "bad_request", "path");

  d.stop();
  d.start();
  auto f = folder_status(d, added);
  EXPECT_EQ(f.value("source", ""), "added") << f.dump();
  EXPECT_EQ(f.value("classes", json::array()), json::array({"document"}));
  r = d.ai({"watch", "rm", added.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  d.stop();
  d.start();
  EXPECT_TRUE(folder_status(d, added).empty());
  EXPECT_FALSE(folder_status(d, fx.drop).empty());
}

TEST(Watchers, AFloodIsWorkedThroughOnceEach) {
  fixture fx;
  fs::create_directories(fx.drop);
  daemon_process d(fx.config());
  d.start();
  ASSERT_TRUE(wait_handled(d, fx.drop, 0).value("loaded", false));
  constexpr int kFiles = 1000;
  for (int i = 0; i < kFiles; ++i) write_file(fx.drop / ("log-" + std::to_string(i) + ".bin"), "entry " + std::to_string(i));
  auto f = wait_handled(d, fx.drop, kFiles, 120s);
  EXPECT_EQ(f.value("handled", 0), kFiles) << f.dump();
  EXPECT_EQ(f.value("known", 0), kFiles);
  auto files = watch_events(d, "file", kFiles);
  EXPECT_EQ(files.size(), static_cast<std::size_t>(kFiles));
  for (int i = 0; i < kFiles; i += 97) EXPECT_EQ(files.count("log-" + std::to_string(i) + ".bin"), 1u) << i;
}

TEST(Watchers, MediaIsNotifiedThroughNotifySendWhenItIsOnThePath) {
  fixture fx;
  fs::create_directories(fx.drop);
  const auto bin = fx.files.path() / "bin";
  const auto sent = fx.files.path() / "notify-send.args";
  fs::create_directories(bin);
  std::ofstream(bin / "notify-send") << "#!/bin/sh\nprintf '%s|' \"$@\" >> " << sent.string() << "\necho >> " << sent.string() << "\n";
  fs::permissions(bin / "notify-send", fs::perms::owner_all);
  auto cfg = fx.config();
  cfg["notify"]["notify_send"] = true;  // preferred over notify.command when it is there
  daemon_process d(cfg);
  d.set_env("PATH", bin.string() + ":" + std::getenv("PATH"));
  d.start();
  write_file(fx.drop / "clip.mp4", std::string("\0\0\0\x18" "ftypmp42", 12) + std::string(500, '\0'));
  ASSERT_EQ(wait_handled(d, fx.drop, 1).value("handled", 0), 1);
  auto line = paios::test::first_line_of(sent);
  EXPECT_EQ(line.rfind("-a|paios|-u|normal|New media: clip.mp4|" + (fx.drop / "clip.mp4").string(), 0), 0u) << line;
  EXPECT_FALSE(fs::exists(fx.notes)) << "notify.command is the fallback only";
  auto events = request(d, bus_request("obs.query", {{"category", "notify"}}));
  ASSERT_FALSE(events.value("events", json::array()).empty()) << events.dump();
  EXPECT_EQ(events["events"][0]["data"].value("via", ""), "notify-send") << events.dump();
}

TEST(Watchers, AWatcherThatFailsIsRestartedAndCatchesUp) {
  fixture fx;
  fs::create_directories(fx.drop);
  daemon_process d(fx.config());
  d.set_env("PAIOS_FAULT_INJECTION", "1");
  d.start();
  write_file(fx.drop / "first.md", "# First\n\nBefore the fault: ibis.\n");
  ASSERT_EQ(wait_handled(d, fx.drop, 1).value("handled", 0), 1);
  auto fault = request(d, bus_request("debug.fault", {{"actor", "watcher:" + fx.drop.string()}}));
  ASSERT_EQ(fault.value("type", ""), "fault") << fault.dump();
  // While it is down (its backoff is a second), a file arrives; the new watcher's scan finds it.
  write_file(fx.drop / "second.md", "# Second\n\nDuring the restart: tapir.\n");
  auto f = wait_folder(
      d, fx.drop,
      [](const json& s) {
        return s.value("restarts", 0) == 1 && s.value("handled", 0) == 1 && s.value("queued", 1) == 0;
      },
      20s);
  EXPECT_EQ(f.value("restarts", 0), 1) << f.dump();
  EXPECT_NE(f.value("last_exit", "").find("fault injected"), std::string::npos) << f.dump();
  EXPECT_EQ(f.value("handled", 0), 1) << "only second.md in the new watcher: " << f.dump();
  EXPECT_TRUE(kb_has(d, "tapir", (fx.drop / "second.md").string()));
  auto files = watch_events(d, "file", 2);
  EXPECT_EQ(files.count("first.md"), 1u) << "done before the fault: not again";
  // second.md may have been taken up by the failing watcher before its end took effect: then its action was
  // cut, and the new watcher did it again (attempt 2). Either way it was finished once, by the new watcher.
  EXPECT_GE(files.count("second.md"), 1u);
  EXPECT_LE(files.count("second.md"), 2u);
  // The other actors did not notice.
  auto status = request(d, bus_request("status"));
  for (const auto& c : status["tree"]["children"]) EXPECT_EQ(c.value("restarts", 0), 0) << c.dump();
}
