#pragma once
// What the dispatcher persists about routing: breaker transitions and routing decisions. Plain structs; the
// state store owns their tables (core/state/state_db.hpp).
#include <cstdint>
#include <string>

namespace paios {

// A brain's breaker after a transition, and the transition itself. The state store keeps the latest per brain
// (what a restart restores) and every transition (history).
struct breaker_record {
  std::string brain;
  std::string state;           // closed | open | half_open
  std::int64_t since_ms = 0;
  std::int64_t open_until_ms = 0;
  std::string window;          // the judged calls, oldest first: 'o' ok, 'f' failed, 's' slow, 'x' both
  std::uint64_t opened = 0;    // times it has opened, ever
  std::string from;            // the state before the transition
  std::string reason;
  // Why it is open, as a fact the dispatcher can check again: "" (the judged calls), or kCauseProgramMissing
  // (the brain's program was not on PATH when it opened: found again, the breaker closes at once).
  std::string cause;
};

inline constexpr const char* kCauseProgramMissing = "program_missing";

// One routing decision: who ran the task and why. `json` holds the whole decision (docs/protocol.md,
// route.list): category, confidence, scores, rules, override, chain, tried brains and their outcomes.
struct route_record {
  std::string task_id;
  std::int64_t time_ms = 0;
  std::string trace_id;
  std::string category;
  std::string brain;    // the brain that ran it last ("" when none could)
  std::string outcome;  // "" while running, then the task's final state
  std::string json;
};

// A self-tuning factor on one router rule's weight (1 is neutral; 0 silences the rule).
struct rule_weight {
  std::string rule;
  double factor = 1;
  std::string note;  // who or what set it, and why
  std::int64_t updated_ms = 0;
};

}  // namespace paios
