// `ai completion SHELL` and `ai reference man|markdown`: the command surface written out for a shell, for man
// and for docs/cli.md (cli/surface.hpp), from the parser itself. Neither contacts paiosd.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/surface.hpp"

namespace paios::cli {

run_fn define_completion(CLI::App& sub, options&) {
  auto shell = std::make_shared<std::string>();
  sub.add_option("shell", *shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  sub.footer("bash:  source <(ai completion bash)\nzsh:   ai completion zsh > \"${fpath[1]}/_ai\"\n"
             "fish:  ai completion fish > ~/.config/fish/completions/ai.fish\n\n" + sub.get_footer());
  const CLI::App* root = sub.get_parent();
  return [shell, root](const options&) {
    std::cout << *completion_script(*root, *shell);  // the shell is one of the three: the parser checked it
    return kExitOk;
  };
}

run_fn define_reference(CLI::App& sub, options&) {
  auto format = std::make_shared<std::string>();
  sub.add_option("format", *format, "man (roff, the page `cmake --install` installs as ai.1) or markdown (docs/cli.md)")
      ->required()
      ->check(CLI::IsMember({"man", "markdown"}));
  const CLI::App* root = sub.get_parent();
  return [format, root](const options&) {
    std::cout << (*format == "man" ? man_page(*root, PAIOS_VERSION) : markdown_reference(*root));
    return kExitOk;
  };
}

}  // namespace paios::cli
