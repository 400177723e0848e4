// `ai mcp`: the PAIOS tools served to an MCP client on stdin/stdout (bridges/mcp/stdio_server), and
// `ai mcp install`, which registers that server with an agent (cli/mcp_install.hpp).
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "bridges/mcp/stdio_server.hpp"
#include "cli/commands.hpp"
#include "cli/mcp_install.hpp"
#include "config/home.hpp"

namespace paios::cli {

run_fn define_mcp(CLI::App& sub, options&) {
  auto page_size = std::make_shared<std::size_t>(100);
  sub.add_option("--page-size", *page_size, "tools per tools/list page")->check(CLI::Range(1, 1000));
  auto trust_ms = std::make_shared<int>(1000);
  sub.add_option("--trust-ms", *trust_ms,
                 "how long a connection to paiosd heard from is used without checking that paiosd still listens")
      ->check(CLI::Range(0, 3600000));
  auto mio = std::make_shared<mcp_install_options>();
  auto* install = sub.add_subcommand(
      "install", "register `ai mcp` with an agent as the MCP server \"paios\" (its file backed up first; running it again changes nothing)");
  install->add_option("agent", mio->agent, "claude, codex or gemini")->required()->check(CLI::IsMember({"claude", "codex", "gemini"}));
  auto* project = install->add_option("--project", mio->project, "claude: DIR/.mcp.json (the default scope, in the current folder); gemini: DIR/.gemini/settings.json");
  install->add_flag("--user", mio->user, "claude: ~/.claude.json; gemini: ~/.gemini/settings.json (its default); codex: always ~/.codex/config.toml")->excludes(project);
  install->add_flag("--print", mio->print, "print the registration (and the `claude mcp add` command), write nothing");
  install->add_flag("--dry-run", mio->dry_run, "show the change as a diff, write nothing");
  return [page_size, trust_ms, mio, install](const options& opt) {
    if (*install) {
      auto o = *mio;
      o.home = named_home(opt);
      const int rc = mcp_install(o, std::cout, std::cerr);
      return rc == 0 ? kExitOk : rc == 2 ? kExitUsage : kExitError;
    }
    auto home = resolve_home(opt.home);
    mcp::stdio_options so{home.root.string(), endpoint_of(home), *page_size, opt.verbose};
    so.trust_for = std::chrono::milliseconds(*trust_ms);
    return mcp::serve_stdio(so);
  };
}

}  // namespace paios::cli
