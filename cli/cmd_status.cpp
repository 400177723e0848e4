// `ai ping`, `ai status` and `ai breaker reset`: is paiosd there, what it is made of, and closing a brain's
// circuit breaker by hand.
#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {

run_fn define_ping(CLI::App&, options&) {
  return [](const options& opt) {
    int code = kExitOk;
    auto start = std::chrono::steady_clock::now();
    auto reply = call(opt, request("ping"), code);
    if (!reply) return code;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    if (opt.json_out) std::cout << reply->dump() << "\n";
    else std::cout << "pong from paiosd " << reply->value("version", "") << " in " << us / 1000.0 << " ms\n";
    return kExitOk;
  };
}

run_fn define_status(CLI::App&, options&) {
  return [](const options& opt) {
    int code = kExitOk;
    auto reply = call(opt, request("status"), code);
    if (!reply) return code;
    std::cout << (opt.json_out ? reply->dump(2) : render_status(*reply)) << "\n";
    return kExitOk;
  };
}

run_fn define_breaker(CLI::App& sub, options&) {
  auto brain = std::make_shared<std::string>();
  auto* reset = sub.add_subcommand("reset", "close a brain's circuit breaker now (calls reach it again at once)");
  reset->add_option("brain", *brain, "the brain, as `ai status` names it")->required();
  sub.require_subcommand(1);
  return [brain](const options& opt) {
    return show(opt, request("breaker.reset", {{"brain", *brain}}), [](const nlohmann::json& r) {
      return "breaker of " + r.value("brain", std::string{"?"}) + ": " +
             r.value("breaker", nlohmann::json::object()).value("state", std::string{"?"}) + "\n";
    });
  };
}

}  // namespace paios::cli
