#pragma once
// The outside programs that read PDF and DOCX: pdftotext (poppler-utils) and pandoc, run as child processes
// (argv, never a shell; 60 s at most; their output bounded by max_text_bytes).
#include <string>
#include <string_view>
#include <utility>

#include "messages/error.hpp"

namespace paios {

// Runs the converter for `kind` ("pdf" or "docx") on `file`, waiting for it: its stdout, or a failure whose
// message names `display` ("cannot convert X: ..."). Fails with brain_unavailable when the converter is not
// installed (the message names the program and its Debian package) or cannot be started, timeout when it takes
// longer than 60 s, cancelled when it was cancelled, bad_request when it rejects the file (a non-zero exit) or
// its text exceeds max_text_bytes, internal when it is killed by a signal.
expected<std::string> run_converter(const std::string& kind, const std::string& file, const std::string& display);

// A private file holding `content` for a converter that reads files; removed when this goes.
class temp_file {
 public:
  // A new file in TMPDIR (else /tmp) named with `suffix`; fails with internal ("cannot create a temporary
  // file: ..." or "cannot write a temporary file: ...").
  static expected<temp_file> create(std::string_view content, const std::string& suffix);
  ~temp_file();
  temp_file(temp_file&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  temp_file& operator=(temp_file&&) = delete;
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit temp_file(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace paios
