#include "core/routing/classifier.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>
#include <re2/re2.h>
#include <re2/set.h>

#include "messages/json_writer.hpp"
#include "messages/text.hpp"

namespace paios {
namespace {

using nlohmann::json;

constexpr std::size_t kPrefixKey = 4;           // keyword prefixes ("refactor*") are indexed by their first letters
constexpr std::size_t kOverrideHeadBytes = 160;  // "please ask claude to" and the spaces around it fit
constexpr std::size_t kLeadWords = 12;           // the opening words of a prompt, where the request usually is
constexpr double kLeadBoost = 1.5;
// "summarize this: <pasted text>": words after a colon near the start that introduces a long passage are the
// material to work on, not the request, and weigh half.
constexpr std::size_t kRequestHeadBytes = 200;
// What an opening_only regular expression reads: the first sentences of the prose, where the request is put.
constexpr std::size_t kOpeningBytes = 240;
constexpr std::size_t kMaterialMinBytes = 100;
constexpr double kMaterialWeight = 0.5;
// Confidence = top / (top + runner-up + kEvidenceFloor): one weak hit is not a confident decision.
constexpr double kEvidenceFloor = 2.0;

// What each byte becomes in a word: its lower-case form, ' ' for a separator, 0 to drop it (an apostrophe,
// so that "what's" and "whats" meet). A table, because tokenizing is most of the classifier's time.
struct fold_table {
  char map[256];
  fold_table() {
    for (int c = 0; c < 256; ++c) {
      bool word = std::isalnum(c) || c == '_' || c == '+' || c == '#' || c >= 0x80;
      map[c] = word ? lower_ascii(static_cast<char>(c)) : ' ';
    }
    map[static_cast<unsigned char>('\'')] = 0;
  }
};
const fold_table kFold;

constexpr std::uint64_t kFnvBasis = 1469598103934665603ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

struct token {
  std::string_view text;
  std::uint64_t hash = 0;         // FNV-1a of the whole word
  std::uint64_t prefix_hash = 0;  // of its first kPrefixKey letters (0 when shorter)
};

std::uint64_t hash_of(std::string_view s) {
  std::uint64_t h = kFnvBasis;
  for (unsigned char c : s) h = (h ^ c) * kFnvPrime;
  return h;
}

// Lower-case words of the text, each hashed in the same pass that folds it.
void tokenize(std::string_view text, std::string& storage, std::vector<token>& words) {
  storage.resize(text.size());
  words.clear();
  words.reserve(text.size() / 5 + 1);
  char* out = storage.data();
  std::size_t n = 0, start = 0, length = 0;
  std::uint64_t h = kFnvBasis, prefix = 0;
  auto end_word = [&] {
    if (length > 0) words.push_back({std::string_view{out + start, length}, h, prefix});
    start = n;
    length = 0;
    h = kFnvBasis;
    prefix = 0;
  };
  for (unsigned char c : text) {
    char f = kFold.map[c];
    if (f == 0) continue;
    if (f == ' ') {
      end_word();
      continue;
    }
    out[n++] = f;
    ++length;
    h = (h ^ static_cast<unsigned char>(f)) * kFnvPrime;
    if (length == kPrefixKey) prefix = h;
  }
  end_word();
}

std::vector<std::string_view> tokenize(std::string_view text, std::string& storage) {
  std::vector<token> tokens;
  tokenize(text, storage, tokens);
  std::vector<std::string_view> words;
  for (auto& t : tokens) words.push_back(t.text);
  return words;
}

// The text outside ``` fences (an unclosed fence runs to the end), fences replaced by a line break.
// The index of the first word of pasted material in the prose: the words after the first colon in its head
// that is followed by a space or a line break and a long passage; SIZE_MAX when there is none.
std::size_t material_start(std::string_view prose) {
  const auto head = std::min(prose.size(), kRequestHeadBytes);
  for (std::size_t i = 0; i < head; ++i) {
    if (prose[i] != ':' || i + 1 >= prose.size()) continue;
    const char next = prose[i + 1];
    if (next != ' ' && next != '\n' && next != '\r' && next != '\t' && next != '"') continue;
    if (prose.size() - i < kMaterialMinBytes) break;
    std::size_t words = 0;  // counted as tokenize() splits them
    bool in_word = false;
    for (std::size_t k = 0; k < i; ++k) {
      const char f = kFold.map[static_cast<unsigned char>(prose[k])];
      if (f == 0) continue;
      if (f != ' ' && !in_word) ++words;
      in_word = f != ' ';
    }
    return words;
  }
  return SIZE_MAX;
}

void prose_of(std::string_view text, std::string& out) {
  out.clear();
  std::size_t at = 0;
  for (;;) {
    auto open = text.find("```", at);
    out.append(text.substr(at, open == std::string_view::npos ? std::string_view::npos : open - at));
    if (open == std::string_view::npos) return;
    out.push_back('\n');
    auto close = text.find("```", open + 3);
    if (close == std::string_view::npos) return;
    at = close + 3;
  }
}

std::string extension_of(const std::string& name) {
  auto dot = name.find_last_of('.');
  auto slash = name.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  return lower_ascii(name.substr(dot + 1));
}

struct override_match {
  std::string brain;
  std::string prompt;
  std::string unknown;  // "@name" at the start naming no brain
};

}  // namespace

struct classifier::override_patterns {
  std::unique_ptr<RE2> lead, mention, unknown_mention;
  std::vector<std::string> openers;  // the first words `lead` can match: most prompts are settled by them

