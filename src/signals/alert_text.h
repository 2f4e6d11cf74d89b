// Alert texts, word for word the reference pipeline's, in Polish (`pl`) or English (`en`).
//
// One alert reads:
//   📉 Stock Alert — AAPL
//   Action: BUY
//   Reason: -2.07% vs last 5 pt(s) and price below SMA5
//   Last: 194.67
//   SMA5: 196.24 (diff: 0.80%)
//   Params: THRESH_PCT=0.3%, LOOKBACK_POINTS=5, SMA_WINDOW=5, MIN_POINTS=5, EPS_PCT=0.1%
// followed, in a sent message, by the time line and optionally a raw JSON footer.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/timestamp.h"
#include "signals/pct_sma.h"

namespace stockpipe {

enum class Lang { kPl, kEn };
// "pl" / "en"; anything else is an error the caller reports.
bool ParseLang(std::string_view text, Lang& out);

struct Alert {
  std::string symbol;
  Action action = Action::kBuy;
  Evaluation evaluation;
  PctSmaParams params;
};

// "BUY" / "SELL" in English, "KUPUJ" / "SPRZEDAJ" in Polish.
std::string_view LocalAction(Action action, Lang lang);

// The alert's body without the time line (what the golden vectors hold).
std::string AlertBody(const Alert& alert, Lang lang);

// "Alerts: AAPL:BUY, MSFT:SELL" ("Alerty: ..." in Polish), cut to 100 characters.
std::string AlertSubject(std::span<const Alert> alerts, Lang lang);

// The whole message for a run: every alert's body and time line, blank-line separated, and the
// JSON footer when asked for.
std::string AlertMessageBody(std::span<const Alert> alerts, Lang lang, Micros now,
                             bool include_json_footer);

// Cuts `text` to at most `max_chars` Unicode characters without splitting one.
std::string CutToChars(std::string_view text, std::size_t max_chars);

// Python's repr() of a float ("1.5", "2.0", "1e-05"): how the reference prints parameters.
std::string PythonFloatRepr(double value);

}  // namespace stockpipe
