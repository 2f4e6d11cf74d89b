// Parity with the reference pipeline: every golden vector of tests/fixtures/pct_sma_vectors.jsonl
// through the library (EvaluatePctSma; PctSmaRule's alert through AlertSubject and AlertBody) and
// through the binary (`stockpipe trends eval`, the whole file on stdin).
//
// Decisions and reason codes exact, numbers within 1e-9 relative, subject and body byte-exact.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "rules/alert_text.h"
#include "rules/pct_sma_rule.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

const std::string kVectors = std::string(STOCKPIPE_FIXTURES) + "/pct_sma_vectors.jsonl";

// One golden vector, as the reference wrote it.
struct Vector {
  int line = 0;
  PctSmaParams params;
  std::string lang;
  std::vector<double> prices;
  std::optional<std::string> action;  // "BUY" / "SELL", empty for null
  std::string reason;                 // for null actions
  std::string symbol;
  double delta_pct = 0, last = 0, sma = 0, dev_pct = 0;
  std::string subject, body;
};

std::string Str(simdjson::dom::element e) {
  return std::string(std::string_view(e));
}

std::vector<Vector> LoadVectors() {
  std::vector<Vector> out;
  std::ifstream in(kVectors);
  simdjson::dom::parser parser;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    simdjson::dom::element root = parser.parse(line);
    Vector v;
    v.line = n;
    simdjson::dom::object params = root["params"];
    v.params.thresh_pct = double(params["THRESH_PCT"]);
    v.params.eps_pct = double(params["EPS_PCT"]);
    v.params.lookback_points = static_cast<int>(double(params["LOOKBACK_POINTS"]));
    v.params.sma_window = static_cast<int>(double(params["SMA_WINDOW"]));
    v.params.min_points = static_cast<int>(double(params["MIN_POINTS"]));
    v.lang = Str(root["lang"]);
    for (simdjson::dom::element p : simdjson::dom::array(root["prices"])) {
      v.prices.push_back(double(p));
    }
    if (!root["action"].is_null()) {
      v.action = Str(root["action"]);
      v.symbol = Str(root["symbol"]);
      v.delta_pct = double(root["delta_pct"]);
      v.last = double(root["last"]);
      v.sma = double(root["sma"]);
      v.dev_pct = double(root["dev_pct"]);
      v.subject = Str(root["subject"]);
      v.body = Str(root["body_without_time"]);
    } else {
      v.reason = Str(root["reason"]);
    }
    out.push_back(std::move(v));
  }
  return out;
}

