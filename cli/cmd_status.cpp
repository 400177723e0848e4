// `ai ping` and `ai status`: is paiosd there, and what it is made of.
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

}  // namespace paios::cli
