#include "core/http/http_client.hpp"
#include "messages/text.hpp"

#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <type_traits>

namespace paios {
namespace {

constexpr std::int64_t kMaxConnectMs = 10000;

// libcurl is loaded on the first request, not linked: linked, it brings some thirty libraries (TLS, Kerberos,
// LDAP, SSH ...) that the dynamic loader maps and relocates at every start of `ai`, which costs each command,
// `ai hook` included, several milliseconds though almost none of them fetch anything. The header still gives
// the types and constants; decltype names each function's type without referring to the symbol.
struct curl_api {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  decltype(&curl_getdate) getdate = nullptr;
  std::string error;  // why libcurl cannot be used; empty when every function was found
};

// The process's one libcurl, loaded and globally initialized once (thread-safe); never unloaded.
const curl_api& curl() {
  static const curl_api api = [] {
    curl_api a;
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* why = dlerror();
      a.error = std::string{"libcurl is not installed (apt-get install libcurl4): "} + (why ? why : "dlopen failed");
      return a;
    }
    bool all = true;
    auto find = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      if (!fn) {
        all = false;
        if (a.error.empty()) a.error = std::string{"libcurl.so.4 has no "} + name + ": it is too old";
      }
    };
    find(a.global_init, "curl_global_init");
    find(a.easy_init, "curl_easy_init");
    find(a.easy_setopt, "curl_easy_setopt");
    find(a.easy_perform, "curl_easy_perform");
    find(a.easy_getinfo, "curl_easy_getinfo");
    find(a.easy_cleanup, "curl_easy_cleanup");
    find(a.easy_strerror, "curl_easy_strerror");
    find(a.slist_append, "curl_slist_append");
    find(a.slist_free_all, "curl_slist_free_all");
    find(a.getdate, "curl_getdate");
    if (all && a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) a.error = "libcurl could not initialize";
    return a;
  }();
  return api;
}


std::string size_words(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MB";
  return std::to_string(bytes) + " bytes";
}

struct transfer {
  std::size_t max_body = 0;
  bool too_large = false;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  const auto bytes = size * n;
  if (t->body.size() + bytes > t->max_body) {
    t->too_large = true;
    return 0;  // libcurl stops with CURLE_WRITE_ERROR
  }
  t->body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  const auto bytes = size * n;
  std::string_view line{data, bytes};
  // Each response of a redirect chain (and a 100 Continue) starts with its status line: keep the last's headers.
  if (line.rfind("HTTP/", 0) == 0) {
    t->headers.clear();
    return bytes;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos && colon > 0)
    t->headers.emplace_back(lower_ascii(trim_ascii(line.substr(0, colon))), std::string{trim_ascii(line.substr(colon + 1))});
  return bytes;
}

bool is_transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

struct easy_deleter {
  void operator()(CURL* c) const { curl().easy_cleanup(c); }
};
struct slist_deleter {
  void operator()(curl_slist* l) const { curl().slist_free_all(l); }
};

}  // namespace

std::string http_response_data::header(std::string_view name) const {
  const auto key = lower_ascii(name);
  for (const auto& [k, v] : headers)
    if (k == key) return v;
  return {};
}

std::string redact_url(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string{url};
  const auto start = scheme + 3;
  const auto end = std::min(url.find_first_of("/?#", start), url.size());
  const auto at = url.substr(start, end - start).rfind('@');
  if (at == std::string_view::npos) return std::string{url};
  return std::string{url.substr(0, start)} + std::string{url.substr(start + at + 1)};
}

std::int64_t retry_after_ms(std::string_view value) {
  value = trim_ascii(value);
  if (value.empty()) return -1;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return std::int64_t{999999999} * 1000;
    return std::stoll(std::string{value}) * 1000;
  }
  const auto& api = curl();
  if (!api.error.empty()) return -1;
  const std::string date{value};
  const auto at = api.getdate(date.c_str(), nullptr);
  if (at < 0) return -1;
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  return std::max<std::int64_t>(0, (static_cast<std::int64_t>(at) - now) * 1000);
}

http_response_data http_send(const http_request& request) {
  http_response_data out;
  const bool post = request.method == "POST";
  const std::string shown = (post ? "POST " : "GET ") + redact_url(request.url);
  auto fail = [&](errc code, std::string what, bool transient = false) {
    out.error = status{code, shown + ": " + std::move(what)};
    out.transient = transient;
    return out;
  };
  if (request.method != "GET" && !post) return fail(errc::bad_request, "unsupported method " + request.method);
  const auto scheme = lower_ascii(request.url.substr(0, request.url.find("://")));
  if (request.url.find("://") == std::string::npos || (scheme != "http" && scheme != "https"))
    return fail(errc::bad_request, "only http:// and https:// URLs can be fetched");

  const auto& api = curl();
  if (!api.error.empty()) return fail(errc::brain_unavailable, api.error);
  std::unique_ptr<CURL, easy_deleter> easy{api.easy_init()};
  if (!easy) return fail(errc::brain_unavailable, "libcurl could not start a transfer");
  CURL* h = easy.get();
  transfer t;
  t.max_body = request.max_body_bytes;
  char errbuf[CURL_ERROR_SIZE] = {0};

  std::unique_ptr<curl_slist, slist_deleter> headers;
  auto add_header = [&](const std::string& line) {
    auto* next = api.slist_append(headers.get(), line.c_str());
    if (next) {
      headers.release();
      headers.reset(next);
    }
  };
  for (const auto& line : request.headers) add_header(line);
  if (post) add_header("Expect:");  // no 100-continue round trip before a large body

  api.easy_setopt(h, CURLOPT_URL, request.url.c_str());
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  api.easy_setopt(h, CURLOPT_USERAGENT, "paios");
  api.easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // whatever this libcurl can decode
  api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  const auto timeout = std::max<std::int64_t>(1, request.timeout_ms);
  api.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout));
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(timeout, kMaxConnectMs)));
  api.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_body_bytes));
  api.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  api.easy_setopt(h, CURLOPT_WRITEDATA, &t);
  api.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  api.easy_setopt(h, CURLOPT_HEADERDATA, &t);
  if (headers) api.easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (post) {
    api.easy_setopt(h, CURLOPT_POST, 1L);
    api.easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    api.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.max_redirects > 0) {
    api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    api.easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(request.max_redirects));
  }

  const CURLcode code = api.easy_perform(h);
  char* effective = nullptr;
  if (api.easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
    out.effective_url = effective;
  if (code != CURLE_OK) {
    const std::string detail = errbuf[0] ? std::string{errbuf} : std::string{api.easy_strerror(code)};
    if (t.too_large || code == CURLE_FILESIZE_EXCEEDED)
      return fail(errc::too_large, "the response is larger than " + size_words(request.max_body_bytes));
    if (code == CURLE_OPERATION_TIMEDOUT)
      return fail(errc::timeout, "timed out after " + std::to_string(timeout) + " ms (" + detail + ")", true);
    if (code == CURLE_TOO_MANY_REDIRECTS)
      return fail(errc::bad_request, "more than " + std::to_string(request.max_redirects) + " redirects");
    if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST)
      return fail(errc::brain_unavailable, "cannot connect: " + detail, true);
    if (code == CURLE_UNSUPPORTED_PROTOCOL)
      return fail(errc::bad_request, "redirected to a URL that is not http(s): " + detail);
    return fail(errc::brain_unavailable, detail, is_transient(code));
  }
  api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  out.body = std::move(t.body);
  out.headers = std::move(t.headers);
  if (out.effective_url.empty()) out.effective_url = request.url;
  return out;
}

}  // namespace paios
