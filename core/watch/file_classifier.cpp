// file_classifier: libmagic's side of file_class.hpp (apart, so that the class names and rules link without it).
#include <magic.h>

#include "core/watch/file_class.hpp"

namespace paios {

struct file_classifier::magic_handle {
  magic_t cookie = nullptr;
  ~magic_handle() {
    if (cookie) magic_close(cookie);
  }
};

file_classifier::file_classifier() : magic_(std::make_unique<magic_handle>()) {
  magic_->cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_SYMLINK | MAGIC_ERROR);
  if (!magic_->cookie) {
    error_ = {errc::internal, "libmagic could not start"};
  } else if (magic_load(magic_->cookie, nullptr) != 0) {
    const char* why = magic_error(magic_->cookie);
    error_ = {errc::not_found,
              std::string{"libmagic could not load its database (apt-get install libmagic-mgc): "} + (why ? why : "")};
    magic_close(magic_->cookie);
    magic_->cookie = nullptr;
  }
}

file_classifier::~file_classifier() = default;

classified_file file_classifier::classify(const std::filesystem::path& file) const {
  std::string mime;
  if (magic_->cookie) {
    const char* m = magic_file(magic_->cookie, file.c_str());
    if (m) mime = m;
  }
  if (mime == "application/octet-stream" || mime == "inode/x-empty") mime.clear();  // no answer: the name decides
  return classify_by(mime, file.filename());
}

}  // namespace paios
