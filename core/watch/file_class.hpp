#pragma once
// file_class: what a file that arrived in a watched folder is, from its content (libmagic's MIME type) and then
// its name; the watchers' actions are chosen per class (config `watchers`).
//
//   image     image/*  (a screenshot when its name says so: "Screenshot", "Screen Shot", "Bildschirmfoto", ...)
//   document  PDF, DOCX, HTML, Markdown, plain text (txt, md, rst, or no extension)
//   media     audio/*, video/*
//   code      source files, by MIME type (text/x-c, text/x-python, ...) or by extension
//   archive   zip, tar, gzip, xz, bzip2, 7z, rar, zstd
//   other     anything else
// When libmagic has no answer (an empty file, unknown bytes), the name's extension decides alone.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "messages/error.hpp"

namespace paios {

enum class file_class { image, document, media, code, archive, other };

std::string_view file_class_name(file_class c);
std::optional<file_class> parse_file_class(std::string_view name);

struct classified_file {
  file_class cls = file_class::other;
  std::string mime;         // libmagic's answer ("image/png"); "" when it could not tell
  bool screenshot = false;  // an image whose name says it is a screen capture
};

// The class from a MIME type and a file name alone (no I/O): the rules above.
classified_file classify_by(std::string_view mime, const std::filesystem::path& name);

// Classifies files by content with libmagic, then by name. One libmagic handle: not thread-safe, use one per
// thread. When libmagic cannot start (internal) or cannot load its database (not_found), classify() goes by name
// alone and error() says why; it is ok otherwise.
class file_classifier {
 public:
  file_classifier();
  ~file_classifier();
  file_classifier(const file_classifier&) = delete;
  file_classifier& operator=(const file_classifier&) = delete;

  classified_file classify(const std::filesystem::path& file) const;
  const status& error() const { return error_; }

 private:
  struct magic_handle;
  std::unique_ptr<magic_handle> magic_;
  status error_;
};

}  // namespace paios
