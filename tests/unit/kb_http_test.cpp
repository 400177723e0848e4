// The knowledge base's HTTP: the libcurl client (redirects, size and time limits, errors naming the URL), the
// http_embedder against a real loopback server speaking the OpenAI embeddings API (batching, normalization,
// retries after 5xx and 429 with Retry-After, timeouts, 4xx failing at once with the provider's message,
// vectors of the wrong size refused, the API key sent and never shown), and the embedding cache (hits send
// nothing, it survives reopening, it stays within its bound).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "core/http/http_client.hpp"
#include "core/kb/embed_cache.hpp"
#include "core/kb/http_embedder.hpp"
#include "tests/support/fake_http.hpp"
#include "tests/support/test_support.hpp"

using namespace paios;
using paios::test::fake_embeddings;
using paios::test::loopback_server;

namespace {

constexpr std::size_t kDims = 16;

http_embedder_options options_for(const fake_embeddings& fake) {
  http_embedder_options o;
  o.url = fake.base_url();
  o.model = "fake-embed";
  o.dimensions = kDims;
  o.backoff_ms = 20;  // the tests' waits stay short; the schedule is the same
  o.timeout_ms = 5000;
  return o;
}

std::vector<std::string> numbered_texts(std::size_t n, const std::string& stem = "passage") {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(stem + " number " + std::to_string(i) + " about topic" + std::to_string(i % 7));
  return out;
}

std::vector<std::string_view> views(const std::vector<std::string>& texts) { return {texts.begin(), texts.end()}; }

std::vector<float> normalized(std::vector<float> v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

double norm_of(const std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  return std::sqrt(n);
}

void expect_same(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << "at " << i;
}

std::int64_t ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
}

// A port nothing listens on: bound, then released.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("closed_port: cannot bind");
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

// ---- http_client ------------------------------------------------------------------------------------------------

TEST(KbHttp, ClientFollowsRedirectsAndReportsTheFinalUrlAndContentType) {
  loopback_server s;
  s.server.Get("/a", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/b"); });
  s.server.Get("/b", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/page.html", 301); });
  s.server.Get("/page.html", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><title>T</title></html>", "text/html; charset=utf-8");
  });
  s.server.Get(R"(/loop(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    res.set_redirect("/loop" + std::to_string(std::stoi(req.matches[1]) + 1));
  });
  s.start();
  http_request req;
  req.url = s.url("/a");
  req.max_redirects = 5;
  auto r = http_send(req);
  ASSERT_TRUE(r.responded()) << r.error.message();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.effective_url, s.url("/page.html"));
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "<html><title>T</title></html>");

  // Without following, the redirect is the answer.
  req.max_redirects = 0;
  r = http_send(req);
  ASSERT_TRUE(r.responded()) << r.error.message();
  EXPECT_EQ(r.status, 302);

  req.url = s.url("/loop0");
  req.max_redirects = 5;
  r = http_send(req);
  EXPECT_FALSE(r.responded());
  EXPECT_NE(r.error.message().find("GET " + s.url("/loop0")), std::string::npos) << r.error.message();
  EXPECT_NE(r.error.message().find("more than 5 redirects"), std::string::npos) << r.error.message();
  EXPECT_EQ(r.error.code(), errc::bad_request);
}

