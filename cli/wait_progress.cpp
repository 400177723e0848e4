#include "cli/wait_progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "cli/render.hpp"

namespace paios::cli {
namespace {
constexpr const char* kEraseLine = "\r\x1b[K";  // to the line's start, then erase to its end
}  // namespace

wait_progress::wait_progress(bool json_out) : enabled_(!json_out && isatty(STDERR_FILENO)) {}

void wait_progress::show(const std::string& text) {
  if (!enabled_) return;
  const auto width = terminal_width(STDERR_FILENO);
  // One column spare: a line that fills the terminal moves the cursor to the next one on some terminals.
  const auto line = kEraseLine + (width > 1 ? fit(text, width - 1) : text);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  shown_ = true;
}

void wait_progress::clear() {
  if (!shown_) return;
  std::fputs(kEraseLine, stderr);
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace paios::cli
