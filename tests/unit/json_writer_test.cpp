// json_object and json_array write what nlohmann::json reads back as the same values, for every byte string.
#include <gtest/gtest.h>

#include <limits>
#include <random>

#include <nlohmann/json.hpp>

#include "messages/json_writer.hpp"

using nlohmann::json;
using paios::json_array;
using paios::json_object;

TEST(JsonWriter, EveryKindOfMemberReadsBack) {
  json_object o;
  o.str("s", "a \"quoted\" \\ line\nwith\ttabs\r\x01 and é €").num("n", -42).num("big", std::numeric_limits<std::int64_t>::max());
  o.real("half", 0.5).real("whole", 3).real("third", 1.0 / 3).boolean("yes", true).boolean("no", false).null("nothing");
  o.raw("inner", json_array{}.str("x").raw("{\"k\":1}").done());
  auto j = json::parse(o.done());
  EXPECT_EQ(j["s"], "a \"quoted\" \\ line\nwith\ttabs\r\x01 and é €");
  EXPECT_EQ(j["n"], -42);
  EXPECT_EQ(j["big"], std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(j["half"], 0.5);
  EXPECT_TRUE(j["whole"].is_number_float()) << "a double stays a double";
  EXPECT_EQ(j["third"].get<double>(), 1.0 / 3) << "the shortest text that reads back exactly";
  EXPECT_EQ(j["yes"], true);
  EXPECT_EQ(j["no"], false);
  EXPECT_TRUE(j["nothing"].is_null());
  EXPECT_EQ(j["inner"], (json{"x", {{"k", 1}}}));
}

TEST(JsonWriter, NonFiniteNumbersAreNull) {
  auto j = json::parse(json_object{}.real("nan", std::nan("")).real("inf", std::numeric_limits<double>::infinity()).done());
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_TRUE(j["inf"].is_null());
}

TEST(JsonWriter, EmptyObjectsAndArrays) {
  EXPECT_EQ(json_object{}.done(), "{}");
  EXPECT_EQ(json_array{}.done(), "[]");
  EXPECT_TRUE(json_object{}.empty());
}

TEST(JsonWriter, ExtendGoesOnWritingAnEarlierObject) {
  auto head = json_object{}.str("a", "1").done();
  auto j = json::parse(json_object::extend(head).num("b", 2).done());
  EXPECT_EQ(j, (json{{"a", "1"}, {"b", 2}}));
  EXPECT_EQ(json::parse(json_object::extend("{}").num("b", 2).done()), (json{{"b", 2}}));
}

// Bytes that are not UTF-8 (a truncated sequence, an overlong form, a surrogate, a stray continuation byte)
// each become U+FFFD, the way nlohmann::json's "replace" handler writes them; valid sequences pass untouched.
TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacters) {
  const std::string cases[] = {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\x80x", "\xf4\x90\x80\x80", "ok \xf0\x9f\x98\x80"};
  for (const auto& s : cases) {
    auto text = json_object{}.str("s", s).done();
    json j;
    ASSERT_NO_THROW(j = json::parse(text)) << text;
    json mine = j["s"];
    json theirs = json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace));
    EXPECT_EQ(mine, theirs) << "input bytes: " << json(s).dump(-1, ' ', true, json::error_handler_t::replace);
  }
}

// Random byte strings: always valid JSON, and equal to what nlohmann::json makes of the same bytes.
TEST(JsonWriter, RandomBytesAgreeWithNlohmann) {
  std::mt19937 rng{7};
  for (int n = 0; n < 5000; ++n) {
    std::string s(rng() % 24, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 0x20 + rng() % 95);
    auto text = json_array{}.str(s).done();
    json j;
    ASSERT_NO_THROW(j = json::parse(text)) << text;
    EXPECT_EQ(j[0], json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace)));
  }
}