TEST(KbHttp, ClientBoundsSizeAndTimeAndNamesTheUrl) {
  loopback_server s;
  s.server.Get("/big", [](const httplib::Request&, httplib::Response& res) { res.set_content(std::string(4096, 'x'), "text/plain"); });
  s.server.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    res.set_content("late", "text/plain");
  });
  s.start();
  http_request req;
  req.url = s.url("/big");
  req.max_body_bytes = 1000;
  auto r = http_send(req);
  EXPECT_FALSE(r.responded());
  EXPECT_NE(r.error.message().find("larger than 1000 bytes"), std::string::npos) << r.error.message();
  EXPECT_EQ(r.error.code(), errc::too_large);
  EXPECT_FALSE(r.transient);

  req.url = s.url("/slow");
  req.timeout_ms = 200;
  const auto t0 = std::chrono::steady_clock::now();
  r = http_send(req);
  EXPECT_LT(ms_since(t0), 900);
  EXPECT_FALSE(r.responded());
  EXPECT_EQ(r.error.code(), errc::timeout);
  EXPECT_TRUE(r.transient);
  EXPECT_NE(r.error.message().find("GET " + s.url("/slow") + ": timed out after 200 ms"), std::string::npos) << r.error.message();

  req.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  r = http_send(req);
  EXPECT_FALSE(r.responded());
  EXPECT_TRUE(r.transient);
  EXPECT_NE(r.error.message().find("cannot connect"), std::string::npos) << r.error.message();
  EXPECT_EQ(r.error.code(), errc::brain_unavailable);

  req.url = "ftp://127.0.0.1/file";
  r = http_send(req);
  EXPECT_FALSE(r.responded());
  EXPECT_NE(r.error.message().find("only http:// and https://"), std::string::npos) << r.error.message();
}

TEST(KbHttp, UrlsLoseTheirPasswordInMessages) {
  EXPECT_EQ(redact_url("https://user:secret@example.org/v1?q=1"), "https://example.org/v1?q=1");
  EXPECT_EQ(redact_url("http://example.org/a@b"), "http://example.org/a@b");
  EXPECT_EQ(redact_url("not a url"), "not a url");
  http_request req;
  req.url = "http://user:secret@127.0.0.1:" + std::to_string(closed_port()) + "/";
  auto r = http_send(req);
  EXPECT_FALSE(r.responded());
  EXPECT_EQ(r.error.message().find("secret"), std::string::npos) << r.error.message();
}

TEST(KbHttp, RetryAfterIsSecondsOrADate) {
  EXPECT_EQ(retry_after_ms("2"), 2000);
  EXPECT_EQ(retry_after_ms(" 0 "), 0);
  EXPECT_EQ(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), 0) << "a date in the past: no wait";
  EXPECT_EQ(retry_after_ms("soon"), -1);
  EXPECT_EQ(retry_after_ms(""), -1);
}

// ---- http_embedder ----------------------------------------------------------------------------------------------

TEST(KbHttp, BatchesTextsAndKeepsTheirOrder) {
  fake_embeddings fake{kDims};
  auto o = options_for(fake);
  o.batch = 64;
  http_embedder e{o};
  EXPECT_EQ(e.model(), "http:fake-embed/16");
  EXPECT_EQ(e.endpoint(), fake.base_url() + "/embeddings");
  auto texts = numbered_texts(150);
  auto out = e.embed(views(texts));
  ASSERT_TRUE(out) << out.message();
  EXPECT_EQ(fake.requests(), 3);
  EXPECT_EQ(fake.batch_sizes(), (std::vector<std::size_t>{64, 64, 22}));
  ASSERT_EQ(out->size(), 150u);
  // The provider answers in reverse order with indices: each vector is its own text's.
  for (std::size_t i = 0; i < texts.size(); ++i) expect_same((*out)[i], normalized(fake_embeddings::raw_vector(texts[i], kDims)));
}

TEST(KbHttp, VectorsAreNormalized) {
  fake_embeddings fake{kDims};
  http_embedder e{options_for(fake)};
  std::vector<std::string> texts{"alpha beta", "gamma gamma gamma delta", "x"};
  ASSERT_GT(norm_of(fake_embeddings::raw_vector(texts[1], kDims)), 2.0) << "the provider's vectors are not unit length";
  auto out = e.embed(views(texts));
  ASSERT_TRUE(out) << out.message();
  for (auto& v : *out) EXPECT_NEAR(norm_of(v), 1.0, 1e-5);
}

TEST(KbHttp, EqualTextsInOneCallAreSentOnce) {
  fake_embeddings fake{kDims};
  http_embedder e{options_for(fake)};
  std::vector<std::string> texts{"same words", "other words", "same words"};
  auto out = e.embed(views(texts));
  ASSERT_TRUE(out) << out.message();
  EXPECT_EQ(fake.texts_sent(), 2u);
  ASSERT_EQ(out->size(), 3u);
  expect_same((*out)[0], (*out)[2]);
}

