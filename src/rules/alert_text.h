// Alerts and their texts, in Polish (`pl`) or English (`en`): one Alert from a rule's decision to
// every channel.
//
// One alert reads, whatever its rule (the reference's layout, word for word):
//   📉 Stock Alert — AAPL
//   Action: BUY
//   Reason: -2.07% vs last 5 pt(s) and price below SMA5
//   Last: 194.67
//   SMA5: 196.24 (diff: 0.80%)
//   Params: THRESH_PCT=0.3%, LOOKBACK_POINTS=5, SMA_WINDOW=5, MIN_POINTS=5, EPS_PCT=0.1%
// 📉 marks a BUY and 📈 a SELL. The reason, numbers and params lines are the rule's
// (Rule::AlertText); the rest is laid out here. A sent message adds each alert's time line and
// optionally a raw JSON footer.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/timestamp.h"
#include "rules/rule.h"

namespace stockpipe {

// "pl" / "en"; anything else is an error the caller reports.
bool ParseLang(std::string_view text, Lang& out);

struct Alert {
  std::string symbol;
  const rules::Rule* rule = nullptr;  // outlives the alert (owned by a RuleBook or the caller)
  rules::Decision decision;           // has an action

  Action action() const { return decision.action.value_or(Action::kBuy); }
};

// "BUY" / "SELL" in English, "KUPUJ" / "SPRZEDAJ" in Polish.
std::string_view LocalAction(Action action, Lang lang);

// The alert's body without the time line (what the golden vectors hold).
std::string AlertBody(const Alert& alert, Lang lang);

// "Alerts: AAPL:BUY, MSFT:SELL" ("Alerty: ..." in Polish), cut to 100 characters.
std::string AlertSubject(std::span<const Alert> alerts, Lang lang);

// The whole message for a run: every alert's body and time line, blank-line separated, and the
// JSON footer when asked for: per alert its symbol, action, rule and reason, last price, its
// rule's numbers and the time. When every alert's rule has the ReferenceFooter(), rule and reason
// are left out: the reference pipeline's footer exactly.
std::string AlertMessageBody(std::span<const Alert> alerts, Lang lang, Micros now,
                             bool include_json_footer);

// Cuts `text` to at most `max_chars` Unicode characters without splitting one.
std::string CutToChars(std::string_view text, std::size_t max_chars);

// Python's repr() of a float ("1.5", "2.0", "1e-05"): how the reference prints parameters.
std::string PythonFloatRepr(double value);

}  // namespace stockpipe
