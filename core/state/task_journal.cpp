#include "core/state/task_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

namespace paios {
namespace {

status os_error(const std::string& what) { return {errc::store_failed, what + ": " + std::strerror(errno)}; }

// Writes all of `data` at `offset`, through short writes and interruptions.
bool write_all_at(int fd, const char* data, std::size_t size, std::size_t offset) {
  while (size > 0) {
    auto n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::size_t>(n);
  }
  return true;
}

// Zeroes [from, to): what is past the records must read as zeros, or a later open would take it for one.
bool zero_range(int fd, std::size_t from, std::size_t to) {
  static const std::string zeros(64 * 1024, '\0');
  while (from < to) {
    auto n = std::min(zeros.size(), to - from);
    if (!write_all_at(fd, zeros.data(), n, from)) return false;
    from += n;
  }
  return true;
}

}  // namespace

std::string journal_line(const journal_entry& e) {
  const auto& r = e.record;
  const auto& s = r.spec;
  nlohmann::json attachments = nlohmann::json::array();
  for (const auto& a : s.attachments) attachments.push_back({a.name, a.mime});
  nlohmann::json j{{"new", e.is_new},
                   {"id", s.id},
                   {"prompt", s.prompt},
                   {"requested_brain", s.brain},
                   {"trace_id", s.trace_id},
                   {"span_id", s.span_id},
                   {"parent_span", s.parent_span},
                   {"timeout_ms", s.timeout_ms},
                   {"created_ms", s.created_ms},
                   {"attachments", std::move(attachments)},
                   {"state", to_string(r.state)},
                   {"brain", r.brain},
                   {"text", r.text},
                   {"error", to_string(r.error)},
                   {"error_message", r.error_message},
                   {"exit_code", r.exit_code},
                   {"started_ms", r.started_ms},
                   {"finished_ms", r.finished_ms},
                   {"attempts", r.attempts},
                   {"route", r.route}};
  // Invalid UTF-8 in an agent's answer is replaced, not refused: the write must not fail on its content.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool parse_journal_line(const std::string& line, journal_entry& out) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("id") || !j.contains("state")) return false;
  try {
    auto& r = out.record;
    auto& s = r.spec;
    out.is_new = j.at("new").get<bool>();
    s.id = j.at("id").get<std::string>();
    s.prompt = j.at("prompt").get<std::string>();
    s.brain = j.at("requested_brain").get<std::string>();
    s.trace_id = j.at("trace_id").get<std::string>();
    s.span_id = j.at("span_id").get<std::uint64_t>();
    s.parent_span = j.at("parent_span").get<std::uint64_t>();
    s.timeout_ms = j.at("timeout_ms").get<std::int64_t>();
    s.created_ms = j.at("created_ms").get<std::int64_t>();
    s.attachments.clear();
    for (const auto& a : j.at("attachments")) s.attachments.push_back({a.at(0).get<std::string>(), a.at(1).get<std::string>()});
    auto state = task_state_from_string(j.at("state").get<std::string>());
    auto error = errc_from_string(j.at("error").get<std::string>());
    if (!state || !error) return false;
    r.state = *state;
    r.error = *error;
    r.brain = j.at("brain").get<std::string>();
    r.text = j.at("text").get<std::string>();
    r.error_message = j.at("error_message").get<std::string>();
    r.exit_code = j.at("exit_code").get<int>();
    r.started_ms = j.at("started_ms").get<std::int64_t>();
    r.finished_ms = j.at("finished_ms").get<std::int64_t>();
    r.attempts = j.at("attempts").get<int>();
    r.route = j.value("route", std::string{});  // journals written before the decision moved into the task
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return true;
}

expected<std::unique_ptr<task_journal>> task_journal::open(const std::filesystem::path& file,
                                                           std::size_t capacity) {
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return os_error("opening the task journal " + file.string());
  }
  std::unique_ptr<task_journal> j{new task_journal(fd, capacity)};
  // What a previous run left: records up to the first zero byte. Read a block at a time, keeping only the
  // records: the file is the journal's whole capacity (16 MiB by default), and holding it all at start was that
  // much resident memory for nothing. The end of the last non-zero byte is noted for the clearing below.
  std::string records;
  bool records_end = false;
  std::size_t dirty_end = 0;
  std::vector<char> block(64 * 1024);
  for (std::size_t at = 0; at < capacity;) {
    auto n = ::pread(fd, block.data(), std::min(block.size(), capacity - at), static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return os_error("reading the task journal");
    }
    if (n == 0) break;
    const std::string_view chunk{block.data(), static_cast<std::size_t>(n)};
    if (!records_end) {
      const auto zero = chunk.find('\0');
      records.append(chunk.substr(0, zero));
      records_end = zero != std::string_view::npos;
    }
    if (auto last = chunk.find_last_not_of('\0'); last != std::string_view::npos) dirty_end = at + last + 1;
    at += static_cast<std::size_t>(n);
  }
  std::size_t pos = 0;
  while (pos < records.size()) {
    auto nl = records.find('\n', pos);
    if (nl == std::string::npos) break;  // a line cut by a crash: never acknowledged
    journal_entry e;
    if (!parse_journal_line(records.substr(pos, nl - pos), e)) break;
    j->entries_.push_back(std::move(e));
    pos = nl + 1;
  }
  j->used_ = pos;
  // Space reserved now is what a full disk cannot take away later. A filesystem without fallocate gets the
  // zeros written (posix_fallocate's fallback).
  if (int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(capacity)); rc != 0) {
    errno = rc;
    return os_error("reserving space for the task journal");
  }
  // Everything after the records is zeroed: a record cut by a crash, or what a clear() cut by a crash left
  // behind the zeros it had written, must never be read back as a record once new ones are written before it.
  if (!zero_range(fd, pos, std::max(pos, dirty_end)) || ::fdatasync(fd) != 0) {
    return os_error("clearing the task journal's unused space");
  }
  return j;
}

task_journal::~task_journal() {
  if (fd_ >= 0) ::close(fd_);
}

status task_journal::append(const std::vector<journal_entry>& entries) {
  std::string text;
  for (const auto& e : entries) {
    text += journal_line(e);
    text += '\n';
  }
  if (used_ + text.size() > capacity_)
    return {errc::store_failed, "the task journal is full (" + std::to_string(capacity_ / (1024 * 1024)) +
                                    " MiB of writes the database has not taken yet)"};
  if (!write_all_at(fd_, text.data(), text.size(), used_) || ::fdatasync(fd_) != 0) {
    auto err = os_error("writing the task journal");
    zero_range(fd_, used_, used_ + text.size());  // a partial record must not be read back as one
    return err;
  }
  used_ += text.size();
  return {};
}

status task_journal::clear() {
  if (used_ == 0) return {};
  if (!zero_range(fd_, 0, used_) || ::fdatasync(fd_) != 0) return os_error("clearing the task journal");
  used_ = 0;
  entries_.clear();
  return {};
}

}  // namespace paios
