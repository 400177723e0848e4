#pragma once
// classifier: the router's heuristic, with no model call. It scores a task against categories (code_review,
// debug, writing, ...) with weighted rules from config: keywords and keyword prefixes, phrases, regular
// expressions, and attachment extensions and MIME types. The best category, its confidence and the rules
// that fired make the decision; the routing table turns the category into a chain of brains.
// Words are read outside ``` code fences only (pasted code says little about the request), and a term that
// first fires among the opening words weighs 1.5 times as much (the request is usually stated first), while
// words after an opening "...:" that introduces a long passage (the material to work on) weigh half; regular
// expressions see the whole text (those marked opening_only read just the first 240 bytes of the words, where
// the request is put). Of two equal scores, the category whose evidence comes first wins.
//
// Built once from config (build() refuses a bad rule with its path); classify() is const, allocation-light
// and safe to call from any number of threads at once. Weight adjustments (the self-tuning hook) replace
// the whole adjustment table in one step: set_adjustments() is not concurrent with classify().
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios {

struct route_attachment {
  std::string name;  // a file name or path: its extension counts
  std::string mime;  // optional, e.g. "image/png"
};

struct route_decision {
  std::string category;         // the winner, or the default category below the threshold
  double confidence = 0;        // in [0, 1]
  bool below_threshold = false; // the decision fell back to the default
  std::vector<std::pair<std::string, double>> scores;  // every category with a positive score, best first
  std::vector<std::string> rules;                      // "rule-id:matched term", in the order they fired
  std::vector<std::string> chain;                      // brains to try, in order
  std::string override_brain;                          // set when the prompt (or the client) named a brain
  std::string prompt;                                  // the prompt with an override phrase removed
  std::string reason;                                  // one sentence for people
};

class json_object;
// Writes the decision's members (docs/protocol.md, route.classify): category, confidence, scores {category:
// score}, rules, override, below_threshold, reason, and with `with_chain` also brain (the chain's first) and
// chain. The dispatcher writes those two itself: the chain it walks, the brain that ran the task.
void write_decision(json_object& out, const route_decision& d, bool with_chain = true);
// The whole decision as JSON text.
std::string decision_json(const route_decision& d);

class classifier {
 public:
  // `router` is the validated config's "router" object; `brains` the enabled brain names (for overrides and
  // chains: a chain keeps only enabled brains). nullptr and errors ("router.rules.3.regex: ...") when a rule
  // is bad. An empty chain is allowed: the dispatcher follows it with the default brain and the failover list.
  static std::unique_ptr<classifier> build(const nlohmann::json& router, const std::vector<std::string>& brains,
                                           std::vector<std::string>& errors);
  ~classifier();

  // `requested_brain`: the client's explicit choice (`ai --brain`), which wins over everything. An override
  // naming an unknown brain yields a decision with an empty chain and a reason listing the known brains.
  route_decision classify(std::string_view prompt, const std::vector<route_attachment>& attachments,
                          const std::string& requested_brain = {}) const;

  // Multiplies rule weights by rule id (1.0 when absent): how a later self-reflection job tunes the router.
  void set_adjustments(std::map<std::string, double> factors);

  bool has_rule(std::string_view id) const;
  const std::vector<std::string>& categories() const { return categories_; }
  std::size_t rule_count() const { return rules_.size(); }

 private:
  classifier() = default;

  struct rule {
    std::string id;
    int category = 0;
    double weight = 1;
  };
  struct term_hit {
    int rule = 0;
    int term = 0;  // index into terms_, for the explanation
  };
  struct phrase {
    std::vector<std::string> tail;  // the words after the first
    term_hit hit;
  };

  int category_index(const std::string& name) const;
  // The keys of the word indexes are views into `words_`, so that a lookup with a word of the prompt
  // allocates nothing.
  struct fnv1a {  // short words: a simple multiplicative hash beats std::hash's here
    std::size_t operator()(std::string_view s) const noexcept {
      std::size_t h = 1469598103934665603ull;
      for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
      return h;
    }
  };
  using index = std::unordered_map<std::string_view, std::vector<term_hit>, fnv1a>;
  std::string_view keep(std::string word);
  void add_term(index& idx, std::string word, term_hit hit);

  // What a word of the prompt can trigger: whole-word keywords and phrases that start with it; and, keyed by
  // a word's first 4 letters, keyword prefixes. Open-addressing tables probed with the hash the tokenizer
  // computes while it folds the text, so that each word is hashed once.
  struct word_entry {
    std::vector<term_hit> keywords;
    std::vector<phrase> phrases;
    std::vector<std::pair<std::string, term_hit>> prefixes;
  };
  struct word_table;
  std::unique_ptr<word_table> words_by_text_, words_by_prefix_;

  std::vector<std::string> categories_;
  std::vector<rule> rules_;
  std::vector<double> factors_;        // per rule, from set_adjustments
  std::vector<std::string> terms_;     // what each term matches, for the explanation
  std::deque<std::string> words_;      // storage of the index keys (a deque: views stay valid as it grows)
  index extensions_;                   // "png"
  std::vector<std::pair<std::string, term_hit>> mime_prefixes_;       // "image/"
  struct regex_set;  // RE2::Set: every regular expression in one pass over the text
  std::unique_ptr<regex_set> regexes_;
  std::vector<term_hit> regex_hits_;    // of regexes_->whole, by pattern index
  std::vector<term_hit> opening_hits_;  // of regexes_->opening
  std::map<std::string, std::vector<std::string>> chains_;
  struct override_patterns;  // "ask X to", "@X", ... compiled once for the configured brains
  std::unique_ptr<override_patterns> overrides_;
  std::vector<std::string> brains_;
  std::string default_category_;
  double threshold_ = 0.3;
};

}  // namespace paios