  bool may_open_with_override(std::string_view prompt) const {
    std::size_t i = 0;
    while (i < prompt.size() && std::isspace(static_cast<unsigned char>(prompt[i]))) ++i;
    std::size_t n = 0;
    char word[16];
    while (i < prompt.size() && n < sizeof word && std::isalnum(static_cast<unsigned char>(prompt[i])))
      word[n++] = lower_ascii(prompt[i++]);
    const std::string_view first{word, n};
    return std::any_of(openers.begin(), openers.end(), [&](const std::string& o) { return o == first; });
  }

  explicit override_patterns(const std::vector<std::string>& brains) {
    std::string names;
    for (auto& b : brains) names += (names.empty() ? "" : "|") + RE2::QuoteMeta(b);
    RE2::Options o;
    o.set_case_sensitive(false);
    o.set_log_errors(false);
    lead = std::make_unique<RE2>("^\\s*(?:please\\s+)?(?:(?:ask|have|let|get|tell)\\s+(" + names +
                                     ")\\b(?:\\s+to\\b)?|use\\s+(" + names + ")\\b(?:\\s*[:,\\-]|\\s+to\\b)|(" + names +
                                     ")\\s*[:,])\\s*",
                                 o);
    mention = std::make_unique<RE2>("(?:^|\\s)@(" + names + ")\\b[:,]?\\s*", o);
    openers = {"please", "ask", "have", "let", "get", "tell", "use"};
    for (auto& b : brains) {  // as may_open_with_override reads a first word: letters and digits, at most 16
      auto name = lower_ascii(b);
      auto end = std::find_if(name.begin(), name.end(), [](unsigned char ch) { return !std::isalnum(ch); });
      name.erase(end, name.end());
      openers.push_back(name.substr(0, 16));
    }
    unknown_mention = std::make_unique<RE2>("^\\s*@([A-Za-z][\\w-]*)", o);
  }

