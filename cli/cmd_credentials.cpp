// `ai credentials`: the credentials the mesh uses, as paiosd sees them (its environment, its configuration, the
// agents' login files): present or missing, and when each expires where that can be read. Never a value.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {

run_fn define_credentials(CLI::App&, options&) {
  return [](const options& opt) { return show(opt, request("credentials.list"), render_credentials); };
}

}  // namespace paios::cli
