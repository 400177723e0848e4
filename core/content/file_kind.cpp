#include "core/content/file_kind.hpp"

#include <algorithm>

#include "core/content/text_cleanup.hpp"
#include "messages/text.hpp"

namespace paios {

std::string extension_of(std::string_view name) {
  auto cut = name.find_first_of("?#");
  if (name.find("://") != std::string_view::npos && cut != std::string_view::npos) name = name.substr(0, cut);
  auto slash = name.find_last_of('/');
  auto base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  auto dot = base.find_last_of('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return lower_ascii(base.substr(dot + 1));
}

std::string kind_from_extension(std::string_view ext) {
  if (!ext.empty() && ext.front() == '.') ext.remove_prefix(1);
  auto e = lower_ascii(ext);
  if (is_one_of(e, {"txt", "text", "log"})) return "text";
  if (is_one_of(e, {"md", "markdown", "mdown", "mkd"})) return "markdown";
  if (is_one_of(e, {"html", "htm", "xhtml"})) return "html";
  if (e == "pdf") return "pdf";
  if (e == "docx") return "docx";
  return {};
}

std::string kind_from_mime(std::string_view mime) {
  auto type = lower_ascii(trim_ascii(mime.substr(0, mime.find(';'))));
  if (type == "text/html" || type == "application/xhtml+xml") return "html";
  if (type == "text/markdown" || type == "text/x-markdown") return "markdown";
  if (type == "application/pdf" || type == "application/x-pdf") return "pdf";
  if (type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document") return "docx";
  if (starts_with(type, "text/") || type == "application/json" || type == "application/xml") return "text";
  return {};  // application/octet-stream and the like say nothing: sniff
}

std::string kind_from_hint(std::string_view hint) {
  hint = trim_ascii(hint);
  return hint.find('/') != std::string_view::npos ? kind_from_mime(hint) : kind_from_extension(hint);
}

bool is_pdf(std::string_view head) { return head.substr(0, 1024).find("%PDF-") != std::string_view::npos; }
bool is_zip(std::string_view head) { return starts_with(head, std::string_view{"PK\x03\x04", 4}); }
bool zip_holds_word_document(std::string_view zip) { return zip.find("word/document.xml") != std::string_view::npos; }

bool looks_binary(std::string_view head) {
  if (is_utf16_bom(head)) return false;
  return head.substr(0, sniff_bytes).find('\0') != std::string_view::npos;
}

bool looks_html(std::string_view head) {
  head = head.substr(0, sniff_bytes);
  if (starts_with(head, "\xEF\xBB\xBF")) head.remove_prefix(3);
  head = trim_ascii(head);
  if (starts_with(head, "<?xml")) head = trim_ascii(head.substr(std::min(head.find('>') + 1, head.size())));
  auto start = lower_ascii(head.substr(0, 16));
  return starts_with(start, "<!doctype html") || starts_with(start, "<html");
}

}  // namespace paios