  // "ask Claude to ...", "have Codex review ...", "use gemini: ...", "@codex ...", "claude: ...".
  override_match find(std::string_view prompt) const {
    override_match m;
    // The phrase is at the start: matching a bounded head keeps RE2 from preparing for the whole prompt
    // (its bit-state search clears memory in proportion to the text).
    auto head = prompt.substr(0, kOverrideHeadBytes);
    re2::StringPiece consumed{head.data(), head.size()};
    std::string a, b, c;
    if (may_open_with_override(head) && RE2::Consume(&consumed, *lead, &a, &b, &c)) {
      m.brain = lower_ascii(!a.empty() ? a : !b.empty() ? b : c);
      m.prompt = std::string{prompt.substr(static_cast<std::size_t>(consumed.data() - head.data()))};
      return m;
    }
    if (prompt.find('@') == std::string_view::npos) return m;  // the common prompt stops here
    std::string text{prompt};
    std::string name;
    if (RE2::PartialMatch(text, *mention, &name)) {
      m.brain = lower_ascii(name);
      RE2::Replace(&text, *mention, " ");
      auto start = text.find_first_not_of(" \t\n");
      m.prompt = start == std::string::npos ? std::string{} : text.substr(start);
      return m;
    }
    if (RE2::PartialMatch(text, *unknown_mention, &name)) m.unknown = name;
    return m;
  }
};

struct classifier::word_table {
  struct slot {
    std::uint64_t hash = 0;
    std::string_view key;
    std::int32_t entry = -1;
  };
  std::vector<slot> slots;
  std::vector<word_entry> entries;

  const word_entry* find(std::string_view key, std::uint64_t hash) const {
    if (slots.empty()) return nullptr;
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const auto& s = slots[i];
      if (s.entry < 0) return nullptr;
      if (s.hash == hash && s.key == key) return &entries[static_cast<std::size_t>(s.entry)];
    }
  }

  // Built once: the keys (views that outlive the table) and their entries, at most half full.
  void build(std::vector<std::pair<std::string_view, word_entry>> items) {
    std::size_t size = 16;
    while (size < items.size() * 2) size *= 2;
    slots.assign(size, slot{});
    entries.clear();
    for (auto& [key, e] : items) {
      auto h = hash_of(key);
      std::size_t i = h & (size - 1);
      while (slots[i].entry >= 0) i = (i + 1) & (size - 1);
      slots[i] = {h, key, static_cast<std::int32_t>(entries.size())};
      entries.push_back(std::move(e));
    }
  }
};

struct classifier::regex_set {
  explicit regex_set(const RE2::Options& o) : whole(o, RE2::UNANCHORED), opening(o, RE2::UNANCHORED) {}
  RE2::Set whole;    // matched on the whole text
  RE2::Set opening;  // matched on the prose's first kOpeningBytes: patterns about how the request is put
};

classifier::~classifier() = default;

void write_decision(json_object& out, const route_decision& d, bool with_chain) {
  auto rounded = [](double v) { return std::round(v * 1000) / 1000; };
  out.str("category", d.category).real("confidence", rounded(d.confidence));
  if (with_chain) {
    json_array chain;
    for (const auto& b : d.chain) chain.str(b);
    out.str("brain", d.chain.empty() ? std::string_view{} : std::string_view{d.chain.front()}).raw("chain", chain.done());
  }
  json_object scores;
  for (const auto& [category, score] : d.scores) scores.real(category, rounded(score));
  json_array rules;
  for (const auto& r : d.rules) rules.str(r);
  out.raw("scores", scores.done()).raw("rules", rules.done());
  if (d.override_brain.empty()) out.null("override");
  else out.str("override", d.override_brain);
  out.boolean("below_threshold", d.below_threshold).str("reason", d.reason);
}

std::string decision_json(const route_decision& d) {
  json_object out;
  write_decision(out, d);
  return out.done();
}

int classifier::category_index(const std::string& name) const {
  auto it = std::find(categories_.begin(), categories_.end(), name);
  return it == categories_.end() ? -1 : static_cast<int>(it - categories_.begin());
}

std::string_view classifier::keep(std::string word) {
  words_.push_back(std::move(word));
  return words_.back();
}

void classifier::add_term(index& idx, std::string word, term_hit hit) {
  auto it = idx.find(word);
  if (it == idx.end()) it = idx.emplace(keep(std::move(word)), std::vector<term_hit>{}).first;
  it->second.push_back(hit);
}

