// [rules] to rules: each symbol's rule or the default, parameters read by name, and every mistake
// an error naming its TOML key. Alert texts for the new rules in both languages; pct_sma alerts
// stay the reference's text.
#include "rules/rule_book.h"

#include <gtest/gtest.h>

#include <vector>

#include "codec/json_write.h"
#include "core/record.h"
#include "rules/alert_text.h"
#include "rules/pct_sma_rule.h"
#include "rules/sma_cross_rule.h"

namespace stockpipe::rules {
namespace {

RulesConfig Rules(RuleConfig fallback,
                  std::vector<std::pair<std::string, RuleConfig>> symbols = {}) {
  return {std::move(fallback), std::move(symbols)};
}

std::string ErrorOf(const RulesConfig& config) {
  auto book = RuleBook::From(config, PctSmaParams{});
  return book ? std::string("no error") : book.error();
}

TEST(RuleBook, EachSymbolGetsItsRuleOthersTheDefault) {
  auto book = RuleBook::From(
      Rules({"pct_sma", {}}, {{"AAPL", {"sma_cross", {{"fast", "3"}, {"slow", "7"}}}},
                              {"MSFT", {"rsi", {{"lower", "25.5"}}}},
                              {"TSLA", {"bollinger", {{"mode", "reversion"}, {"k", "3"}}}}}),
      PctSmaParams{2.0, 5, 5, 5, 0.1});
  ASSERT_TRUE(book) << book.error();
  EXPECT_EQ((*book)->For("AAPL").Describe(), "sma_cross fast=3 slow=7");
  EXPECT_EQ((*book)->For("AAPL").Needed(), 8u);
  EXPECT_EQ((*book)->For("MSFT").Describe(), "rsi period=14 lower=25.5 upper=70 window=100");
  EXPECT_EQ((*book)->For("TSLA").Describe(), "bollinger period=20 k=3 mode=reversion");
  // Not configured (and case matters): the default, with the [trends] parameters.
  EXPECT_EQ((*book)->For("aapl").Name(), "pct_sma");
  const auto* pct = dynamic_cast<const PctSmaRule*>(&(*book)->For("GOOG"));
  ASSERT_NE(pct, nullptr);
  EXPECT_EQ(pct->params().thresh_pct, 2.0);
  EXPECT_EQ(pct->Needed(), 6u);
}

TEST(RuleBook, TheDefaultTakesItsParametersFromTheRulesSection) {
  auto book = RuleBook::From(Rules({"sma_cross", {{"fast", "5"}, {"slow", "20"}}}), {});
  ASSERT_TRUE(book) << book.error();
  EXPECT_EQ((*book)->For("ANY").Describe(), "sma_cross fast=5 slow=20");
}

TEST(RuleBook, MistakesNameTheirKey) {
  EXPECT_EQ(ErrorOf(Rules({"macd", {}})),
            "rules.default must be one of pct_sma, sma_cross, rsi, bollinger, got \"macd\"");
  EXPECT_EQ(ErrorOf(Rules({"pct_sma", {}}, {{"AAPL", {"", {{"fast", "1"}}}}})),
            "rules.AAPL.rule must name a rule: pct_sma, sma_cross, rsi, bollinger");
  EXPECT_EQ(ErrorOf(Rules({"pct_sma", {}}, {{"AAPL", {"sma_cross", {{"fats", "1"}}}}})),
            "rules.AAPL.fats is not a parameter of sma_cross (it takes fast, slow)");
  EXPECT_EQ(ErrorOf(Rules({"pct_sma", {}}, {{"AAPL", {"sma_cross", {{"fast", "ten"}}}}})),
            "rules.AAPL.fast must be a whole number, got \"ten\"");
  EXPECT_EQ(ErrorOf(Rules({"pct_sma", {}}, {{"AAPL", {"sma_cross", {{"fast", "2.5"}}}}})),
            "rules.AAPL.fast must be a whole number, got \"2.5\"");
  EXPECT_EQ(ErrorOf(Rules({"pct_sma", {}}, {{"AAPL", {"sma_cross", {{"fast", "60"}}}}})),
            "rules.AAPL: fast must be smaller than slow, got fast=60 slow=50");
  EXPECT_EQ(ErrorOf(Rules({"pct_sma", {}}, {{"X", {"bollinger", {{"mode", "up"}}}}})),
            "rules.X.mode must be momentum or reversion, got \"up\"");
  EXPECT_EQ(ErrorOf(Rules({"pct_sma", {{"thresh_pct", "2"}}})),
            "rules.thresh_pct is not a parameter of pct_sma (it takes no parameters here: they "
            "come from [trends])");
  EXPECT_EQ(ErrorOf(Rules({"rsi", {{"upper", "x"}}})), "rules.upper must be a number, got \"x\"");
}

// --- rules on bars (on_bars.h) -----------------------------------------------------------------

TEST(RuleBook, OnAnIntervalReadsBarsOnTickOrNothingReadsTicks) {
  RuleConfig cross{"sma_cross", {{"fast", "3"}, {"slow", "7"}}, "5m"};
  RuleConfig rsi{"rsi", {}, "tick"};
  const std::vector<Interval> kept = {{"1m", 60'000'000}, {"5m", 300'000'000}};
  auto book = RuleBook::From(
      Rules({"pct_sma", {}, "1m"}, {{"AAPL", cross}, {"MSFT", rsi}, {"TSLA", {"rsi", {}}}}),
      PctSmaParams{}, kept);
  ASSERT_TRUE(book) << book.error();
  const Rule& aapl = (*book)->For("AAPL");
  ASSERT_NE(aapl.On(), nullptr);
  EXPECT_EQ(*aapl.On(), kept[1]);
  EXPECT_EQ(aapl.Name(), "sma_cross");
  EXPECT_EQ(aapl.Describe(), "sma_cross fast=3 slow=7 on=5m");
  EXPECT_EQ(aapl.Needed(), 8u);
  EXPECT_EQ(aapl.SmaWindow(), 7);
  EXPECT_EQ((*book)->For("MSFT").On(), nullptr);
  EXPECT_EQ((*book)->For("TSLA").On(), nullptr);
  // The default's `on` is the default's only: a symbol's table is a rule of its own.
  ASSERT_NE((*book)->For("GOOG").On(), nullptr);
  EXPECT_EQ((*book)->For("GOOG").On()->name, "1m");
  EXPECT_FALSE((*book)->For("GOOG").ReferenceFooter());
  // The same decisions as the rule on ticks, from the same series.
  const std::vector<double> closes{10, 10, 10, 10, 10, 10, 10, 14};
  const SmaCrossRule plain({3, 7});
  EXPECT_EQ(aapl.Evaluate(closes).action, plain.Evaluate(closes).action);
  EXPECT_EQ(aapl.Evaluate(closes).Value("fast_sma"), plain.Evaluate(closes).Value("fast_sma"));
}

TEST(RuleBook, AnOnThatNamesNoKeptIntervalIsAnErrorNamingTheKeptOnes) {
  const std::vector<Interval> kept = {{"1m", 60'000'000}, {"1h", 3'600'000'000}};
  const auto error = [&](RulesConfig config) {
    auto book = RuleBook::From(config, PctSmaParams{}, kept);
    return book ? std::string("no error") : book.error();
  };
  EXPECT_EQ(error(Rules({"pct_sma", {}}, {{"AAPL", {"sma_cross", {}, "5m"}}})),
            "rules.AAPL.on must be \"tick\" or one of the bar intervals kept ([candles] "
            "intervals: \"1m\", \"1h\"), got \"5m\"");
  EXPECT_EQ(error(Rules({"pct_sma", {}, "ticks"})),
            "rules.on must be \"tick\" or one of the bar intervals kept ([candles] intervals: "
            "\"1m\", \"1h\"), got \"ticks\"");
  // The same length under another name is not the kept interval: bars are read by name.
  EXPECT_NE(error(Rules({"pct_sma", {}, "60m"})), "no error");
  // A bad rule is reported before its `on`.
  EXPECT_EQ(error(Rules({"pct_sma", {}}, {{"AAPL", {"sma_cross", {{"fast", "x"}}, "5m"}}})),
            "rules.AAPL.fast must be a whole number, got \"x\"");
}

TEST(RuleAlertText, ABarRulesParamsLineNamesItsInterval) {
  const std::vector<Interval> kept = {{"5m", 300'000'000}};
  auto book = RuleBook::From(
      Rules({"pct_sma", {}, "5m"}, {{"AAPL", {"sma_cross", {{"fast", "2"}, {"slow", "4"}}, "5m"}}}),
      PctSmaParams{}, kept);
  ASSERT_TRUE(book) << book.error();
  const Rule& cross = (*book)->For("AAPL");
  const Alert alert{"AAPL", &cross, cross.Evaluate(std::vector<double>{10, 10, 10, 10, 14})};
  EXPECT_EQ(AlertBody(alert, Lang::kEn),
            "📉 Stock Alert — AAPL\nAction: BUY\nReason: golden cross: SMA2 crossed above SMA4\n"
            "Last: 14.00\nSMA2: 12.00, SMA4: 11.00\nParams: RULE=sma_cross, fast=2, slow=4, on=5m");
  const Rule& pct = (*book)->For("MSFT");
  std::vector<double> falling;
  for (double p = 100; falling.size() < 25; p *= 0.99) falling.push_back(p);
  const Alert reference{"MSFT", &pct, pct.Evaluate(falling)};
  ASSERT_TRUE(reference.decision.action);
  EXPECT_TRUE(AlertBody(reference, Lang::kPl)
                  .ends_with("Parametry: THRESH_PCT=1.5%, LOOKBACK_POINTS=15, SMA_WINDOW=20, "
                             "MIN_POINTS=20, EPS_PCT=0.2%, on=5m"))
      << AlertBody(reference, Lang::kPl);
  // Not the reference pipeline's alert any more: the footer says which rule.
  const std::string body =
      AlertMessageBody(std::vector<Alert>{reference}, Lang::kEn, 1'755'182'292'000'000, true);
  EXPECT_NE(body.find("\"rule\": \"pct_sma\""), std::string::npos) << body;
}

// --- alert texts --------------------------------------------------------------------------------

TEST(RuleAlertText, SmaCrossInEnglishAndPolish) {
  const SmaCrossRule rule({2, 4});
  const Decision d = rule.Evaluate(std::vector<double>{10, 10, 10, 10, 14});
  const Alert alert{"AAPL", &rule, d};
  EXPECT_EQ(AlertBody(alert, Lang::kEn),
            "📉 Stock Alert — AAPL\nAction: BUY\nReason: golden cross: SMA2 crossed above SMA4\n"
            "Last: 14.00\nSMA2: 12.00, SMA4: 11.00\nParams: RULE=sma_cross, fast=2, slow=4");
  EXPECT_EQ(AlertBody(alert, Lang::kPl),
            "📉 Alert giełdowy — AAPL\nAkcja: KUPUJ\nPowód: złoty krzyż: SMA2 przebiła SMA4 od "
            "dołu\nOstatni: 14.00\nSMA2: 12.00, SMA4: 11.00\nParametry: RULE=sma_cross, fast=2, "
            "slow=4");
}

TEST(RuleAlertText, ARunOfReferenceAlertsIsTheReferenceMessage) {
  const PctSmaRule rule(PctSmaParams{});
  std::vector<double> falling;
  for (double p = 100; falling.size() < 25; p *= 0.99) falling.push_back(p);
  const Alert alert{"MSFT", &rule, rule.Evaluate(falling)};
  ASSERT_TRUE(alert.decision.action);
  const std::vector<Alert> ours{alert};
  // The reference's message, field by field: its title, its time line, the rest of its body,
  // its footer (no rule, no reason: the Python pipeline's fields in its order).
  const rules::Decision& d = alert.decision;
  const std::string text = AlertBody(alert, Lang::kPl);
  const std::size_t title_end = text.find('\n');
  const std::string body =
      text.substr(0, title_end) + "\n⏰ 2025-08-14 14:38:12 UTC" + text.substr(title_end);
  std::string footer =
      "\n\n---\nRaw JSON:\n{\n  \"alerts\": [\n    {\n      \"symbol\": \"MSFT\",\n"
      "      \"action\": \"BUY\",\n      \"delta_pct\": ";
  footer += PythonFloatRepr(d.Value("delta_pct")) + ",\n      \"last\": ";
  footer += PythonFloatRepr(d.last) + ",\n      \"sma\": ";
  footer += PythonFloatRepr(d.Value("sma")) + ",\n      \"dev_pct\": ";
  footer += PythonFloatRepr(d.Value("dev_pct")) + ",\n      \"message\": ";
  AppendJsonString(body, footer);
  footer += ",\n      \"subject_part\": \"Alerty: MSFT:KUPUJ\"\n    }\n  ]\n}";
  EXPECT_EQ(AlertMessageBody(ours, Lang::kPl, 1'755'182'292'000'000, false), body);
  EXPECT_EQ(AlertMessageBody(ours, Lang::kPl, 1'755'182'292'000'000, true), body + footer);
  EXPECT_TRUE(
      AlertBody(alert, Lang::kEn).starts_with("📉 Stock Alert — MSFT\nAction: BUY\nReason: "))
      << AlertBody(alert, Lang::kEn);
}

TEST(RuleAlertText, AMixedRunHasEveryBodyTimeLineAndFooter) {
  const PctSmaRule reference_rule(PctSmaParams{});
  std::vector<double> falling;
  for (double p = 100; falling.size() < 25; p *= 0.99) falling.push_back(p);
  const SmaCrossRule cross({2, 4});
  const std::vector<Alert> alerts{
      {"MSFT", &reference_rule, reference_rule.Evaluate(falling)},
      {"AAPL", &cross, cross.Evaluate(std::vector<double>{10, 10, 10, 10, 6})}};
  const std::string body = AlertMessageBody(alerts, Lang::kEn, 1'755'182'292'000'000, true);
  EXPECT_EQ(body.find("📉 Stock Alert — MSFT\n⏰ 2025-08-14 14:38:12 UTC\nAction: BUY\n"), 0u)
      << body;
  EXPECT_NE(body.find("📈 Stock Alert — AAPL\n⏰ 2025-08-14 14:38:12 UTC\nAction: SELL\nReason: "
                      "death cross: SMA2 crossed below SMA4\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(
                R"("symbol": "AAPL",
      "action": "SELL",
      "rule": "sma_cross",
      "reason": "death_cross",
      "last": 6.0,
      "fast_sma": 8.0,
      "slow_sma": 9.0,
      "prev_fast_sma": 10.0,
      "prev_slow_sma": 10.0,
      "message": "📈 Stock Alert — AAPL\n⏰ 2025-08-14 14:38:12 UTC\nAction: SELL\n)"),
            std::string::npos)
      << body;
}

}  // namespace
}  // namespace stockpipe::rules
