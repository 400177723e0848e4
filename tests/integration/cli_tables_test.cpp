// `ai`'s listings in the one table style (cli/render.hpp, `table`), each against a real daemon with something to
// list: upper-case headers, every column starting where its header does however long a value is, and each line
// within the terminal's width ($COLUMNS), the last column cut with "…". (`ai tasks` and `ai obs`: cli_surface_test;
// `ai approvals`: autonomy_gate_test.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/table_check.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;  // the tests' shared support (tests/support)
using namespace std::chrono_literals;

namespace {

const std::string kLong = "a value long enough to run past the edge of a narrow terminal, and then some more words";

json echo_config(json extra = json::object()) {
  json cfg{{"tasks", {{"default_brain", "echo"}, {"failover", json::array()}}},
           {"scheduler", {{"jobs", {{"heartbeat", nullptr}}}, {"timezone", "UTC"}}},
           {"notify", {{"notify_send", false}}}};
  cfg.merge_patch(extra);
  return cfg;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(CliTables, RoutingDecisions) {
  // ghost's program is missing: a task for it fails over to echo, and the table says so.
  daemon_process d{echo_config({{"brains", {{"ghost", {{"kind", "process"}, {"command", {"/nonexistent/ghost"}}, {"format", "text"}}}}},
                                {"tasks", {{"default_brain", "ghost"}, {"failover", {"echo"}}}}})};
  d.start();
  ASSERT_EQ(d.ai({"--brain", "echo", kLong}).exit_code, 0);
  ASSERT_EQ(d.ai({"a short one"}).exit_code, 0);
  auto table = expect_table(d, {"routes"}, 120, "TASK");
  EXPECT_TRUE(has(table, " ghost:")) << "the brain tried before echo: " << table;
  EXPECT_TRUE(has(table, " echo  succeeded ")) << table;
  EXPECT_TRUE(has(table, "(override)")) << table;
  EXPECT_TRUE(has(table, "…")) << "the long prompt is cut: " << table;
  EXPECT_TRUE(has(ai_at_width(d, {"routes"}, 400).out, kLong));
}

TEST(CliTables, KnowledgeBaseArticles) {
  daemon_process d{echo_config()};
  d.start();
  temp_dir docs;
  std::ofstream(docs.path() / "replica.md") << "# Rotating the Postgres replica\n\nPromote the standby with pg_ctl promote.\n";
  std::ofstream(docs.path() / "bread.txt") << "Sourdough notes\nFeed the starter twice a day.\n";
  auto added = d.ai({"kb", "add", docs.path().string()});
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
  auto table = expect_table(d, {"kb", "list"}, 100, "ARTICLE");
  EXPECT_TRUE(has(table, "Rotating the Postgres replica")) << table;
  EXPECT_TRUE(has(table, (docs.path() / "bread.txt").string())) << table;
}

TEST(CliTables, JobsAndAJobsHistory) {
  json job{{"schedule", "every 1h"}, {"action", {{"task", {{"prompt", kLong}, {"brain", "echo"}}}}}};
  daemon_process d{echo_config({{"scheduler", {{"jobs", {{"hello", job}}}}}})};
  d.start();
  ASSERT_EQ(d.ai({"jobs", "run", "hello"}).exit_code, 0);
  auto history = poll_until([&] { return request(d, {{"op", "jobs.history"}, {"name", "hello"}}); },
                            [](const json& h) {
                              auto runs = h.value("runs", json::array());
                              return !runs.empty() && runs[0].value("outcome", "running") != "running";
                            },
                            30s);
  ASSERT_EQ(history["runs"][0].value("outcome", ""), "ok") << history.dump();
  auto jobs = expect_table(d, {"jobs"}, 80, "JOB");
  EXPECT_TRUE(has(jobs, "every 1h")) << jobs;
  EXPECT_TRUE(has(jobs, "\n(times in UTC)\n")) << "a note under the table: " << jobs;
  auto runs = expect_table(d, {"jobs", "history", "hello"}, 100, "OUTCOME");
  EXPECT_TRUE(has(runs, history["runs"][0].value("trace_id", ""))) << "the trace id whole: " << runs;
  EXPECT_TRUE(has(runs, "manual")) << runs;
  EXPECT_TRUE(has(runs, "…")) << "the summary is cut: " << runs;
}

TEST(CliTables, PipelinesAndTheirRuns) {
  json steps{{{"name", "first"}, {"kind", "command"}, {"command", {"sh", "-c", "echo one"}}},
             {{"name", "second"}, {"kind", "command"}, {"command", {"sh", "-c", "echo '" + kLong + "' >&2; exit 3"}}}};
  daemon_process d{echo_config({{"pipelines", {{"two-steps", {{"description", kLong}, {"steps", steps}}}}}})};
  d.start();
  auto started = request(d, {{"op", "pipeline.run"}, {"name", "two-steps"}});
  ASSERT_EQ(started.value("type", ""), "pipeline.started") << started.dump();
  auto run = poll_until([&] { return request(d, {{"op", "pipeline.get"}, {"run_id", started.value("run_id", "")}}); },
                        [](const json& r) { return r["run"].value("state", "running") != "running"; }, 30s);
  ASSERT_EQ(run["run"].value("state", ""), "failed") << run.dump();
  auto list = expect_table(d, {"pipeline"}, 80, "PIPELINE");
  EXPECT_TRUE(has(list, "first (command) -> second (command)")) << list;
  EXPECT_TRUE(has(list, "…")) << "the description is cut: " << list;
  auto runs = expect_table(d, {"pipeline", "runs"}, 120, "RUN");
  EXPECT_TRUE(has(runs, started.value("run_id", ""))) << runs;
  EXPECT_TRUE(has(runs, "first:ok second:failed")) << runs;
  EXPECT_TRUE(has(runs, "…")) << "the error is cut: " << runs;
}

TEST(CliTables, WatchedFolders) {
  temp_dir files;
  const auto here = files.path() / "here", absent = files.path() / "not" / "there";
  std::filesystem::create_directories(here);
  daemon_process d{echo_config({{"watchers", {{"folders", {{{"path", here.string()}}, {{"path", absent.string()}}}}}}})};
  d.start();
  ASSERT_EQ(d.ai({"watch", "add", (files.path() / "added").string(), "--class", "document"}).exit_code, 0);
  // Each folder's watcher has started (loaded), whatever it found.
  auto all = poll_until([&] { return request(d, {{"op", "watch.list"}}).value("folders", json::array()); },
                        [](const json& fs) {
                          for (const auto& f : fs)
                            if (!f.value("loaded", false)) return false;
                          return fs.size() == 3;
                        },
                        30s);
  ASSERT_EQ(all.size(), 3u) << all.dump();
  auto table = expect_table(d, {"watch"}, 160, "FOLDER");
  EXPECT_TRUE(has(table, here.string() + " ")) << table;
  EXPECT_TRUE(has(table, " watching ")) << table;
  EXPECT_TRUE(has(table, " not watched ")) << "the absent folder: " << table;
  EXPECT_TRUE(has(table, " document ")) << "the added folder's class: " << table;
  EXPECT_EQ(expect_table(d, {"watch", "list"}, 160, "FOLDER"), table);
}
