#include "core/watch/file_class.hpp"

#include <algorithm>
#include <array>

#include "messages/text.hpp"

namespace paios {
namespace {

constexpr std::array<std::string_view, 9> kDocumentExt = {".txt", ".md", ".markdown", ".rst", ".html", ".htm", ".pdf", ".docx", ".text"};
constexpr std::array<std::string_view, 40> kCodeExt = {
    ".c",    ".h",     ".cc",  ".cpp",  ".cxx", ".hpp", ".hh",    ".py",   ".js",   ".mjs",
    ".cjs",  ".ts",    ".tsx", ".jsx",  ".go",  ".rs",  ".java",  ".kt",   ".swift", ".rb",
    ".php",  ".cs",    ".lua", ".sh",   ".bash", ".zsh", ".sql",  ".scala", ".m",   ".mm",
    ".pl",   ".r",     ".jl",  ".hs",   ".ex",  ".exs", ".clj",   ".dart", ".vue",  ".zig"};
constexpr std::array<std::string_view, 13> kArchiveMime = {
    "application/zip",          "application/x-tar",      "application/gzip",        "application/x-gzip",
    "application/x-xz",         "application/x-bzip2",    "application/x-7z-compressed", "application/x-rar",
    "application/vnd.rar",      "application/zstd",       "application/x-zstd",      "application/x-lzip",
    "application/x-compress"};
constexpr std::array<std::string_view, 8> kArchiveExt = {".zip", ".tar", ".gz", ".tgz", ".xz", ".bz2", ".7z", ".zst"};
constexpr std::array<std::string_view, 4> kScreenshotWords = {"screenshot", "screen shot", "bildschirmfoto", "capture"};
constexpr std::array<std::string_view, 6> kImageExt = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic"};
constexpr std::array<std::string_view, 9> kMediaExt = {".mp3", ".wav", ".m4a", ".flac", ".ogg", ".mp4", ".mov", ".mkv", ".webm"};

}  // namespace

std::string_view file_class_name(file_class c) {
  switch (c) {
    case file_class::image: return "image";
    case file_class::document: return "document";
    case file_class::media: return "media";
    case file_class::code: return "code";
    case file_class::archive: return "archive";
    case file_class::other: return "other";
  }
  return "other";
}

std::optional<file_class> parse_file_class(std::string_view name) {
  for (auto c : {file_class::image, file_class::document, file_class::media, file_class::code, file_class::archive,
                 file_class::other})
    if (file_class_name(c) == name) return c;
  return std::nullopt;
}

classified_file classify_by(std::string_view mime_in, const std::filesystem::path& name) {
  classified_file out;
  out.mime = std::string{mime_in};
  const auto mime = lower_ascii(mime_in);
  const auto ext = lower_ascii(name.extension().string());
  const auto base = lower_ascii(name.filename().string());
  auto is = [&](file_class c) {
    out.cls = c;
    return out;
  };
  if (mime.rfind("image/", 0) == 0 || (mime.empty() && is_one_of(ext, kImageExt))) {
    out.screenshot = std::any_of(kScreenshotWords.begin(), kScreenshotWords.end(),
                                 [&](std::string_view w) { return base.find(w) != std::string::npos; });
    return is(file_class::image);
  }
  if (mime.rfind("audio/", 0) == 0 || mime.rfind("video/", 0) == 0 || (mime.empty() && is_one_of(ext, kMediaExt)))
    return is(file_class::media);
  if (mime == "application/pdf" || mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document" ||
      mime == "text/html" || mime == "text/markdown")
    return is(file_class::document);
  if (is_one_of(mime, kArchiveMime) || (mime.empty() && is_one_of(ext, kArchiveExt))) return is(file_class::archive);
  // Text: the name decides between code and a document, then libmagic's guess of a language.
  const bool text = mime.rfind("text/", 0) == 0 || mime == "application/json" || mime == "application/javascript";
  if (is_one_of(ext, kCodeExt) && (text || mime.empty())) return is(file_class::code);
  if (is_one_of(ext, kDocumentExt) && (text || mime.empty())) return is(file_class::document);
  if (mime.rfind("text/x-", 0) == 0 && mime != "text/x-log") return is(file_class::code);  // text/x-c, text/x-python ...
  if (mime == "text/plain" && ext.empty()) return is(file_class::document);
  return is(file_class::other);
}

}  // namespace paios