::testing::AssertionResult NearRelative(const char* a_expr, const char* b_expr, double a,
                                        double b) {
  const double scale = std::max(std::abs(a), std::abs(b));
  if (a == b || std::abs(a - b) <= 1e-9 * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a_expr << " = " << a << " and " << b_expr << " = " << b
                                       << " differ by more than 1e-9 relative";
}

TEST(PctSmaVectors, FixtureHoldsAllThreeHundredVectorsOfEveryKind) {
  const auto vectors = LoadVectors();
  ASSERT_EQ(vectors.size(), 300u);
  int buy = 0, sell = 0, too_few = 0, noise = 0, none = 0;
  for (const Vector& v : vectors) {
    if (v.action == "BUY") ++buy;
    if (v.action == "SELL") ++sell;
    if (v.reason == "too_few_points") ++too_few;
    if (v.reason == "near_sma_noise") ++noise;
    if (v.reason == "no_signal") ++none;
  }
  EXPECT_GT(buy, 0);
  EXPECT_GT(sell, 0);
  EXPECT_GT(too_few, 0);
  EXPECT_GT(noise, 0);
  EXPECT_GT(none, 0);
  EXPECT_EQ(buy + sell + too_few + noise + none, 300);
}

TEST(PctSmaVectors, LibraryMatchesEveryVector) {
  const auto vectors = LoadVectors();
  ASSERT_EQ(vectors.size(), 300u);
  for (const Vector& v : vectors) {
    SCOPED_TRACE("vector on line " + std::to_string(v.line));
    ASSERT_TRUE(v.params.validate().ok()) << v.params.validate().message();
    const Evaluation e = EvaluatePctSma(v.prices, v.params);
    if (!v.action) {
      EXPECT_FALSE(e.action.has_value()) << "decided " << ActionName(*e.action);
      EXPECT_EQ(NoSignalCode(e.reason), v.reason);
      continue;
    }
    ASSERT_TRUE(e.action.has_value()) << "no decision: " << NoSignalCode(e.reason);
    EXPECT_EQ(ActionName(*e.action), *v.action);
    EXPECT_PRED_FORMAT2(NearRelative, e.delta_pct, v.delta_pct);
    EXPECT_PRED_FORMAT2(NearRelative, e.last, v.last);
    EXPECT_PRED_FORMAT2(NearRelative, e.sma, v.sma);
    EXPECT_PRED_FORMAT2(NearRelative, e.dev_pct, v.dev_pct);

    Lang lang{};
    ASSERT_TRUE(ParseLang(v.lang, lang));
    const rules::PctSmaRule rule(v.params);
    const Alert alert{v.symbol, &rule, rule.Evaluate(v.prices)};
    EXPECT_EQ(AlertSubject(std::span(&alert, 1), lang), v.subject);
    EXPECT_EQ(AlertBody(alert, lang), v.body);
  }
}

TEST(PctSmaVectors, TrendsEvalBinaryMatchesEveryVector) {
  const auto vectors = LoadVectors();
  ASSERT_EQ(vectors.size(), 300u);
  testing::TempDir dir;
  const auto result =
      testing::RunStockpipe({"trends", "eval"}, {.cwd = dir.path(), .stdin_file = kVectors});
  ASSERT_EQ(result.exit_code, 0) << result.err;

  std::vector<std::string> lines;
  std::istringstream out(result.out);
  for (std::string line; std::getline(out, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), vectors.size()) << "one output line per input line";

  simdjson::dom::parser parser;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const Vector& v = vectors[i];
    SCOPED_TRACE("vector on line " + std::to_string(v.line) + ": " + lines[i]);
    simdjson::dom::element root;
    ASSERT_EQ(parser.parse(lines[i]).get(root), simdjson::SUCCESS);
    ASSERT_TRUE(root.is_object());
    for (const char* key :
         {"action", "reason", "delta_pct", "sma", "dev_pct", "last", "subject", "body"}) {
      EXPECT_FALSE(root[key].error()) << "missing " << key;
    }
    if (!v.action) {
      EXPECT_TRUE(root["action"].is_null());
      EXPECT_EQ(Str(root["reason"]), v.reason);
      EXPECT_TRUE(root["subject"].is_null());
      EXPECT_TRUE(root["body"].is_null());
      continue;
    }
    ASSERT_TRUE(root["action"].is_string());
    EXPECT_EQ(Str(root["action"]), *v.action);
    EXPECT_TRUE(root["reason"].is_null());
    EXPECT_PRED_FORMAT2(NearRelative, double(root["delta_pct"]), v.delta_pct);
    EXPECT_PRED_FORMAT2(NearRelative, double(root["last"]), v.last);
    EXPECT_PRED_FORMAT2(NearRelative, double(root["sma"]), v.sma);
    EXPECT_PRED_FORMAT2(NearRelative, double(root["dev_pct"]), v.dev_pct);
    EXPECT_EQ(Str(root["subject"]), v.subject);
    EXPECT_EQ(Str(root["body"]), v.body);
  }
}

TEST(PctSmaVectors, TrendsEvalNumbersAreShortestRoundTripDoubles) {
  // The eval output's numbers must read back as exactly the library's doubles.
  const auto vectors = LoadVectors();
  std::vector<const Vector*> decided;
  for (const Vector& v : vectors) {
    if (!v.action) continue;
    decided.push_back(&v);
  }
  testing::TempDir dir;
  std::ifstream in(kVectors);
  std::string line, selected;
  for (int n = 1; std::getline(in, line); ++n) {
    if (vectors[static_cast<std::size_t>(n - 1)].action) selected += line + "\n";
  }
  const auto result =
      testing::RunStockpipe({"trends", "eval"}, {.cwd = dir.path(), .stdin_text = selected});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream out(result.out);
  simdjson::dom::parser parser;
  std::size_t i = 0;
  for (std::string got; std::getline(out, got); ++i) {
    ASSERT_LT(i, decided.size());
    const Vector& v = *decided[i];
    const Evaluation e = EvaluatePctSma(v.prices, v.params);
    simdjson::dom::element root = parser.parse(got);
    EXPECT_EQ(double(root["delta_pct"]), e.delta_pct) << got;
    EXPECT_EQ(double(root["sma"]), e.sma) << got;
    EXPECT_EQ(double(root["dev_pct"]), e.dev_pct) << got;
    EXPECT_EQ(double(root["last"]), e.last) << got;
  }
  EXPECT_EQ(i, decided.size());
}

}  // namespace
}  // namespace stockpipe
