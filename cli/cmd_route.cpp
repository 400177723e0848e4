// `ai route`, `ai routes`, `ai weights`: the router's choice for a prompt, its past decisions, and the weights
// of its rules.
#include <iostream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {

run_fn define_route(CLI::App& sub, options& opt) {
  auto text = std::make_shared<std::vector<std::string>>();
  sub.add_option("text", *text, "the prompt; - reads it from stdin (as `ai -` does)")->required();
  sub.add_option("--attach", opt.attach, kAttachHelp)->allow_extra_args(false);
  return [text](const options& opt) {
    auto attachments = attachments_of(opt);
    if (!attachments) return kExitUsage;
    auto req = request("route.classify");
    req["prompt"] = text->size() == 1 && text->front() == "-" ? read_stdin() : join(*text);
    if (!attachments->empty()) req["attachments"] = std::move(*attachments);
    if (!opt.brain.empty()) req["brain"] = opt.brain;
    return show(opt, req, render_route);
  };
}

run_fn define_routes(CLI::App& sub, options&) {
  auto limit = std::make_shared<int>(20);
  sub.add_option("--limit", *limit, "how many")->check(CLI::Range(1, 1000));
  return [limit](const options& opt) { return show(opt, request("route.list", {{"limit", *limit}}), render_routes); };
}

run_fn define_weights(CLI::App& sub, options&) {
  struct args {
    std::string rule, note;
    double factor = 1;
  };
  auto a = std::make_shared<args>();
  auto* set = sub.add_subcommand("set", "set a rule's weight factor (1 restores it, 0 silences it)");
  set->add_option("rule", a->rule, "the rule id (as `ai route` shows it)")->required();
  set->add_option("factor", a->factor, "multiplies the rule's weight, from 0 to 10")->required()->check(CLI::Range(0.0, 10.0));
  set->add_option("--note", a->note, "why (kept with the factor)");
  return [a, set](const options& opt) {
    if (!*set) return show(opt, request("route.weights"), render_weights);
    auto note = a->note.empty() ? std::string{"set with ai weights set"} : a->note;
    return show(opt, request("route.adjust", {{"rule", a->rule}, {"factor", a->factor}, {"note", note}}),
                [a](const nlohmann::json&) {
                  std::ostringstream line;
                  line << "rule " << a->rule << ": weight factor " << a->factor << "\n";
                  return line.str();
                });
  };
}

}  // namespace paios::cli
