#pragma once
// convert: a file, or content fetched from elsewhere, becomes plain readable UTF-8 text with a title, ready
// for chunking and for a prompt. Plain text and Markdown are kept as they are; HTML is reduced to its
// visible text by a small hand-written reader; PDF and DOCX go through pdftotext (poppler-utils) and pandoc,
// run as child processes (argv, never a shell; 60 s at most; output bounded).
//
// Promises:
//   - the text is valid UTF-8: bytes that are not become U+FFFD, a leading BOM is dropped, CRLF and lone CR
//     become LF, control characters other than tab and newline are dropped (a form feed becomes a newline);
//   - nothing throws; a failure is a failed expected whose message names the file and what to do about it;
//   - the HTML reader never crashes or loops, whatever the input (unclosed tags, stray '<', quotes).
//
// This header is the public face; the pieces live beside it: text_cleanup, html_entities, html_reader,
// file_kind (which converter) and external_converter (pdftotext, pandoc).
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "messages/error.hpp"

namespace paios {

// Text bigger than this is not a document a knowledge base should hold in one piece: a larger file, or a
// converter's larger output, is an error.
constexpr std::size_t max_text_bytes = 64u << 20;

struct converted {
  std::string text;
  std::string title;
  std::string kind;  // "text", "markdown", "html", "pdf" or "docx"
};

// Picks the converter by the content's magic ("%PDF-"; a zip holding word/document.xml), then by the
// extension (.txt .text .log .md .markdown .html .htm .pdf .docx), then by sniffing ("<!doctype html",
// "<html"). Anything else that is text (no NUL bytes) is "text"; binary content is an error saying that the
// file's type is not supported. A missing converter is an error naming the program and its Debian package.
// Fails with not_found (no such file), bad_request (a directory or other non-regular file, a file that cannot be
// opened, a type that is not supported, more than max_text_bytes, content its converter rejects),
// brain_unavailable (the converter is not installed or cannot run), timeout (the converter took longer than
// 60 s) or internal (a read error, a converter killed by a signal).
expected<converted> convert_file(const std::filesystem::path& path);

// For content read from stdin or fetched from a URL. `kind_hint` is a MIME type ("text/html; charset=utf-8")
// or an extension ("md", ".pdf"); when empty, the extension of `name` is used, else the content is sniffed.
// Magic bytes (PDF, DOCX) win over a hint, since servers mislabel. `name` (a file name or a URL) gives the
// title when the content has none. PDF and DOCX content goes through a private temporary file. Fails with the
// codes of convert_file (but for not_found); internal also when the temporary file cannot be written.
expected<converted> convert_content(std::string_view content, std::string_view kind_hint, std::string_view name);
// The same, for callers that have nowhere to report a failure: content that cannot be converted (binary,
// or a PDF/DOCX whose converter failed) gives an empty text, with the kind it was taken for.
converted convert_content_or_empty(std::string_view content, std::string_view kind_hint, std::string_view name);

// The pieces, for callers that already know what they hold.
// Visible text of an HTML document; `title` (if given) receives <title>, else the first <h1>, else "".
std::string html_to_text(std::string_view html, std::string* title = nullptr);
// Valid UTF-8 as promised above (BOM, line ends, invalid bytes, control characters).
std::string clean_text(std::string_view bytes);

}  // namespace paios