TEST(KbHttp, RetriesAfterA500) {
  fake_embeddings fake{kDims};
  fake.script({{500, R"({"error": {"message": "the GPU fell over"}})"}});
  http_embedder e{options_for(fake)};
  std::vector<std::string> texts{"one", "two"};
  auto out = e.embed(views(texts));
  ASSERT_TRUE(out) << out.message();
  EXPECT_EQ(fake.requests(), 2);
  EXPECT_EQ(out->size(), 2u);
}

TEST(KbHttp, A429WaitsAsRetryAfterSays) {
  fake_embeddings fake{kDims};
  fake.script({{429, R"({"error": {"message": "rate limited"}})", "1"}});
  auto o = options_for(fake);
  o.backoff_ms = 10;  // far below the second Retry-After asks for
  http_embedder e{o};
  std::vector<std::string> texts{"one"};
  const auto t0 = std::chrono::steady_clock::now();
  auto out = e.embed(views(texts));
  ASSERT_TRUE(out) << out.message();
  EXPECT_GE(ms_since(t0), 950) << "Retry-After: 1 is honoured";
  EXPECT_EQ(fake.requests(), 2);
}

TEST(KbHttp, GivesUpAfterItsRetriesNamingStatusAndMessage) {
  fake_embeddings fake{kDims};
  fake.set_down(true);
  auto o = options_for(fake);
  o.retries = 2;
  http_embedder e{o};
  std::vector<std::string> texts{"one"};
  const auto t0 = std::chrono::steady_clock::now();
  auto out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_EQ(out.code(), errc::brain_unavailable);
  EXPECT_GE(ms_since(t0), 20 + 40) << "backoff 20 ms, then 40 ms";
  EXPECT_EQ(fake.requests(), 3);
  EXPECT_NE(out.message().find("POST " + fake.base_url() + "/embeddings: HTTP 503: \"the model is loading\""), std::string::npos)
      << out.message();
  EXPECT_NE(out.message().find("after 3 tries"), std::string::npos) << out.message();
}

TEST(KbHttp, ATimeoutIsRetriedThenReported) {
  fake_embeddings fake{kDims};
  fake.set_delay_ms(1500);
  auto o = options_for(fake);
  o.timeout_ms = 200;
  o.retries = 1;
  http_embedder e{o};
  std::vector<std::string> texts{"slow"};
  const auto t0 = std::chrono::steady_clock::now();
  auto out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_EQ(out.code(), errc::brain_unavailable);
  EXPECT_LT(ms_since(t0), 1400) << "two tries of 200 ms, not the provider's 1.5 s";
  EXPECT_EQ(fake.requests(), 2);
  EXPECT_NE(out.message().find("timed out after 200 ms"), std::string::npos) << out.message();
  EXPECT_NE(out.message().find(fake.base_url()), std::string::npos) << out.message();
}

TEST(KbHttp, A401FailsAtOnceQuotingTheProvider) {
  fake_embeddings fake{kDims};
  fake.set_required_key("the-right-key");
  ::setenv("PAIOS_TEST_EMBED_KEY", "sk-wrong-key-123", 1);
  auto o = options_for(fake);
  o.api_key_env = "PAIOS_TEST_EMBED_KEY";
  http_embedder e{o};
  std::vector<std::string> texts{"one"};
  auto out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_EQ(out.code(), errc::brain_unavailable);
  EXPECT_EQ(fake.requests(), 1) << "a 401 is not retried";
  EXPECT_EQ(fake.last_authorization(), "Bearer sk-wrong-key-123");
  EXPECT_NE(out.message().find("HTTP 401: \"Incorrect API key provided\""), std::string::npos) << out.message();
  EXPECT_NE(out.message().find(fake.base_url()), std::string::npos) << out.message();
  EXPECT_EQ(out.message().find("sk-wrong-key-123"), std::string::npos) << "the key is never shown: " << out.message();

  // The right key works.
  ::setenv("PAIOS_TEST_EMBED_KEY", "the-right-key", 1);
  http_embedder right{o};
  auto with_key = right.embed(views(texts));
  EXPECT_TRUE(with_key) << with_key.message();
  ::unsetenv("PAIOS_TEST_EMBED_KEY");
}

