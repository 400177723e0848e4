#pragma once
// Checks of config_from_json for the unit tests of the configuration's sections: a configuration refused with an
// error that starts with a given path and message, or accepted. Header only: the tests that use it link
// paios_config themselves.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace paios::test {

// Every error of a result, one a line.
inline std::string all(const config_result& r) {
  std::string s;
  for (const auto& e : r.errors) s += e + "\n";
  return s;
}

// Refused, and one of the errors starts with `start` (a path, then the beginning of the message).
inline void expect_refused(const nlohmann::json& user, const std::string& start) {
  auto r = config_from_json(user);
  EXPECT_FALSE(r.config) << user.dump();
  bool found = false;
  for (const auto& e : r.errors) found = found || e.rfind(start, 0) == 0;
  EXPECT_TRUE(found) << "wanted an error starting '" << start << "' for " << user.dump() << ", got:\n" << all(r);
}

inline void expect_accepted(const nlohmann::json& user) {
  auto r = config_from_json(user);
  EXPECT_TRUE(r.config) << user.dump() << ":\n" << all(r);
}

}  // namespace paios::test
