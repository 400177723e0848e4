#include "core/content/external_converter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "core/content/convert.hpp"
#include "core/content/text_cleanup.hpp"
#include "core/process/process_runner.hpp"

namespace paios {
namespace {

using namespace std::chrono_literals;

constexpr auto converter_timeout = 60s;

struct converter {
  const char* program;
  const char* package;
};

const converter pdf_converter{"pdftotext", "poppler-utils"};
const converter docx_converter{"pandoc", "pandoc"};

std::vector<std::string> converter_argv(const std::string& kind, std::string file) {
  if (!file.empty() && file.front() == '-') file = "./" + file;  // never read as an option
  if (kind == "pdf") return {pdf_converter.program, "-layout", "-enc", "UTF-8", file, "-"};
  return {docx_converter.program, "-f", "docx", "-t", "plain", "--wrap=none", file};
}

// The end of a converter's stderr, on one line, for an error message.
std::string stderr_summary(std::string_view tail) {
  auto text = collapse_spaces(clean_text(tail));
  if (text.size() > 400) text = "..." + text.substr(text.size() - 400);
  return text;
}

}  // namespace

expected<std::string> run_converter(const std::string& kind, const std::string& file, const std::string& display) {
  const converter& tool = kind == "pdf" ? pdf_converter : docx_converter;
  auto fail = [&](errc code, const std::string& why) { return status{code, "cannot convert " + display + ": " + why}; };
  if (!resolve_program(tool.program))
    return fail(errc::brain_unavailable,
                std::string{tool.program} + " is not installed (apt-get install " + tool.package + ")");

  // The runner calls back on its own thread; this is what the two threads share.
  struct shared {
    std::mutex m;
    std::condition_variable cv;
    std::string out;
    bool too_big = false, done = false;
    process_exit exit;
  };
  auto state = std::make_shared<shared>();
  process_spec spec;
  spec.argv = converter_argv(kind, file);
  spec.timeout = converter_timeout;
  spec.stderr_limit = 4096;
  auto runner = process_runner::start(
      std::move(spec),
      [state](std::string_view chunk) {
        std::lock_guard<std::mutex> lock(state->m);
        if (state->too_big) return;
        if (state->out.size() + chunk.size() > max_text_bytes) {
          state->too_big = true;
          state->cv.notify_all();
          return;
        }
        state->out.append(chunk);
      },
      [state](process_exit x) {
        std::lock_guard<std::mutex> lock(state->m);
        state->exit = std::move(x);
        state->done = true;
        state->cv.notify_all();
      });
  {
    std::unique_lock<std::mutex> lock(state->m);
    state->cv.wait(lock, [&] { return state->done || state->too_big; });
    if (!state->done) {
      lock.unlock();
      runner->cancel();
      lock.lock();
      state->cv.wait(lock, [&] { return state->done; });
    }
  }
  runner.reset();  // joins the runner's thread: nothing touches `state` any more

  const auto& x = state->exit;
  std::string program = tool.program;
  if (state->too_big)
    return fail(errc::bad_request, program + " produced more than " + std::to_string(max_text_bytes >> 20) + " MB of text");
  switch (x.what) {
    case process_exit::how::spawn_failed:
      return fail(errc::brain_unavailable, "cannot run " + program + ": " + x.error.message());
    case process_exit::how::timed_out:
      return fail(errc::timeout, program + " took longer than " + std::to_string(converter_timeout.count()) + " s");
    case process_exit::how::cancelled: return fail(errc::cancelled, program + " was cancelled");
    case process_exit::how::signaled:
      return fail(errc::internal, program + " was killed by signal " + std::to_string(x.signal) + ": " +
                                      stderr_summary(x.stderr_tail));
    case process_exit::how::exited: break;
  }
  if (x.code != 0) {
    auto tail = stderr_summary(x.stderr_tail);
    return fail(errc::bad_request,
                program + " failed (exit code " + std::to_string(x.code) + ")" + (tail.empty() ? "" : ": " + tail));
  }
  return std::move(state->out);
}

expected<temp_file> temp_file::create(std::string_view content, const std::string& suffix) {
  const char* dir = std::getenv("TMPDIR");
  std::string templ = std::string{dir && *dir ? dir : "/tmp"} + "/paios-kb-XXXXXX" + suffix;
  int fd = mkstemps(templ.data(), static_cast<int>(suffix.size()));
  if (fd < 0) return status{errc::internal, std::string{"cannot create a temporary file: "} + std::strerror(errno)};
  for (std::size_t written = 0; written < content.size();) {
    auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status failed{errc::internal, std::string{"cannot write a temporary file: "} + std::strerror(errno)};
      ::close(fd);
      ::unlink(templ.c_str());
      return failed;
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return temp_file{std::move(templ)};
}

temp_file::~temp_file() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace paios
