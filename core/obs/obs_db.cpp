#include "core/obs/obs_db.hpp"

#include "core/sqlite/migrations.hpp"
#include "core/sqlite/sqlite_db.hpp"
#include "core/sqlite/sqlite_row.hpp"

namespace paios {
namespace {

// Ids are unsigned 64-bit on the bus and signed in SQLite: the bits are kept as they are.
std::int64_t as_sql(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t from_sql(std::int64_t v) { return static_cast<std::uint64_t>(v); }

// Migration 1: events and scores. Files from before the store counted (version 0) have the tables already, and
// some the index on time that the step drops.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  id          INTEGER PRIMARY KEY,
  time_us     INTEGER NOT NULL,
  duration_us INTEGER NOT NULL,
  trace_hi    INTEGER NOT NULL,
  trace_lo    INTEGER NOT NULL,
  span        INTEGER NOT NULL,
  parent      INTEGER NOT NULL,
  category    TEXT NOT NULL,
  action      TEXT NOT NULL,
  status      TEXT NOT NULL,
  data        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_trace ON events(trace_hi);
-- No index on time_us: queries go newest first by id and stop at their limit, and retention deletes a range of
-- ids (prune). An index written five times per task cost the task path about 5% (docs/benchmarks.md, issue 26).
DROP INDEX IF EXISTS events_by_time;
CREATE INDEX IF NOT EXISTS events_by_category ON events(category, time_us);
CREATE TABLE IF NOT EXISTS scores (
  target   TEXT PRIMARY KEY,
  trace_hi INTEGER NOT NULL,
  trace_lo INTEGER NOT NULL,
  score    INTEGER NOT NULL,
  note     TEXT NOT NULL,
  time_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS scores_by_score ON scores(score);
)sql";

constexpr const char* kColumns = "id, time_us, duration_us, trace_hi, trace_lo, span, parent, category, action, status, data";

event_record read_event(const sqlite_stmt& s) {
  event_record e;
  e.seq = s.integer(0);
  e.time_us = s.integer(1);
  e.duration_us = s.integer(2);
  e.trace = {from_sql(s.integer(3)), from_sql(s.integer(4))};
  e.span = from_sql(s.integer(5));
  e.parent = from_sql(s.integer(6));
  e.category = s.text(7);
  e.action = s.text(8);
  e.status = s.text(9);
  e.data_json = s.text(10);
  return e;
}

}  // namespace

const sqlite_schema& obs_db_schema() {
  static const sqlite_schema schema{"observability", {{1, "events, scores (no index on events' time)", kSchema, {}}}};
  return schema;
}

struct obs_db::statements {
  sqlite_stmt insert, by_trace, save_score, get_score;
};

obs_db::~obs_db() = default;

expected<std::unique_ptr<obs_db>> obs_db::open(const std::filesystem::path& file, bool synchronous_full) {
  std::unique_ptr<obs_db> o{new obs_db};
  // On a new file (they change nothing later): 16 KiB pages, a third fewer page writes per batch than 4 KiB
  // (docs/benchmarks.md); incremental auto-vacuum, so that retention gives pages back to the file system.
  auto db = open_migrated(file, obs_db_schema(), synchronous_full, "PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL;");
  if (!db) return db.error();
  o->db_ = std::move(*db);
  // Writes append, so a small page cache does (512 KiB, 32 pages; SQLite's default is 2 MiB).
  if (auto st = o->db_->exec("PRAGMA cache_size=-512;"); !st)
    return status{errc::store_failed, "cannot configure " + file.string() + ": " + st.message()};
  // Checkpoints copy the log into the file and sync it: fewer, larger ones (the log grows to 64 MiB), on their
  // own thread, so that the batches behind them are not held up.
  if (auto st = o->db_->checkpoint_in_background(4096); !st) return st;
  o->st_ = std::make_unique<statements>();
  auto& st = *o->st_;
  status failed;  // the first failure; the statements after it are not prepared
  auto prepare = [&](sqlite_stmt& into, std::string_view sql) {
    if (!failed) return;
    if (auto stmt = o->db_->prepare(sql)) into = std::move(*stmt);
    else failed = stmt.error();
  };
  prepare(st.insert, "INSERT INTO events (time_us, duration_us, trace_hi, trace_lo, span, parent, category, "
                     "action, status, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  prepare(st.by_trace, std::string{"SELECT "} + kColumns +
                           " FROM events WHERE trace_hi = ?1 AND trace_lo = ?2 ORDER BY time_us, id");
  prepare(st.save_score,
          "INSERT INTO scores (target, trace_hi, trace_lo, score, note, time_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
          "ON CONFLICT(target) DO UPDATE SET trace_hi = excluded.trace_hi, trace_lo = excluded.trace_lo, "
          "score = excluded.score, note = excluded.note, time_ms = excluded.time_ms");
  prepare(st.get_score, "SELECT target, trace_hi, trace_lo, score, note, time_ms FROM scores WHERE target = ?1");
  if (!failed)
    return status{errc::store_failed, "cannot prepare the queries of " + file.string() + ": " + failed.message()};
  return o;
}

status obs_db::insert(event_batch& batch) {
  if (batch.empty()) return {};
  if (auto st = db_->exec("BEGIN IMMEDIATE"); !st) return st;
  auto& s = st_->insert;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& e = batch[i];
    s.bind(1, e.time_us).bind(2, e.duration_us).bind(3, as_sql(e.trace.hi)).bind(4, as_sql(e.trace.lo));
    s.bind(5, as_sql(e.span)).bind(6, as_sql(e.parent));
    s.bind_static(7, e.category).bind_static(8, e.action).bind_static(9, e.status);
    s.bind_static(10, batch.data(i));
    if (auto st = s.run(); !st) {
      (void)db_->exec("ROLLBACK");
      for (std::size_t k = 0; k < batch.size(); ++k) batch[k].seq = 0;
      return st;
    }
    e.seq = db_->last_insert_rowid();
  }
  if (auto st = db_->exec("COMMIT"); !st) {
    (void)db_->exec("ROLLBACK");
    for (std::size_t k = 0; k < batch.size(); ++k) batch[k].seq = 0;
    return st;
  }
  return {};
}

expected<std::vector<event_record>> obs_db::query(const event_query& q) {
  std::string sql = std::string{"SELECT "} + kColumns + " FROM events WHERE 1";
  int n = 0;
  std::vector<std::pair<int, std::int64_t>> ints;
  std::vector<std::pair<int, std::string>> texts;
  auto add_int = [&](const char* clause, std::int64_t v) {
    sql += clause;
    sql += std::to_string(++n);
    ints.emplace_back(n, v);
  };
  auto add_text = [&](const char* clause, const std::string& v) {
    sql += clause;
    sql += std::to_string(++n);
    texts.emplace_back(n, v);
  };
  if (q.trace.valid()) {
    add_int(" AND trace_hi = ?", as_sql(q.trace.hi));
    add_int(" AND trace_lo = ?", as_sql(q.trace.lo));
  }
  if (!q.category.empty()) add_text(" AND category = ?", q.category);
  if (!q.action.empty()) add_text(" AND action = ?", q.action);
  if (!q.status.empty()) add_text(" AND status = ?", q.status);
  if (q.since_us > 0) add_int(" AND time_us >= ?", q.since_us);
  if (q.until_us > 0) add_int(" AND time_us < ?", q.until_us);
  if (q.before_seq > 0) add_int(" AND id < ?", q.before_seq);
  if (q.min_score > 0 || q.max_score > 0) {
    sql += " AND (trace_hi, trace_lo) IN (SELECT trace_hi, trace_lo FROM scores WHERE score BETWEEN ?" +
           std::to_string(n + 1) + " AND ?" + std::to_string(n + 2) + ")";
    ints.emplace_back(++n, q.min_score > 0 ? q.min_score : 1);
    ints.emplace_back(++n, q.max_score > 0 ? q.max_score : 5);
  }
  add_int(" ORDER BY id DESC LIMIT ?", q.limit);
  auto s = db_->prepare(sql);
  if (!s) return s.error();
  for (auto& [i, v] : ints) s->bind(i, v);
  for (auto& [i, v] : texts) s->bind(i, v);
  return step_rows(*s, read_event);
}

expected<std::vector<event_record>> obs_db::trace(const trace_id& t) {
  auto& s = st_->by_trace;
  s.bind(1, as_sql(t.hi)).bind(2, as_sql(t.lo));
  return step_rows(s, read_event);
}

status obs_db::save_score(const score_record& r) {
  auto& s = st_->save_score;
  s.bind(1, r.target).bind(2, as_sql(r.trace.hi)).bind(3, as_sql(r.trace.lo)).bind(4, std::int64_t{r.score});
  s.bind(5, r.note).bind(6, r.time_ms);
  return s.run();
}

expected<std::optional<score_record>> obs_db::score(const std::string& target) {
  auto& s = st_->get_score;
  s.bind(1, target);
  std::optional<score_record> out;
  if (s.step())
    out = score_record{s.text(0), {from_sql(s.integer(1)), from_sql(s.integer(2))}, static_cast<int>(s.integer(3)),
                       s.text(4), s.integer(5)};
  status failed = s.error();
  s.reset();
  if (!failed) return failed;
  return out;
}

std::int64_t obs_db::used_bytes() {
  auto s = db_->prepare("SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM "
                        "pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())");
  if (!s || !s->step()) return 0;
  return s->integer(0) * s->integer(1);
}

std::int64_t obs_db::event_count() {
  auto s = db_->prepare("SELECT count(*) FROM events");
  return s && s->step() ? s->integer(0) : 0;
}

expected<std::int64_t> obs_db::prune(std::int64_t older_than_us, std::int64_t max_bytes) {
  std::int64_t removed = 0;
  if (older_than_us > 0) {
    // Events are written in the order they end, so those older than the cutoff are the ids before the first event
    // at or after it: a range of the table, found without an index on time. An event that began before the cutoff
    // but ended after that first one (a long span) stays until a later prune.
    auto s = db_->prepare(
        "DELETE FROM events WHERE time_us < ?1 AND id < coalesce((SELECT id FROM events WHERE time_us >= ?1 "
        "ORDER BY id LIMIT 1), 9223372036854775807)");
    if (!s) return s.error();
    s->bind(1, older_than_us);
    if (auto st = s->run(); !st) return st;
    removed += db_->changes();
  }
  // Over the size budget: remove the oldest events, in proportion to the excess plus a tenth of the budget
  // (so that the next few batches do not trigger it again at once).
  for (int round = 0; max_bytes > 0 && round < 4; ++round) {
    auto used = used_bytes();
    if (used <= max_bytes) break;
    auto count = event_count();
    if (count == 0) break;
    double share = 1.0 - 0.9 * static_cast<double>(max_bytes) / static_cast<double>(used);
    auto n = std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(count) * share));
    auto s = db_->prepare("DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?1)");
    if (!s) return s.error();
    s->bind(1, n);
    if (auto st = s->run(); !st) return st;
    removed += db_->changes();
    (void)db_->exec("PRAGMA incremental_vacuum;");  // best effort: the next round or prune frees the pages
  }
  if (removed > 0) (void)db_->exec("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);");
  return removed;
}

}  // namespace paios