TEST(KbHttp, AMissingKeyVariableIsNamedAndNothingIsSent) {
  fake_embeddings fake{kDims};
  ::unsetenv("PAIOS_TEST_NO_SUCH_KEY");
  auto o = options_for(fake);
  o.api_key_env = "PAIOS_TEST_NO_SUCH_KEY";
  http_embedder e{o};
  std::vector<std::string> texts{"one"};
  auto out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_EQ(out.code(), errc::brain_unavailable);
  EXPECT_NE(out.message().find("PAIOS_TEST_NO_SUCH_KEY"), std::string::npos) << out.message();
  EXPECT_EQ(fake.requests(), 0);
}

TEST(KbHttp, VectorsOfTheWrongSizeAreRefused) {
  fake_embeddings fake{kDims};
  fake.set_answer_dims(8);
  http_embedder e{options_for(fake)};
  std::vector<std::string> texts{"one", "two"};
  auto out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_EQ(out.code(), errc::brain_unavailable);
  EXPECT_NE(out.message().find("8 dimensions, not the 16"), std::string::npos) << out.message();
  EXPECT_EQ(fake.requests(), 1) << "a wrong answer is not retried";
}

TEST(KbHttp, MalformedAnswersAreErrorsNotVectors) {
  fake_embeddings fake{kDims};
  fake.script({{200, R"({"object": "list"})"},
               {200, R"({"data": [{"index": 0, "embedding": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}]})"},
               {200, R"({"data": []})"},
               {200, "not json at all"}});
  http_embedder e{options_for(fake)};
  std::vector<std::string> texts{"one"};
  auto out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_EQ(out.code(), errc::brain_unavailable);
  EXPECT_NE(out.message().find("no \"data\" array"), std::string::npos) << out.message();
  out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_NE(out.message().find("is zero"), std::string::npos) << out.message();
  out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_NE(out.message().find("0 vectors for 1 texts"), std::string::npos) << out.message();
  out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_NE(out.message().find("not json at all"), std::string::npos) << out.message();
  EXPECT_EQ(fake.requests(), 4);
}

TEST(KbHttp, ConnectionRefusedIsRetriedThenNamed) {
  http_embedder_options o;
  o.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1/";
  o.model = "m";
  o.dimensions = kDims;
  o.retries = 1;
  o.backoff_ms = 10;
  http_embedder e{o};
  EXPECT_EQ(e.endpoint(), o.url + "embeddings") << "a trailing slash is not doubled";
  std::vector<std::string> texts{"one"};
  auto out = e.embed(views(texts));
  EXPECT_FALSE(out);
  EXPECT_EQ(out.code(), errc::brain_unavailable);
  EXPECT_EQ(e.requests(), 2u);
  EXPECT_NE(out.message().find("cannot connect"), std::string::npos) << out.message();
  EXPECT_NE(out.message().find("after 2 tries"), std::string::npos) << out.message();
}

// ---- the cache --------------------------------------------------------------------------------------------------