std::unique_ptr<classifier> classifier::build(const json& router, const std::vector<std::string>& brains,
                                              std::vector<std::string>& errors) {
  std::unique_ptr<classifier> c{new classifier};
  c->words_by_text_ = std::make_unique<word_table>();
  c->words_by_prefix_ = std::make_unique<word_table>();
  std::map<std::string, word_entry> by_word, by_prefix;  // gathered here, then frozen into the tables
  c->brains_ = brains;
  c->overrides_ = std::make_unique<override_patterns>(brains);
  c->threshold_ = router.value("threshold", 0.3);
  c->default_category_ = router.value("default_category", "chat");
  const json chains = router.value("chains", json::object());
  for (auto& [category, chain] : chains.items()) {
    c->categories_.push_back(category);
    // A brain the user removed or disabled drops out of every chain, so that removing one brain does not
    // mean rewriting the routing table; the task still ends with the default brain and the failover list.
    auto& kept = c->chains_[category];
    for (auto& b : chain) {
      auto name = b.get<std::string>();
      if (std::find(brains.begin(), brains.end(), name) != brains.end()) kept.push_back(name);
    }
  }
  if (c->category_index(c->default_category_) < 0)
    errors.push_back("router.default_category: '" + c->default_category_ + "' has no chain in router.chains");

  RE2::Options re_options;
  re_options.set_case_sensitive(false);
  re_options.set_log_errors(false);
  c->regexes_ = std::make_unique<regex_set>(re_options);
  std::vector<std::pair<std::string, json>> rules;
  for (const char* list : {"rules", "extra_rules"}) {
    const json rs = router.value(list, json::array());
    for (std::size_t i = 0; i < rs.size(); ++i) rules.emplace_back("router." + std::string{list} + "." + std::to_string(i), rs[i]);
  }
  for (const auto& [path, r] : rules) {
    auto category = r.value("category", "");
    int cat = c->category_index(category);
    if (cat < 0) {
      errors.push_back(path + ".category: '" + category + "' is not a category of router.chains");
      continue;
    }
    int index = static_cast<int>(c->rules_.size());
    c->rules_.push_back({r.value("id", path), cat, r.value("weight", 1.0)});
    auto term = [&](const std::string& t) {
      c->terms_.push_back(t);
      return term_hit{index, static_cast<int>(c->terms_.size() - 1)};
    };
    const json keywords = r.value("keywords", json::array()), phrases = r.value("phrases", json::array()),
               extensions = r.value("extensions", json::array()), mimes = r.value("mime", json::array());
    for (auto& k : keywords) {
      auto word = lower_ascii(k.get<std::string>());
      if (!word.empty() && word.back() == '*') {
        word.pop_back();
        if (word.size() < kPrefixKey) {
          errors.push_back(path + ".keywords: a prefix needs at least " + std::to_string(kPrefixKey) +
                           " letters before '*' ('" + word + "*')");
          continue;
        }
        by_prefix[word.substr(0, kPrefixKey)].prefixes.emplace_back(word, term(word + "*"));
      } else {
        by_word[word].keywords.push_back(term(word));
      }
    }
    for (auto& p : phrases) {
      std::string storage;
      auto words = tokenize(p.get<std::string>(), storage);
      if (words.empty()) continue;
      phrase ph;
      for (std::size_t w = 1; w < words.size(); ++w) ph.tail.emplace_back(words[w]);
      ph.hit = term(p.get<std::string>());
      by_word[std::string{words[0]}].phrases.push_back(std::move(ph));
    }
    for (auto& e : extensions)
      c->add_term(c->extensions_, lower_ascii(e.get<std::string>()), term("." + lower_ascii(e.get<std::string>())));
    for (auto& m : mimes) {
      auto prefix = lower_ascii(m.get<std::string>());
      c->mime_prefixes_.emplace_back(prefix, term(prefix));
    }
    if (r.contains("regex")) {
      std::string error;
      auto pattern = r["regex"].get<std::string>();
      const bool opening = r.value("opening_only", false);
      auto& set = opening ? c->regexes_->opening : c->regexes_->whole;
      if (set.Add(pattern, &error) < 0) {
        errors.push_back(path + ".regex: invalid regular expression: " + error);
        continue;
      }
      (opening ? c->opening_hits_ : c->regex_hits_).push_back(term("/" + pattern + "/"));
    } else if (r.contains("opening_only")) {
      errors.push_back(path + ".opening_only: applies to a regex, and this rule has none");
    }
  }
  if (!c->regex_hits_.empty() && !c->regexes_->whole.Compile())
    errors.push_back("router.rules: the regular expressions do not compile together");
  if (!c->opening_hits_.empty() && !c->regexes_->opening.Compile())
    errors.push_back("router.rules: the opening_only regular expressions do not compile together");
  c->factors_.assign(c->rules_.size(), 1.0);
  for (auto [source, table] : {std::pair{&by_word, c->words_by_text_.get()}, std::pair{&by_prefix, c->words_by_prefix_.get()}}) {
    std::vector<std::pair<std::string_view, word_entry>> items;
    for (auto& [key, e] : *source) items.emplace_back(c->keep(key), std::move(e));
    table->build(std::move(items));
  }
  if (!errors.empty()) return nullptr;
  return c;
}

