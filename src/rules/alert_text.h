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
// (Rule::AlertText); the rest is laid out here. A sent message adds each alert's time line as its
// second line (`⏰ 2026-12-04 14:10:21 UTC`, as the reference does) and optionally the
// reference's raw JSON footer.
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

// "⏰ 2026-12-04 14:10:21 UTC": the reference's time line, whole seconds.
std::string AlertTimeLine(Micros now);

// The alert as a message carries it: AlertBody with AlertTimeLine(now) as its second line.
std::string AlertBlock(const Alert& alert, Lang lang, Micros now);

// One alert's part of a subject: "Alerts: AAPL:BUY" ("Alerty: AAPL:KUPUJ" in Polish).
std::string AlertSubjectPart(const Alert& alert, Lang lang);

// The parts of every alert joined by ", " and cut to 100 characters, as the reference does:
// "Alerts: AAPL:BUY, Alerts: MSFT:SELL" (the prefix repeats; mail filters built on the reference's
// subjects rely on it).
std::string AlertSubject(std::span<const Alert> alerts, Lang lang);

// The whole message for a run, byte for byte the reference's: every AlertBlock, blank-line
// separated, and when asked for the footer "\n\n---\nRaw JSON:\n" + the reference's
// json.dumps({"alerts": [...]}, indent=2, ensure_ascii=False). Per alert: symbol, action,
// delta_pct, last, sma, dev_pct, message (its block), subject_part. An alert of another rule has
// rule and reason after its action, then last and its rule's numbers, where the reference's
// numbers are.
std::string AlertMessageBody(std::span<const Alert> alerts, Lang lang, Micros now,
                             bool include_json_footer);

// Cuts `text` to at most `max_chars` Unicode characters without splitting one.
std::string CutToChars(std::string_view text, std::size_t max_chars);

// Python's repr() of a float ("1.5", "2.0", "1e-05"): how the reference prints parameters.
std::string PythonFloatRepr(double value);

}  // namespace stockpipe
