// The knowledge base over HTTP, through a real daemon and `ai`: `ai kb add URL` fetches pages served on
// loopback (redirects followed, the format from the Content-Type or the URL's extension, the URL that answered
// as the source, the page's title or else the URL), refuses a 404 naming the status; and a daemon whose
// embeddings come from an OpenAI-compatible provider (a fake one, in the test) adds and searches end to end,
// keeps the API key out of its logs, and rides out the provider being down: searches go on by keywords, an
// add fails with the provider's words and stores nothing, re-embedding finishes once the provider is back.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/fake_http.hpp"
#include "tests/support/test_support.hpp"

using nlohmann::json;
using namespace paios::test;  // the tests' shared support (tests/support)

namespace {

json search(wire_peer& peer, const std::string& query) {
  return peer.exchange(bus_request("kb.search", {{"query", query}, {"k", 3}})).back();
}

json stats(wire_peer& peer) { return peer.exchange(bus_request("kb.stats")).back(); }

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json http_provider(const fake_embeddings& fake, json extra = json::object()) {
  json e{{"provider", "http"}, {"url", fake.base_url()}, {"model", "fake-embed"}, {"retries", 0}, {"timeout_ms", 3000}};
  e.update(extra);
  return {{"kb", {{"dimensions", 32}, {"embedding", e}}}};
}

}  // namespace

TEST(KbUrl, AddsWebPagesWithTheUrlAsSource) {
  loopback_server site;
  site.server.Get("/page.html", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><head><title>Loopback Widget Manual</title></head><body><h1>Widgets</h1>"
                    "<p>The frobnicator calibrates the zorblax flux every morning.</p></body></html>",
                    "text/html; charset=utf-8");
  });
  site.server.Get("/moved", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/notes/final.md"); });
  site.server.Get("/notes/final.md", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("# Resonator notes\n\nThe quux resonator hums at 88 hertz when warm.\n", "text/plain");
  });
  site.server.Get("/untitled", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body><p>A paragraph about xylophone tuning forks.</p></body></html>", "text/html");
  });
  site.start();

  daemon_process d;
  d.start();
  const auto page = site.url("/page.html");
  auto added = d.ai({"kb", "add", page});
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
  EXPECT_NE(added.out.find("added"), std::string::npos) << added.out;
  EXPECT_NE(added.out.find(page), std::string::npos) << added.out;

  wire_peer peer{d.endpoint()};
  auto found = search(peer, "frobnicator zorblax");
  ASSERT_EQ(found.value("type", ""), "kb.results") << found.dump();
  ASSERT_FALSE(found["results"].empty()) << found.dump();
  EXPECT_EQ(found["results"][0].value("source", ""), page);
  EXPECT_EQ(found["results"][0].value("title", ""), "Loopback Widget Manual");
  auto shown = d.ai({"kb", "search", "frobnicator zorblax"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find(page), std::string::npos) << shown.out;

  // A redirect: the source is where the page really is; .md served as text/plain is Markdown.
  auto moved = d.ai({"kb", "add", site.url("/moved")});
  ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
  auto notes = search(peer, "quux resonator");
  ASSERT_FALSE(notes["results"].empty()) << notes.dump();
  EXPECT_EQ(notes["results"][0].value("source", ""), site.url("/notes/final.md"));
  EXPECT_EQ(notes["results"][0].value("title", ""), "Resonator notes");
  auto article = peer.exchange(bus_request("kb.get", {{"article_id", notes["results"][0].value("article_id", "")}})).back();
  EXPECT_EQ(article["article"]["meta"].value("format", ""), "markdown") << article.dump();

  // No title in the page: the URL is the title.
  ASSERT_EQ(d.ai({"kb", "add", site.url("/untitled")}).exit_code, 0);
  auto untitled = search(peer, "xylophone tuning forks");
  ASSERT_FALSE(untitled["results"].empty()) << untitled.dump();
  EXPECT_EQ(untitled["results"][0].value("title", ""), site.url("/untitled"));

  // The same page again changes nothing.
  auto again = d.ai({"kb", "add", page});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("unchanged"), std::string::npos) << again.out;
  EXPECT_EQ(stats(peer).value("articles", 0), 3);
}

TEST(KbUrl, AMissingPageFailsNamingTheStatus) {
  loopback_server site;
  site.server.Get("/here.txt", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Plain text that exists.\n", "text/plain");
  });
  site.start();
  daemon_process d;
  d.start();
  const auto missing = site.url("/missing.html");
  auto r = d.ai({"kb", "add", missing});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HTTP 404 Not Found"), std::string::npos) << r.err;

  // One bad URL among good inputs: the others are still added, and the exit code says something failed.
  auto mixed = d.ai({"kb", "add", missing, site.url("/here.txt")});
  EXPECT_EQ(mixed.exit_code, 1) << mixed.err;
  EXPECT_NE(mixed.out.find(site.url("/here.txt")), std::string::npos) << mixed.out;

  // Nothing listening at all.
  const int port = site.port();
  site.stop();
  auto refused = d.ai({"kb", "add", "http://127.0.0.1:" + std::to_string(port) + "/gone.html"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("cannot connect"), std::string::npos) << refused.err;

  wire_peer peer{d.endpoint()};
  EXPECT_EQ(stats(peer).value("articles", 0), 1);
}

