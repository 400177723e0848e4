#pragma once
// One line on stderr that says what a long wait is waiting for ("step 2 of 3: summarize (task) · 4.2 s"),
// rewritten in place as the wait goes on and erased when it ends. Only for a person: it is shown when stderr is a
// terminal and the output is not --json; otherwise every call does nothing, so scripts and pipes never see it.
#include <string>

namespace paios::cli {

class wait_progress {
 public:
  explicit wait_progress(bool json_out);
  ~wait_progress() { clear(); }
  wait_progress(const wait_progress&) = delete;
  wait_progress& operator=(const wait_progress&) = delete;

  // Shows `text` in place of the line shown before, cut to the terminal's width (a wrapped line could not be
  // rewritten).
  void show(const std::string& text);
  // Erases the line, so that what is printed next starts on a clean one.
  void clear();
  bool enabled() const { return enabled_; }

 private:
  bool enabled_ = false;
  bool shown_ = false;
};

}  // namespace paios::cli
