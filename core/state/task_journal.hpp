#pragma once
// task_journal: the task writes that state.sqlite could not take, kept durably beside it until it can.
//
// state.sqlite refuses a write when another process holds its lock past the busy timeout, when the disk is
// full, or when its file cannot be written. A task write refused so would leave the store behind what the
// client is told (a task answered `succeeded` but stored `running`, then run again after a restart), so the
// state store appends such writes here, fsync'd, and answers only then; it applies them to the database once
// it can, and replays the journal at its next start before anything reads the tasks.
//
// The file is preallocated (`capacity` bytes, fallocate) when it is opened, so that appending needs no new
// blocks: it works on a full disk. Records are JSON lines; the unused rest of the file is zeros, so the first
// zero byte ends the records. clear() zeroes what was used once the database holds it. Not thread-safe: one
// owner (the state store).
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "messages/error.hpp"
#include "messages/task.hpp"

namespace paios {

struct journal_entry {
  task_record record;
  bool is_new = false;  // the task's first write (an insert)
};

class task_journal {
 public:
  // Opens (creating and preallocating) the journal; the entries a previous run left are in entries(). Fails
  // (store_failed, naming the step and the system's reason) when the file cannot be opened or preallocated.
  static expected<std::unique_ptr<task_journal>> open(const std::filesystem::path& file, std::size_t capacity);
  ~task_journal();
  task_journal(const task_journal&) = delete;
  task_journal& operator=(const task_journal&) = delete;

  // What the journal held when it was opened, oldest first (a record that does not parse ends the list: it
  // is a write cut by a crash, never acknowledged).
  const std::vector<journal_entry>& entries() const { return entries_; }
  // Appends the entries and syncs them to the disk. Ok once durable; else the error (store_failed: the
  // journal is full, or the write or sync failed), and nothing counts as written.
  status append(const std::vector<journal_entry>& entries);
  // Forgets every entry (the database holds them now). Ok or the error.
  status clear();
  bool empty() const { return used_ == 0; }

 private:
  task_journal(int fd, std::size_t capacity) : fd_(fd), capacity_(capacity) {}

  int fd_ = -1;
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;  // bytes of records from the start of the file
  std::vector<journal_entry> entries_;
};

// One entry as the journal line it is written as (no newline), and back; the codec keeps every field of the
// record, span ids included, unlike the wire's task JSON.
std::string journal_line(const journal_entry& e);
bool parse_journal_line(const std::string& line, journal_entry& out);

}  // namespace paios
