#pragma once
// hook_spool: where a hook event goes when the daemon is down or slow, so that nothing a hook was given is
// lost. PAIOS_HOME/spool/ holds
//   hooks.jsonl         one JSON object per line: {uid, event, payload, spooled_ms, reason}, appended by `ai hook`
//   hooks.replay.jsonl  what the daemon took to replay and has not finished with (kept across a crash)
//   hooks.lock          the lock both sides take (flock) around every change of the two files
// A writer appends under the lock and fsyncs before it unlocks, so an appended line is whole and on disk. The
// daemon moves hooks.jsonl onto the end of hooks.replay.jsonl under the lock, handles every line, and only then
// removes hooks.replay.jsonl: a crash during replay leaves the file, and the next replay skips the lines already
// stored (their uid is in the event store). `ai` links this too.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"

namespace paios {

struct hook_spool {
  std::filesystem::path dir;  // PAIOS_HOME/spool

  std::filesystem::path file() const { return dir / "hooks.jsonl"; }
  std::filesystem::path replay_file() const { return dir / "hooks.replay.jsonl"; }
  std::filesystem::path lock_file() const { return dir / "hooks.lock"; }

  // A file of the spool that cannot be opened, locked, read, written, moved or removed fails the call with
  // store_failed ("cannot write PATH: No space left on device").
  //
  // Appends `line` (one JSON object, no newline in it) and a newline. Creates the folder (0700) and the files
  // (0600).
  status append(std::string_view line) const;
  // The daemon: moves what was appended onto the replay file and returns the replay file's lines (those of a
  // replay a crash interrupted first); none when there is no spool folder.
  expected<std::vector<std::string>> take() const;
  // The daemon, once every line taken is handled: removes the replay file.
  status finish() const;
  // True when hooks.jsonl or hooks.replay.jsonl holds anything (a cheap stat).
  bool pending() const;
};

}  // namespace paios
