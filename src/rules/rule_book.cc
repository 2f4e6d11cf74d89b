#include "rules/rule_book.h"

#include <fmt/format.h>

#include <charconv>

#include "rules/bollinger_rule.h"
#include "rules/on_bars.h"
#include "rules/pct_sma_rule.h"
#include "rules/rsi_rule.h"
#include "rules/sma_cross_rule.h"

namespace stockpipe::rules {
namespace {

constexpr std::string_view kRuleNames = "pct_sma, sma_cross, rsi, bollinger";

// Reads one rule's parameters by name; the first problem is kept, naming its key.
class Params {
 public:
  Params(const RuleConfig& config, std::string_view key) : config_(config), key_(key) {}

  void Int(std::string_view name, int& out) {
    if (const std::string* text = Find(name)) {
      const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
      if (ec != std::errc() || end != text->data() + text->size()) {
        Fail(fmt::format("{}.{} must be a whole number, got \"{}\"", key_, name, *text));
      }
    }
  }
  void Double(std::string_view name, double& out) {
    if (const std::string* text = Find(name)) {
      const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
      if (ec != std::errc() || end != text->data() + text->size()) {
        Fail(fmt::format("{}.{} must be a number, got \"{}\"", key_, name, *text));
      }
    }
  }
  void Mode(std::string_view name, BollingerMode& out) {
    if (const std::string* text = Find(name)) {
      if (*text == "momentum") {
        out = BollingerMode::kMomentum;
      } else if (*text == "reversion") {
        out = BollingerMode::kReversion;
      } else {
        Fail(fmt::format("{}.{} must be momentum or reversion, got \"{}\"", key_, name, *text));
      }
    }
  }
  // Call after reading every known name: a parameter nobody read is a typo.
  Status Finish(std::string_view rule, std::string_view takes) {
    for (const auto& [name, value] : config_.params) {
      if (std::find(read_.begin(), read_.end(), name) == read_.end()) {
        Fail(fmt::format("{}.{} is not a parameter of {} (it takes {})", key_, name, rule, takes));
      }
    }
    return error_.empty() ? Status::Ok() : Status::Error(error_);
  }
  Status Check(const Status& invalid) const {
    if (invalid.ok()) return Status::Ok();
    return Status::Error(fmt::format("{}: {}", key_, invalid.message()));
  }

 private:
  const std::string* Find(std::string_view name) {
    read_.emplace_back(name);
    for (const auto& [param, value] : config_.params) {
      if (param == name) return &value;
    }
    return nullptr;
  }
  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  const RuleConfig& config_;
  std::string_view key_;
  std::vector<std::string> read_;
  std::string error_;
};

// The rule of `config` on ticks.
Result<std::unique_ptr<Rule>> MakeTickRule(const RuleConfig& config, const PctSmaParams& pct_sma,
                                           std::string_view key) {
  Params params(config, key);
  const std::string_view name = config.rule;
  if (name == "pct_sma") {
    if (Status s = params.Finish(name, "no parameters here: they come from [trends]"); !s.ok())
      return s;
    if (Status s = params.Check(pct_sma.validate()); !s.ok()) return s;
    return std::unique_ptr<Rule>(std::make_unique<PctSmaRule>(pct_sma));
  }
  if (name == "sma_cross") {
    SmaCrossParams p;
    params.Int("fast", p.fast);
    params.Int("slow", p.slow);
    if (Status s = params.Finish(name, "fast, slow"); !s.ok()) return s;
    if (Status s = params.Check(p.validate()); !s.ok()) return s;
    return std::unique_ptr<Rule>(std::make_unique<SmaCrossRule>(p));
  }
  if (name == "rsi") {
    RsiRuleParams p;
    params.Int("period", p.period);
    params.Double("lower", p.lower);
    params.Double("upper", p.upper);
    params.Int("window", p.window);
    if (Status s = params.Finish(name, "period, lower, upper, window"); !s.ok()) return s;
    if (Status s = params.Check(p.validate()); !s.ok()) return s;
    return std::unique_ptr<Rule>(std::make_unique<RsiRule>(p));
  }
  if (name == "bollinger") {
    BollingerRuleParams p;
    params.Int("period", p.period);
    params.Double("k", p.k);
    params.Mode("mode", p.mode);
    if (Status s = params.Finish(name, "period, k, mode"); !s.ok()) return s;
    if (Status s = params.Check(p.validate()); !s.ok()) return s;
    return std::unique_ptr<Rule>(std::make_unique<BollingerRule>(p));
  }
  // The default's name sits in `default`, a symbol's in `rule`.
  const std::string where =
      key == "rules" ? std::string("rules.default") : fmt::format("{}.rule", key);
  if (name.empty()) return Status::Error(fmt::format("{} must name a rule: {}", where, kRuleNames));
  return Status::Error(fmt::format("{} must be one of {}, got \"{}\"", where, kRuleNames, name));
}

}  // namespace

Result<std::unique_ptr<Rule>> MakeRule(const RuleConfig& config, const PctSmaParams& pct_sma,
                                       std::string_view key, std::span<const Interval> intervals) {
  auto rule = MakeTickRule(config, pct_sma, key);
  if (!rule || config.on.empty() || config.on == "tick") return rule;
  auto interval = FindInterval(intervals, config.on);
  if (!interval) {
    std::string kept;
    for (const Interval& i : intervals)
      kept += fmt::format("{}\"{}\"", kept.empty() ? "" : ", ", i.name);
    // Only bars the store keeps can be read: naming them says what to write or to add.
    return Status::Error(fmt::format(
        "{}.on must be \"tick\" or one of the bar intervals kept ([candles] intervals: {}), got "
        "\"{}\"",
        key, kept, config.on));
  }
  return std::unique_ptr<Rule>(std::make_unique<OnBars>(std::move(*rule), std::move(*interval)));
}

Result<std::shared_ptr<const RuleBook>> RuleBook::From(const RulesConfig& config,
                                                       const PctSmaParams& pct_sma,
                                                       std::span<const Interval> intervals) {
  auto book = std::make_shared<RuleBook>();
  auto fallback = MakeRule(config.fallback, pct_sma, "rules", intervals);
  if (!fallback) return fallback.status();
  book->fallback_ = std::move(*fallback);
  for (const auto& [symbol, rule_config] : config.symbols) {
    auto rule = MakeRule(rule_config, pct_sma, fmt::format("rules.{}", symbol), intervals);
    if (!rule) return rule.status();
    book->symbols_.emplace_back(symbol, std::move(*rule));
  }
  return std::shared_ptr<const RuleBook>(std::move(book));
}

std::shared_ptr<const RuleBook> RuleBook::PctSmaOnly(const PctSmaParams& pct_sma) {
  auto book = std::make_shared<RuleBook>();
  book->fallback_ = std::make_unique<PctSmaRule>(pct_sma);
  return book;
}

const Rule& RuleBook::For(std::string_view symbol) const {
  for (const auto& [name, rule] : symbols_) {
    if (name == symbol) return *rule;
  }
  return *fallback_;
}

}  // namespace stockpipe::rules
