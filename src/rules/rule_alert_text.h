// Alert texts for every rule, in the reference's layout and both languages (pl, en).
//
// pct_sma alerts are the reference's own text (signals/alert_text.h), byte for byte. The other
// rules read, for example:
//   📉 Stock Alert — AAPL
//   Action: BUY
//   Reason: golden cross: SMA10 crossed above SMA50
//   Last: 194.67
//   SMA10: 196.24, SMA50: 195.10
//   Params: RULE=sma_cross, fast=10, slow=50
// 📉 marks a BUY and 📈 a SELL, as in the reference.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/timestamp.h"
#include "rules/rule.h"
#include "signals/alert_text.h"

namespace stockpipe::rules {

struct RuleAlert {
  std::string symbol;
  const Rule* rule = nullptr;  // outlives the alert (owned by a RuleBook)
  Decision decision;           // has an action
};

// One alert's body without the time line.
std::string RuleAlertBody(const RuleAlert& alert, Lang lang);

// The whole message for a run, as AlertMessageBody: bodies with their time lines, blank-line
// separated, and the JSON footer when asked for. When every alert is pct_sma this IS
// AlertMessageBody's text.
std::string RuleAlertMessageBody(std::span<const RuleAlert> alerts, Lang lang, Micros now,
                                 bool include_json_footer);

// The reference's Alert for a pct_sma alert; for the other rules an Alert with the action and
// `last` only (enough for AlertSubject).
Alert ToAlert(const RuleAlert& alert);

}  // namespace stockpipe::rules
