#include "rules/rule_alert_text.h"

#include <fmt/format.h>

#include <vector>

#include "codec/json_write.h"
#include "rules/bollinger_rule.h"
#include "rules/pct_sma_rule.h"
#include "rules/rsi_rule.h"
#include "rules/sma_cross_rule.h"

namespace stockpipe::rules {
namespace {

struct Words {
  std::string_view title, action, reason, last, params, time;
  std::string_view golden, death;             // {fast} {slow}
  std::string_view oversold, overbought;      // {period} {threshold}
  std::string_view above_upper, below_lower;  // Bollinger
  std::string_view previous, bands;
};

constexpr Words kEnglish{"Stock Alert",
                         "Action",
                         "Reason",
                         "Last",
                         "Params",
                         "Time",
                         "golden cross: SMA{} crossed above SMA{}",
                         "death cross: SMA{} crossed below SMA{}",
                         "RSI{} fell below {} (oversold)",
                         "RSI{} rose above {} (overbought)",
                         "price broke above the upper Bollinger band",
                         "price broke below the lower Bollinger band",
                         "previous",
                         "lower/middle/upper"};
constexpr Words kPolish{"Alert giełdowy",
                        "Akcja",
                        "Powód",
                        "Ostatni",
                        "Parametry",
                        "Czas",
                        "złoty krzyż: SMA{} przebiła SMA{} od dołu",
                        "krzyż śmierci: SMA{} przebiła SMA{} od góry",
                        "RSI{} spadł poniżej {} (wyprzedanie)",
                        "RSI{} wzrósł powyżej {} (wykupienie)",
                        "cena przebiła górną wstęgę Bollingera",
                        "cena przebiła dolną wstęgę Bollingera",
                        "poprzednio",
                        "dolna/środkowa/górna"};

const Words& For(Lang lang) {
  return lang == Lang::kPl ? kPolish : kEnglish;
}

double NumberOf(const Decision& d, std::string_view name) {
  for (const Number& n : d.Numbers()) {
    if (n.name == name) return n.value;
  }
  return 0;
}

// Reason, numbers and params lines of a rule other than pct_sma.
struct Lines {
  std::string reason, numbers, params;
};

Lines LinesFor(const RuleAlert& a, const Words& w) {
  const Decision& d = a.decision;
  Lines l;
  if (const auto* cross = dynamic_cast<const SmaCrossRule*>(a.rule)) {
    const SmaCrossParams& p = cross->params();
    l.reason =
        fmt::format(fmt::runtime(d.reason == "golden_cross" ? w.golden : w.death), p.fast, p.slow);
    l.numbers = fmt::format("SMA{}: {:.2f}, SMA{}: {:.2f}", p.fast, NumberOf(d, "fast_sma"), p.slow,
                            NumberOf(d, "slow_sma"));
    l.params = fmt::format("RULE=sma_cross, fast={}, slow={}", p.fast, p.slow);
  } else if (const auto* rsi = dynamic_cast<const RsiRule*>(a.rule)) {
    const RsiRuleParams& p = rsi->params();
    const bool low = d.reason == "entered_oversold";
    l.reason = fmt::format(fmt::runtime(low ? w.oversold : w.overbought), p.period,
                           PythonFloatRepr(low ? p.lower : p.upper));
    l.numbers = fmt::format("RSI{}: {:.2f} ({}: {:.2f})", p.period, NumberOf(d, "rsi"), w.previous,
                            NumberOf(d, "prev_rsi"));
    l.params = fmt::format("RULE=rsi, period={}, lower={}, upper={}, window={}", p.period,
                           PythonFloatRepr(p.lower), PythonFloatRepr(p.upper), p.window);
  } else if (const auto* bands = dynamic_cast<const BollingerRule*>(a.rule)) {
    const BollingerRuleParams& p = bands->params();
    l.reason = std::string(d.reason == "broke_above_upper" ? w.above_upper : w.below_lower);
    l.numbers = fmt::format("BB{} {}: {:.2f} / {:.2f} / {:.2f}", p.period, w.bands,
                            NumberOf(d, "lower"), NumberOf(d, "middle"), NumberOf(d, "upper"));
    l.params =
        fmt::format("RULE=bollinger, period={}, k={}, mode={}", p.period, PythonFloatRepr(p.k),
                    p.mode == BollingerMode::kMomentum ? "momentum" : "reversion");
  }
  return l;
}

bool IsPctSma(const RuleAlert& a) {
  return dynamic_cast<const PctSmaRule*>(a.rule) != nullptr;
}

}  // namespace

Alert ToAlert(const RuleAlert& a) {
  Alert alert;
  alert.symbol = a.symbol;
  alert.action = a.decision.action.value_or(Action::kBuy);
  if (const auto* pct = dynamic_cast<const PctSmaRule*>(a.rule)) {
    alert.evaluation = a.decision.pct_sma;
    alert.params = pct->params();
  } else {
    alert.evaluation.action = a.decision.action;
    alert.evaluation.last = a.decision.last;
  }
  return alert;
}

std::string RuleAlertBody(const RuleAlert& a, Lang lang) {
  if (IsPctSma(a)) return AlertBody(ToAlert(a), lang);
  const Words& w = For(lang);
  const Action action = a.decision.action.value_or(Action::kBuy);
  const Lines l = LinesFor(a, w);
  return fmt::format("{} {} — {}\n{}: {}\n{}: {}\n{}: {:.2f}\n{}\n{}: {}",
                     action == Action::kBuy ? "📉" : "📈", w.title, a.symbol, w.action,
                     LocalAction(action, lang), w.reason, l.reason, w.last, a.decision.last,
                     l.numbers, w.params, l.params);
}

std::string RuleAlertMessageBody(std::span<const RuleAlert> alerts, Lang lang, Micros now,
                                 bool include_json_footer) {
  bool all_reference = true;
  for (const RuleAlert& a : alerts) all_reference = all_reference && IsPctSma(a);
  if (all_reference) {
    std::vector<Alert> reference;
    for (const RuleAlert& a : alerts) reference.push_back(ToAlert(a));
    return AlertMessageBody(reference, lang, now, include_json_footer);
  }
  const std::string time = FormatCanonical(now);
  std::string body;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    if (i > 0) body += "\n\n";
    body += RuleAlertBody(alerts[i], lang);
    body += fmt::format("\n{}: {}", For(lang).time, time);
  }
  if (include_json_footer) {
    // The reference's fields for pct_sma; the rule, its reason and its numbers for the others.
    std::string json = "[";
    for (std::size_t i = 0; i < alerts.size(); ++i) {
      const RuleAlert& a = alerts[i];
      const Decision& d = a.decision;
      if (i > 0) json += ',';
      json += R"({"symbol":)";
      AppendJsonString(a.symbol, json);
      json += fmt::format(R"(,"action":"{}","rule":"{}","reason":"{}","last":)",
                          ActionName(d.action.value_or(Action::kBuy)), a.rule->Name(), d.reason);
      AppendShortestDouble(d.last, json);
      for (const Number& n : d.Numbers()) {
        json += fmt::format(R"(,"{}":)", n.name);
        AppendShortestDouble(n.value, json);
      }
      json += R"(,"time":")" + time + "\"}";
    }
    body += "\n\n---\n" + json + "]";
  }
  return body;
}

}  // namespace stockpipe::rules
