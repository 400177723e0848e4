// `ai watch`: the watched folders (the default, a list), and `add` or `rm` one.
#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/render.hpp"

namespace paios::cli {

run_fn define_watch(CLI::App& sub, options&) {
  struct args {
    std::string dir;
    std::vector<std::string> classes;
  };
  auto a = std::make_shared<args>();
  sub.add_subcommand("list", "the watched folders and their counts (the default)");
  auto* add = sub.add_subcommand("add", "watch a folder (kept by the daemon; the configuration file is not "
                                        "touched)");
  add->add_option("dir", a->dir, "the folder (need not exist yet)")->required();
  add->add_option("--class", a->classes, "act only on these classes (the rest are recorded): image, "
                                         "document, media, code, archive, other")
      ->check(CLI::IsMember({"image", "document", "media", "code", "archive", "other"}));
  auto* rm = sub.add_subcommand("rm", "stop watching a folder added with `ai watch add`");
  rm->add_option("dir", a->dir, "the folder")->required();
  return [a, add, rm](const options& opt) {
    if (*add || *rm) {
      std::error_code ec;
      auto abs = std::filesystem::absolute(a->dir, ec);
      auto req = request(*add ? "watch.add" : "watch.rm");
      req["path"] = ec ? a->dir : abs.lexically_normal().string();
      if (*add && !a->classes.empty()) req["classes"] = a->classes;
      return show(opt, req, *add ? render_watch_added : render_watch_removed);
    }
    return show(opt, request("watch.list"), render_watch_list);
  };
}

}  // namespace paios::cli
