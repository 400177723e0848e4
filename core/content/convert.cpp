#include "core/content/convert.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/content/external_converter.hpp"
#include "core/content/file_kind.hpp"
#include "core/content/text_cleanup.hpp"
#include "messages/text.hpp"
#include "messages/utf8.hpp"

namespace paios {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_title_bytes = 120;

// ---------------------------------------------------------------------------------------------- titles

// A title from a file name or a URL: its last path segment without the extension.
std::string title_from_name(std::string_view name) {
  std::string_view n = name;
  bool url = n.find("://") != std::string_view::npos;
  if (url) n = n.substr(0, n.find_first_of("?#"));
  while (!n.empty() && n.back() == '/') n.remove_suffix(1);
  auto slash = n.find_last_of('/');
  auto base = slash == std::string_view::npos ? n : n.substr(slash + 1);
  if (url && slash != std::string_view::npos && slash >= 1 && n[slash - 1] == '/') return std::string{base};  // the host
  auto dot = base.find_last_of('.');
  if (dot != std::string_view::npos && dot > 0) base = base.substr(0, dot);
  return base.empty() ? std::string{name} : std::string{base};
}

std::string first_line_title(std::string_view text) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = collapse_spaces(text.substr(0, nl));
    if (!line.empty()) return utf8_prefix(line, max_title_bytes);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return {};
}

// The first level-one heading outside code fences: "# Title" or a line underlined with "===".
std::string markdown_title(std::string_view text) {
  bool in_fence = false;
  std::string_view previous;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    auto body = trim_ascii(line);
    if (starts_with(body, "```") || starts_with(body, "~~~")) {
      in_fence = !in_fence;
      previous = {};
      continue;
    }
    if (in_fence) continue;
    std::size_t indent = line.find_first_not_of(' ');
    if (indent <= 3 && (body == "#" || starts_with(body, "# "))) {
      auto heading = trim_ascii(body.substr(1));
      while (!heading.empty() && heading.back() == '#') heading.remove_suffix(1);  // closing hashes
      auto title = collapse_spaces(heading);
      if (!title.empty()) return utf8_prefix(title, max_title_bytes);
    }
    if (!body.empty() && body.find_first_not_of('=') == std::string_view::npos && !trim_ascii(previous).empty())
      return utf8_prefix(collapse_spaces(previous), max_title_bytes);
    previous = line;
  }
  return {};
}

converted convert_text_kind(std::string_view bytes, const std::string& kind, std::string_view name) {
  converted c;
  c.kind = kind;
  if (kind == "html") {
    c.text = html_to_text(clean_text(bytes), &c.title);
  } else {
    c.text = clean_text(bytes);
    c.title = kind == "markdown" ? markdown_title(c.text) : first_line_title(c.text);
  }
  if (c.title.empty()) c.title = title_from_name(name);
  return c;
}

expected<converted> convert_with_tool(const std::string& kind, const std::string& file, const std::string& display,
                                      std::string_view name) {
  auto out = run_converter(kind, file, display);
  if (!out) return out.error();
  converted c;
  c.kind = kind;
  c.text = tidy_lines(clean_text(*out));
  c.title = first_line_title(c.text);
  if (c.title.empty()) c.title = title_from_name(name);
  return c;
}

// ---------------------------------------------------------------------------------------------- files

// Fails with bad_request when the file cannot be opened (no permission), internal on a read error.
expected<std::string> read_bytes(const fs::path& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return status{errc::bad_request, "cannot convert " + path.string() + ": cannot open it: " + std::strerror(errno)};
  std::string data(limit, '\0');
  in.read(data.data(), static_cast<std::streamsize>(limit));
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return status{errc::internal, "cannot convert " + path.string() + ": read error"};
  return data;
}

status unsupported(const std::string& display, std::string_view what) {
  return {errc::bad_request, "cannot convert " + display + ": its type is not supported (" + std::string{what} +
                                 "; text, Markdown, HTML, PDF and DOCX are)"};
}

status too_big(const std::string& display, std::size_t megabytes) {
  return {errc::bad_request, "cannot convert " + display + ": it is larger than " + std::to_string(megabytes) + " MB"};
}

}  // namespace

expected<converted> convert_file(const fs::path& path) {
  const std::string display = path.string();
  std::error_code ec;
  auto type = fs::status(path, ec);
  if (ec || !fs::exists(type)) return status{errc::not_found, "cannot convert " + display + ": no such file"};
  if (fs::is_directory(type)) return status{errc::bad_request, "cannot convert " + display + ": it is a directory"};
  if (!fs::is_regular_file(type)) return status{errc::bad_request, "cannot convert " + display + ": not a regular file"};
  auto size = fs::file_size(path, ec);
  if (ec) size = 0;
  auto head = read_bytes(path, sniff_bytes);
  if (!head) return head.error();

  std::string by_extension = kind_from_extension(path.extension().string());
  std::string kind;
  if (is_pdf(*head)) {
    kind = "pdf";
  } else if (is_zip(*head)) {
    // word/document.xml is named in the archive's directory, at its end: look at the whole file.
    if (by_extension != "docx") {
      if (size > max_text_bytes) return unsupported(display, "a zip archive");
      auto whole = read_bytes(path, max_text_bytes);
      if (!whole) return whole.error();
      if (!zip_holds_word_document(*whole)) return unsupported(display, "a zip archive that is not a .docx document");
    }
    kind = "docx";
  } else if (!by_extension.empty()) {
    kind = by_extension;
  } else if (looks_binary(*head)) {
    return unsupported(display, "binary content");
  } else {
    kind = looks_html(*head) ? "html" : "text";
  }

  if (kind == "pdf" || kind == "docx") return convert_with_tool(kind, path.string(), display, display);

  if (size > max_text_bytes) return too_big(display, max_text_bytes >> 20);
  auto bytes = read_bytes(path, max_text_bytes);
  if (!bytes) return bytes.error();
  return convert_text_kind(*bytes, kind, path.filename().string());
}

expected<converted> convert_content(std::string_view content, std::string_view kind_hint, std::string_view name) {
  const std::string display = name.empty() ? std::string{"the content"} : std::string{name};
  std::string kind;
  if (is_pdf(content)) {
    kind = "pdf";
  } else if (is_zip(content)) {
    if (!zip_holds_word_document(content)) return unsupported(display, "a zip archive that is not a .docx document");
    kind = "docx";
  } else {
    kind = kind_from_hint(kind_hint);
    if (kind.empty() && !name.empty()) kind = kind_from_extension(extension_of(name));
    if (kind.empty()) {
      if (looks_binary(content)) return unsupported(display, "binary content");
      kind = looks_html(content) ? "html" : "text";
    }
  }
  if (kind == "pdf" || kind == "docx") {
    if (content.size() > max_text_bytes * 4) return too_big(display, max_text_bytes >> 18);
    auto file = temp_file::create(content, "." + kind);
    if (!file) return status{file.code(), "cannot convert " + display + ": " + file.message()};
    return convert_with_tool(kind, file->path(), display, name);
  }
  if (content.size() > max_text_bytes) return too_big(display, max_text_bytes >> 20);
  return convert_text_kind(content, kind, name);
}

converted convert_content_or_empty(std::string_view content, std::string_view kind_hint, std::string_view name) {
  if (auto c = convert_content(content, kind_hint, name)) return std::move(*c);
  converted empty;
  empty.title = title_from_name(name);
  empty.kind = is_pdf(content) ? "pdf" : is_zip(content) ? "docx" : kind_from_hint(kind_hint);
  if (empty.kind.empty()) empty.kind = "text";
  return empty;
}

}  // namespace paios
