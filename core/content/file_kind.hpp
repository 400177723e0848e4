#pragma once
// What a file or fetched content is: "text", "markdown", "html", "pdf" or "docx" ("" when a name or a hint
// says nothing), from its magic bytes, its extension, a MIME type or a sniff of its start.
#include <cstddef>
#include <string>
#include <string_view>

namespace paios {

// How much of the start of a file the sniffing functions look at.
constexpr std::size_t sniff_bytes = 8192;

// The lower-case extension of a file name or a URL's path (its query and fragment ignored), without the dot.
std::string extension_of(std::string_view name);
std::string kind_from_extension(std::string_view ext);  // "md" or ".md"
std::string kind_from_mime(std::string_view mime);      // parameters ("; charset=utf-8") ignored
// A MIME type when it holds '/', else an extension.
std::string kind_from_hint(std::string_view hint);

bool is_pdf(std::string_view head);
bool is_zip(std::string_view head);
// Whether a zip archive is a .docx document; its directory is at its end, so this needs the whole file.
bool zip_holds_word_document(std::string_view zip);
// NUL bytes in the first sniff_bytes (UTF-16 text with a byte order mark is not binary).
bool looks_binary(std::string_view head);
// "<!doctype html" or "<html" at the start, after a BOM, white space and an XML declaration.
bool looks_html(std::string_view head);

}  // namespace paios