TEST(KbUrl, AnHttpEmbeddingProviderEndToEnd) {
  fake_embeddings fake{32};
  fake.set_required_key("sk-test-4242");
  daemon_process d{http_provider(fake, {{"api_key_env", "PAIOS_TEST_EMBED_KEY"}})};
  d.set_env("PAIOS_TEST_EMBED_KEY", "sk-test-4242");
  d.start();
  temp_dir docs;
  std::ofstream(docs.path() / "resonator.md") << "# Resonator notes\n\nThe quux resonator hums at 88 hertz when warm.\n";
  std::ofstream(docs.path() / "bread.md") << "# Sourdough\n\nFeed the starter twice a day and bake when it doubles.\n";
  auto added = d.ai({"kb", "add", docs.path().string()});
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err << d.log();
  const int after_add = fake.requests();
  EXPECT_GE(after_add, 1);
  EXPECT_EQ(fake.last_authorization(), "Bearer sk-test-4242");

  wire_peer peer{d.endpoint()};
  auto s = stats(peer);
  EXPECT_EQ(s.value("model", ""), "http:fake-embed/32") << s.dump();
  EXPECT_EQ(s.value("pending_reembed", -1), 0) << s.dump();
  EXPECT_EQ(s.value("articles", 0), 2);

  auto found = search(peer, "quux resonator");
  ASSERT_EQ(found.value("type", ""), "kb.results") << found.dump();
  ASSERT_FALSE(found["results"].empty()) << found.dump();
  EXPECT_EQ(found["results"][0].value("title", ""), "Resonator notes");
  EXPECT_GT(found["results"][0].value("vector_score", 0.0), 0.3) << "the provider's vectors are searched";
  EXPECT_GT(fake.requests(), after_add) << "the query is embedded by the provider";

  // The same query again: from the cache.
  const int before = fake.requests();
  ASSERT_FALSE(search(peer, "quux resonator")["results"].empty());
  EXPECT_EQ(fake.requests(), before);
  EXPECT_TRUE(std::filesystem::exists(d.home() / "data" / "embed_cache.sqlite"));

  ASSERT_EQ(d.stop(), 0);
  const auto logs = d.log() + read_all(d.home() / "logs" / "paiosd.log");
  EXPECT_NE(logs.find("http:fake-embed/32"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("sk-test-4242"), std::string::npos) << "the API key is never logged";
}

TEST(KbUrl, AProviderThatIsDownDelaysReembeddingButNotSearch) {
  // A knowledge base made with the built-in embedder...
  daemon_process d;
  d.start();
  {
    wire_peer peer{d.endpoint()};
    auto r = peer.exchange(bus_request("kb.add", {{"content", "The quux resonator hums at 88 hertz when warm."},
                                          {"title", "Resonator notes"}, {"source", "notes/resonator.md"}}))
                 .back();
    ASSERT_EQ(r.value("type", ""), "kb.added") << r.dump();
  }
  ASSERT_EQ(d.stop(), 0);

  // ...then switched to an http provider that is down.
  fake_embeddings fake{32};
  fake.set_down(true);
  d.write_config(http_provider(fake));
  d.start();
  wire_peer peer{d.endpoint()};
  auto s = stats(peer);
  EXPECT_EQ(s.value("model", ""), "http:fake-embed/32") << s.dump();
  EXPECT_EQ(s.value("pending_reembed", 0), 1) << s.dump();

  auto found = search(peer, "quux resonator");
  ASSERT_EQ(found.value("type", ""), "kb.results") << "search goes on meanwhile: " << found.dump();
  ASSERT_FALSE(found["results"].empty()) << found.dump();
  EXPECT_EQ(found["results"][0].value("title", ""), "Resonator notes");

  // An add fails, saying why, and stores nothing.
  auto r = peer.exchange(bus_request("kb.add", {{"content", "Sourdough wants feeding twice a day."}, {"title", "Bread"}})).back();
  EXPECT_EQ(r.value("type", ""), "error") << r.dump();
  EXPECT_EQ(r.value("code", ""), "store_failed") << r.dump();
  const auto message = r.value("message", "");
  EXPECT_NE(message.find(fake.base_url() + "/embeddings"), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 503"), std::string::npos) << message;
  EXPECT_NE(message.find("the model is loading"), std::string::npos) << message;
  EXPECT_EQ(stats(peer).value("articles", 0), 1);
  EXPECT_TRUE(search(peer, "sourdough feeding")["results"].empty());

  // The provider comes back: re-embedding finishes on its own (it retries every 5 s), and adds work.
  fake.set_down(false);
  EXPECT_TRUE(poll_until([&] { return stats(peer).value("pending_reembed", -1) == 0; },
                                      std::chrono::seconds(20), std::chrono::milliseconds(200)))
      << d.log();
  r = peer.exchange(bus_request("kb.add", {{"content", "Sourdough wants feeding twice a day."}, {"title", "Bread"}})).back();
  EXPECT_EQ(r.value("type", ""), "kb.added") << r.dump();
  found = search(peer, "quux resonator");
  ASSERT_FALSE(found["results"].empty()) << found.dump();
  EXPECT_GT(found["results"][0].value("vector_score", 0.0), 0.3) << found.dump();

  // Down again, with vectors in use: a new query still finds by keywords.
  fake.set_down(true);
  found = search(peer, "resonator hums warm");
  ASSERT_EQ(found.value("type", ""), "kb.results") << found.dump();
  ASSERT_FALSE(found["results"].empty()) << found.dump();
  EXPECT_EQ(found["results"][0].value("title", ""), "Resonator notes");
}
