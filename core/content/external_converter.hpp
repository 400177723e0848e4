#pragma once
// The outside programs that read PDF and DOCX: pdftotext (poppler-utils) and pandoc, run as child processes
// (argv, never a shell; 60 s at most; their output bounded by max_text_bytes).
#include <optional>
#include <string>
#include <string_view>

namespace paios {

// Runs the converter for `kind` ("pdf" or "docx") on `file`, waiting for it: its stdout, or nullopt with
// `error` set to a sentence naming `display` ("cannot convert X: ..."). A converter that is not installed is
// an error naming the program and its Debian package.
std::optional<std::string> run_converter(const std::string& kind, const std::string& file,
                                         const std::string& display, std::string& error);

// A private file holding `content` for a converter that reads files; removed when this goes.
class temp_file {
 public:
  // On failure `error` is set.
  temp_file(std::string_view content, const std::string& suffix, std::string& error);
  ~temp_file();
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace paios