bool classifier::has_rule(std::string_view id) const {
  return std::any_of(rules_.begin(), rules_.end(), [&](const rule& r) { return r.id == id; });
}

void classifier::set_adjustments(std::map<std::string, double> factors) {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    auto it = factors.find(rules_[i].id);
    factors_[i] = it == factors.end() ? 1.0 : it->second;
  }
}

route_decision classifier::classify(std::string_view prompt, const std::vector<route_attachment>& attachments,
                                    const std::string& requested_brain) const {
  route_decision d;
  std::string override_brain = lower_ascii(requested_brain);
  std::string_view text = prompt;
  if (override_brain.empty()) {
    auto o = overrides_->find(prompt);
    if (!o.unknown.empty()) {
      std::string known;
      for (auto& b : brains_) known += (known.empty() ? "" : ", ") + b;
      d.override_brain = lower_ascii(o.unknown);
      d.reason = "unknown brain '" + o.unknown + "'; known brains: " + known;
      d.prompt = std::string{prompt};
      return d;
    }
    if (!o.brain.empty()) {
      override_brain = o.brain;
      d.prompt = std::move(o.prompt);
      text = d.prompt;
    }
  }
  if (d.prompt.empty()) d.prompt = std::string{prompt};

  // Score: each distinct term counts once, with its rule's weight (times its adjustment).
  std::vector<double> scores(categories_.size(), 0.0);
  // Where each category's evidence begins: of two equal scores, the one stated first wins.
  std::vector<std::size_t> first_at(categories_.size(), SIZE_MAX);
  // Which terms fired in this call: a stamp per term, so that nothing is cleared between calls.
  thread_local std::vector<std::uint32_t> seen;
  thread_local std::uint32_t stamp = 0;
  if (seen.size() < terms_.size()) seen.assign(terms_.size(), 0);
  if (++stamp == 0) {
    std::fill(seen.begin(), seen.end(), 0);
    stamp = 1;
  }
  auto fire = [&](const term_hit& h, std::size_t at, double boost = 1.0) {
    auto& mark = seen[static_cast<std::size_t>(h.term)];
    if (mark == stamp) return;
    mark = stamp;
    const auto& r = rules_[static_cast<std::size_t>(h.rule)];
    const auto category = static_cast<std::size_t>(r.category);
    scores[category] += r.weight * factors_[static_cast<std::size_t>(h.rule)] * boost;
    first_at[category] = std::min(first_at[category], at);
    d.rules.push_back(r.id + ":" + terms_[static_cast<std::size_t>(h.term)]);
  };
  // Words are what the person asks; pasted code says little about what they want done with it (a
  // `raise ValueError` in a function to review is no bug report), so code between ``` fences is not read for
  // words. Regular expressions still see everything: a pasted traceback is evidence.
  thread_local std::string prose, storage;
  thread_local std::vector<token> words;
  prose_of(text, prose);
  tokenize(prose, storage, words);
  const auto material_from = material_start(prose);
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto& w = words[i];
    // The request is usually stated first ("write tests for ...", "review this ..."): a term that first
    // fires among the opening words weighs more.
    const double boost = i >= material_from ? kMaterialWeight : i < kLeadWords ? kLeadBoost : 1.0;
    if (const auto* e = words_by_text_->find(w.text, w.hash)) {
      for (auto& h : e->keywords) fire(h, i, boost);
      for (auto& p : e->phrases) {
        if (i + p.tail.size() >= words.size()) continue;  // not enough words left
        bool match = true;
        for (std::size_t t = 0; t < p.tail.size() && match; ++t) match = words[i + 1 + t].text == p.tail[t];
        if (match) fire(p.hit, i, boost);
      }
    }
    if (w.prefix_hash != 0)
      if (const auto* e = words_by_prefix_->find(w.text.substr(0, kPrefixKey), w.prefix_hash))
        for (auto& [prefix, h] : e->prefixes)
          if (w.text.compare(0, prefix.size(), prefix) == 0) fire(h, i, boost);
  }
  if (!regex_hits_.empty()) {
    std::vector<int> matched;
    if (regexes_->whole.Match(re2::StringPiece{text.data(), text.size()}, &matched))
      for (int m : matched) fire(regex_hits_[static_cast<std::size_t>(m)], words.size());
  }
  if (!opening_hits_.empty()) {
    std::vector<int> matched;
    if (regexes_->opening.Match(re2::StringPiece{prose.data(), std::min(prose.size(), kOpeningBytes)}, &matched))
      for (int m : matched) fire(opening_hits_[static_cast<std::size_t>(m)], words.size());
  }
  for (const auto& a : attachments) {
    if (auto e = extensions_.find(extension_of(a.name)); e != extensions_.end())
      for (auto& h : e->second) fire(h, words.size());
    auto mime = lower_ascii(a.mime);
    for (auto& [prefix, h] : mime_prefixes_)
      if (!mime.empty() && mime.compare(0, prefix.size(), prefix) == 0) fire(h, words.size());
  }

  // Decide.
  std::vector<std::size_t> order(categories_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) {
    if (scores[a] != scores[b]) return scores[a] > scores[b];
    return first_at[a] != first_at[b] ? first_at[a] < first_at[b] : a < b;
  });
  for (auto i : order)
    if (scores[i] > 0) d.scores.emplace_back(categories_[i], scores[i]);
  double top = order.empty() ? 0 : scores[order[0]];
  double second = order.size() > 1 ? scores[order[1]] : 0;
  d.confidence = top > 0 ? top / (top + second + kEvidenceFloor) : 0;
  if (top <= 0 || d.confidence < threshold_) {
    d.category = default_category_;
    d.below_threshold = true;
  } else {
    d.category = categories_[order[0]];
  }
  if (auto it = chains_.find(d.category); it != chains_.end()) d.chain = it->second;

  char conf[16];
  std::snprintf(conf, sizeof conf, "%.2f", d.confidence);
  if (!override_brain.empty()) {
    if (std::find(brains_.begin(), brains_.end(), override_brain) == brains_.end()) {
      std::string known;
      for (auto& b : brains_) known += (known.empty() ? "" : ", ") + b;
      d.override_brain = override_brain;
      d.chain.clear();
      d.reason = "unknown brain '" + override_brain + "'; known brains: " + known;
      return d;
    }
    d.override_brain = override_brain;
    d.chain = {override_brain};
    d.reason = "override: " + override_brain + (requested_brain.empty() ? " named in the prompt" : " requested by the client");
  } else if (d.below_threshold) {
    d.reason = top <= 0 ? "no rule matched: the default category " + default_category_
                        : "confidence " + std::string{conf} + " below the threshold: the default category " + default_category_;
  } else {
    d.reason = d.category + " with confidence " + conf;
  }
  return d;
}

}  // namespace paios
