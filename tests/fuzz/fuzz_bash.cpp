// The autonomy policy's reading of Bash: any command is judged without a crash, and the fast scanner, where it
// reads a command at all, never judges it laxer than tree-sitter does (tests/unit/autonomy_scan_test checks the
// same decision on the corpus and generated lists). Stricter is allowed. Found by it: `757#` is one word to bash and
// an error to tree-sitter (a number, then a comment): the scanner read it as bash does, `safe` for `cd 7RR:7 757# /`
// where tree-sitter's error is `ask`; it now hands such a word to tree-sitter
// (seeds/bash/hash_after_digits_*).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/autonomy/bash_scan.hpp"
#include "core/autonomy/policy.hpp"

namespace {
using namespace paios::autonomy;

const policy& policy_with(bool fast_scan) {
  static const auto make = [](bool fast) {
    auto cfg = paios::config_from_json(nlohmann::json::object());
    const auto& a = cfg.config->autonomy;
    auto limits = a.limits;
    limits.fast_scan = fast;
    return *policy::make(a.builtin, a.pins, {}, limits);
  };
  static const policy fast = make(true), slow = make(false);
  return fast_scan ? fast : slow;
}

bool gave_up(const decision& d) { return d.reason.find("the parser gave up") != std::string::npos; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  std::string command(reinterpret_cast<const char*>(data), size);
  if (command.empty()) return 0;
  tool_call call{"Bash", command, "", "/home/u/proj", "/home/u", "claude"};
  auto fast = policy_with(true).decide(call);
  if (!bash_scannable(command)) return 0;  // tree-sitter read it both times
  auto slow = policy_with(false).decide(call);
  if (gave_up(slow) || gave_up(fast)) return 0;  // tree-sitter's own time limit, not a reading
  if (fast.lvl < slow.lvl) __builtin_trap();
  return 0;
}