TEST(KbHttp, TheCacheSendsEachTextOnceAndSurvivesReopening) {
  fake_embeddings fake{kDims};
  test::temp_dir dir;
  const auto file = dir.path() / "embed_cache.sqlite";
  auto texts = numbered_texts(100);
  std::vector<std::vector<float>> first;
  {
    auto cache = embed_cache::open(file, 1000);
    ASSERT_TRUE(cache) << cache.message();
    http_embedder e{options_for(fake), std::move(*cache)};
    auto made = e.embed(views(texts));
    ASSERT_TRUE(made) << made.message();
    first = std::move(*made);
    EXPECT_EQ(fake.requests(), 2);
    EXPECT_EQ(e.cache()->size(), 100);
    // The same texts again: nothing is sent.
    auto again = e.embed(views(texts));
    ASSERT_TRUE(again) << again.message();
    EXPECT_EQ(fake.requests(), 2);
    ASSERT_EQ(again->size(), first.size());
    for (std::size_t i = 0; i < first.size(); ++i) expect_same((*again)[i], first[i]);
    // Half known, half new: only the new half is sent.
    auto mixed = numbered_texts(50);
    for (auto& t : numbered_texts(50, "fresh")) mixed.push_back(t);
    again = e.embed(views(mixed));
    ASSERT_TRUE(again) << again.message();
    EXPECT_EQ(fake.requests(), 3);
    EXPECT_EQ(fake.batch_sizes().back(), 50u);
    for (std::size_t i = 0; i < 50; ++i) expect_same((*again)[i], first[i]);
  }
  // Another embedder on the same file (a restarted daemon) finds them all.
  auto cache = embed_cache::open(file, 1000);
  ASSERT_TRUE(cache) << cache.message();
  EXPECT_EQ((*cache)->size(), 150);
  http_embedder e{options_for(fake), std::move(*cache)};
  auto reopened = e.embed(views(texts));
  ASSERT_TRUE(reopened) << reopened.message();
  EXPECT_EQ(fake.requests(), 3);
  for (std::size_t i = 0; i < first.size(); ++i) expect_same((*reopened)[i], first[i]);

  // Another model is another key.
  auto o = options_for(fake);
  o.model = "other-model";
  auto other_cache = embed_cache::open(file, 1000);
  ASSERT_TRUE(other_cache) << other_cache.message();
  http_embedder other{o, std::move(*other_cache)};
  reopened = other.embed(views(texts));
  ASSERT_TRUE(reopened) << reopened.message();
  EXPECT_EQ(fake.requests(), 5);
}

TEST(KbHttp, AFailedBatchCachesNothingOfItself) {
  fake_embeddings fake{kDims};
  test::temp_dir dir;
  auto o = options_for(fake);
  o.retries = 0;
  o.batch = 2;
  auto cache = embed_cache::open(dir.path() / "c.sqlite", 100);
  ASSERT_TRUE(cache) << cache.message();
  http_embedder e{o, std::move(*cache)};
  ASSERT_TRUE(e.cache());
  fake.script({{200, R"({"data": [{"index": 0, "embedding": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]},
                                  {"index": 1, "embedding": [1,2,3]}]})"}});
  std::vector<std::string> texts{"a b", "c d"};
  EXPECT_FALSE(e.embed(views(texts)));
  EXPECT_EQ(e.cache()->size(), 0) << "not even the valid vector of a refused answer";
}

TEST(KbHttp, TheCacheKeepsItsBoundDroppingTheOldest) {
  test::temp_dir dir;
  auto opened = embed_cache::open(dir.path() / "c.sqlite", 10);
  ASSERT_TRUE(opened) << opened.message();
  auto& cache = *opened;
  std::vector<std::string> hashes;
  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 15; ++i) {
    hashes.push_back("h" + std::to_string(i));
    vectors.push_back(std::vector<float>(4, static_cast<float>(i)));
  }
  ASSERT_TRUE(cache->put({hashes.begin(), hashes.begin() + 8}, "m", {vectors.begin(), vectors.begin() + 8}));
  ASSERT_TRUE(cache->put({hashes.begin() + 8, hashes.end()}, "m", {vectors.begin() + 8, vectors.end()}));
  EXPECT_EQ(cache->size(), 10);
  for (int i = 0; i < 15; ++i) {
    auto v = cache->get(hashes[i], "m", 4);
    ASSERT_TRUE(v) << v.message();
    EXPECT_EQ(v->has_value(), i >= 5) << i;
    if (*v) {
      EXPECT_EQ((**v)[0], static_cast<float>(i));
    }
  }
  EXPECT_FALSE(cache->get("h14", "m", 8).value()) << "a vector of another size is a miss";
  EXPECT_FALSE(cache->get("h14", "other", 4).value());
  // Storing a key again replaces its vector and does not grow the cache.
  ASSERT_TRUE(cache->put({"h14"}, "m", {std::vector<float>(4, 99.0f)}));
  EXPECT_EQ(cache->size(), 10);
  EXPECT_EQ((*cache->get("h14", "m", 4).value())[0], 99.0f);
}
