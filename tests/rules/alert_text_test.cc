// Alert texts: Python float repr of parameters, character-safe cutting, the 100-character
// subject, and the whole message of a run (bodies, time lines, JSON footer).
#include "rules/alert_text.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cctype>
#include <cmath>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "core/timestamp.h"
#include "rules/pct_sma_rule.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

// Counts code points; fails the test on malformed UTF-8.
std::size_t Utf8Chars(std::string_view text) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    EXPECT_NE(len, 0u) << "bad lead byte at " << i << " in " << text;
    if (len == 0) return chars;
    EXPECT_LE(i + len, text.size()) << "truncated character at " << i << " in " << text;
    if (i + len > text.size()) return chars;
    for (std::size_t k = 1; k < len; ++k) {
      EXPECT_EQ(static_cast<unsigned char>(text[i + k]) & 0xC0, 0x80) << "at " << i + k;
    }
    i += len;
    ++chars;
  }
  return chars;
}

// A reference-rule alert with these numbers; its rule is kept for the whole test program.
Alert MakeAlert(std::string symbol, Action action, double last = 101.25, double sma = 100.0,
                double delta = 2.5, double dev = 1.25, const PctSmaParams& params = {}) {
  static std::deque<rules::PctSmaRule> rules;
  Evaluation e;
  e.action = action;
  e.has_numbers = true;
  e.last = last;
  e.sma = sma;
  e.delta_pct = delta;
  e.dev_pct = dev;
  return {std::move(symbol), &rules.emplace_back(params), rules::PctSmaRule::DecisionOf(e)};
}

// ---- PythonFloatRepr ----

struct ReprCase {
  double value;
  const char* python;
};

class PythonFloatReprTest : public ::testing::TestWithParam<ReprCase> {};

TEST_P(PythonFloatReprTest, MatchesPythonRepr) {
  EXPECT_EQ(PythonFloatRepr(GetParam().value), GetParam().python);
}

// Every expected text is what CPython 3 prints for repr(value).
INSTANTIATE_TEST_SUITE_P(
    Values, PythonFloatReprTest,
    ::testing::Values(
        ReprCase{1.5, "1.5"}, ReprCase{2.0, "2.0"}, ReprCase{0.0, "0.0"}, ReprCase{-0.0, "-0.0"},
        ReprCase{0.2, "0.2"}, ReprCase{0.3, "0.3"}, ReprCase{0.1 + 0.2, "0.30000000000000004"},
        ReprCase{1e-05, "1e-05"}, ReprCase{1.5e-05, "1.5e-05"}, ReprCase{1.23e-07, "1.23e-07"},
        ReprCase{0.0001, "0.0001"}, ReprCase{0.00012, "0.00012"}, ReprCase{10.0, "10.0"},
        ReprCase{100.0, "100.0"}, ReprCase{100000.0, "100000.0"}, ReprCase{1234567.0, "1234567.0"},
        ReprCase{1e15, "1000000000000000.0"}, ReprCase{1e16, "1e+16"}, ReprCase{1.5e16, "1.5e+16"},
        ReprCase{1e22, "1e+22"}, ReprCase{1e100, "1e+100"}, ReprCase{-2.5, "-2.5"},
        ReprCase{-1e-05, "-1e-05"}, ReprCase{123.456, "123.456"}, ReprCase{5e-324, "5e-324"},
        ReprCase{1.7976931348623157e308, "1.7976931348623157e+308"},
        ReprCase{std::numeric_limits<double>::infinity(), "inf"},
        ReprCase{-std::numeric_limits<double>::infinity(), "-inf"}),
    [](const ::testing::TestParamInfo<ReprCase>& info) {
      std::string name = std::to_string(info.index) + "_";
      for (char c : std::string(info.param.python)) name += std::isalnum(c) ? c : '_';
      return name;
    });

TEST(PythonFloatRepr, NanIsNan) {
  EXPECT_EQ(PythonFloatRepr(std::numeric_limits<double>::quiet_NaN()), "nan");
}

TEST(PythonFloatRepr, ParametersInTheBodyUseIt) {
  PctSmaParams params;
  params.thresh_pct = 2.0;
  params.eps_pct = 1e-05;
  const Alert a = MakeAlert("AAPL", Action::kSell, 101.25, 100.0, 2.5, 1.25, params);
  const std::string body = AlertBody(a, Lang::kEn);
  EXPECT_NE(body.find("THRESH_PCT=2.0%"), std::string::npos) << body;
  EXPECT_NE(body.find("EPS_PCT=1e-05%"), std::string::npos) << body;
}

// ---- CutToChars ----

TEST(CutToChars, ShortTextIsUnchanged) {
  EXPECT_EQ(CutToChars("abc", 3), "abc");
  EXPECT_EQ(CutToChars("abc", 100), "abc");
  EXPECT_EQ(CutToChars("", 0), "");
  EXPECT_EQ(CutToChars("zażółć", 6), "zażółć");
}

TEST(CutToChars, CountsCharactersNotBytes) {
  EXPECT_EQ(CutToChars("abcdef", 3), "abc");
  EXPECT_EQ(CutToChars("zażółć gęślą jaźń", 4), "zażó");
  EXPECT_EQ(CutToChars("📉📈📉", 2), "📉📈");
  EXPECT_EQ(CutToChars("abc", 0), "");
}

TEST(CutToChars, NeverSplitsAMultiByteCharacterAtAnyLength) {
  // 1-, 2-, 3- and 4-byte characters mixed.
  const std::string text =
      "Alerty: ŻÓŁW:KUPUJ, Ą€📉:SPRZEDAJ, źdźbło 📈 — końcówka ✅⚠️";
  const std::size_t total = Utf8Chars(text);
  for (std::size_t n = 0; n <= total + 2; ++n) {
    SCOPED_TRACE("cut to " + std::to_string(n));
    const std::string cut = CutToChars(text, n);
    EXPECT_EQ(Utf8Chars(cut), std::min(n, total));
    EXPECT_EQ(text.compare(0, cut.size(), cut), 0) << "not a prefix";
  }
}

// ---- AlertSubject ----

TEST(AlertSubject, OneAlertPerLanguage) {
  const std::vector<Alert> alerts{MakeAlert("AAPL", Action::kBuy)};
  EXPECT_EQ(AlertSubject(alerts, Lang::kEn), "Alerts: AAPL:BUY");
  EXPECT_EQ(AlertSubject(alerts, Lang::kPl), "Alerty: AAPL:KUPUJ");
}

TEST(AlertSubject, SeveralAlertsInOrder) {
  const std::vector<Alert> alerts{MakeAlert("AAPL", Action::kBuy),
                                  MakeAlert("MSFT", Action::kSell)};
  // The reference repeats the prefix per alert; mail filters built on its subjects rely on it.
  EXPECT_EQ(AlertSubject(alerts, Lang::kEn), "Alerts: AAPL:BUY, Alerts: MSFT:SELL");
  EXPECT_EQ(AlertSubject(alerts, Lang::kPl), "Alerty: AAPL:KUPUJ, Alerty: MSFT:SPRZEDAJ");
}

TEST(AlertSubject, ManyAlertsAreCutToOneHundredCharacters) {
  std::vector<Alert> alerts;
  for (int i = 0; i < 50; ++i) {
    alerts.push_back(MakeAlert("SYM" + std::to_string(i), i % 2 ? Action::kSell : Action::kBuy));
  }
  for (Lang lang : {Lang::kEn, Lang::kPl}) {
    const std::string subject = AlertSubject(alerts, lang);
    EXPECT_EQ(Utf8Chars(subject), 100u) << subject;
    EXPECT_TRUE(subject.starts_with(lang == Lang::kPl ? "Alerty: SYM0:KUPUJ, Alerty: SYM1:SPRZEDAJ"
                                                      : "Alerts: SYM0:BUY, Alerts: SYM1:SELL"))
        << subject;
  }
}

TEST(AlertSubject, CutFallsInsideAMultiByteSymbolWithoutSplittingIt) {
  // Symbols made of 2-byte letters: the 100-character limit lands between bytes of one letter
  // for some prefix length; the cut must stay valid UTF-8 at 100 characters.
  for (int pad = 0; pad < 4; ++pad) {
    std::vector<Alert> alerts{
        MakeAlert(std::string(static_cast<std::size_t>(pad), 'X'), Action::kBuy)};
    for (int i = 0; i < 20; ++i) alerts.push_back(MakeAlert("ŻÓŁĆ📉", Action::kSell));
    const std::string subject = AlertSubject(alerts, Lang::kPl);
    SCOPED_TRACE(subject);
    EXPECT_EQ(Utf8Chars(subject), 100u);
    EXPECT_GT(subject.size(), 100u) << "the test must exercise multi-byte characters";
  }
}

TEST(AlertSubject, ExactlyOneHundredCharactersIsKept) {
  // "Alerts: " (8) + symbol + ":BUY" (4) = 100 -> symbol of 88 characters.
  const std::vector<Alert> exact{MakeAlert(std::string(88, 'A'), Action::kBuy)};
  EXPECT_EQ(AlertSubject(exact, Lang::kEn).size(), 100u);
  EXPECT_TRUE(AlertSubject(exact, Lang::kEn).ends_with(":BUY"));
  const std::vector<Alert> longer{MakeAlert(std::string(89, 'A'), Action::kBuy)};
  EXPECT_EQ(AlertSubject(longer, Lang::kEn), "Alerts: " + std::string(89, 'A') + ":BU");
}

// ---- AlertBody ----

TEST(AlertBody, EnglishBuyReadsLikeTheReference) {
  const Alert a = MakeAlert("AAPL", Action::kBuy, 194.67, 196.2426132, -2.0676124358587455,
                            0.8013617299303302, {0.3, 5, 5, 5, 0.1});
  EXPECT_EQ(AlertBody(a, Lang::kEn),
            "📉 Stock Alert — AAPL\nAction: BUY\nReason: -2.07% vs last 5 pt(s) and price below "
            "SMA5\nLast: 194.67\nSMA5: 196.24 (diff: 0.80%)\nParams: THRESH_PCT=0.3%, "
            "LOOKBACK_POINTS=5, SMA_WINDOW=5, MIN_POINTS=5, EPS_PCT=0.1%");
}

TEST(AlertBody, PolishSellReadsLikeTheReference) {
  Alert a = MakeAlert("SYM1", Action::kSell, 176.74, 169.72871484999996, 5.997551872769358,
                      4.130877415878843);
  EXPECT_EQ(AlertBody(a, Lang::kPl),
            "📈 Alert giełdowy — SYM1\nAkcja: SPRZEDAJ\nPowód: +6.00% w porównaniu z ostatnimi 15 "
            "pkt. i cena powyżej SMA20\nOstatni: 176.74\nSMA20: 169.73 (różnica: 4.13%)\n"
            "Parametry: THRESH_PCT=1.5%, LOOKBACK_POINTS=15, SMA_WINDOW=20, MIN_POINTS=20, "
            "EPS_PCT=0.2%");
}

// ---- AlertMessageBody ----

TEST(AlertMessageBody, EveryAlertWithItsTimeLineAsSecondLineBlankLineSeparated) {
  const std::vector<Alert> alerts{MakeAlert("AAPL", Action::kBuy, 99, 100, -2, 1),
                                  MakeAlert("MSFT", Action::kSell),
                                  MakeAlert("ŻABKA", Action::kBuy, 10, 11, -3, 9.09)};
  const Micros now = 1'755'182'292'999'999;  // 2025-08-14T14:38:12.999999Z
  // The reference's strftime: whole seconds, the fraction dropped (not rounded up to :13).
  EXPECT_EQ(AlertTimeLine(now), "⏰ 2025-08-14 14:38:12 UTC");
  for (Lang lang : {Lang::kEn, Lang::kPl}) {
    std::string expected;
    for (std::size_t i = 0; i < alerts.size(); ++i) {
      if (i) expected += "\n\n";
      const std::string body = AlertBody(alerts[i], lang);
      const std::size_t title_end = body.find('\n');
      expected +=
          body.substr(0, title_end) + "\n⏰ 2025-08-14 14:38:12 UTC" + body.substr(title_end);
      EXPECT_EQ(AlertBlock(alerts[i], lang, now),
                body.substr(0, title_end) + "\n⏰ 2025-08-14 14:38:12 UTC" + body.substr(title_end));
    }
    EXPECT_EQ(AlertMessageBody(alerts, lang, now, false), expected);
  }
}

TEST(AlertMessageBody, JsonFooterIsTheReferencesRawJsonByteForByte) {
  // tests/fixtures/reference_message_with_footer.txt is what the reference handler's own
  // _format_message and json.dumps({"alerts": ...}, indent=2, ensure_ascii=False) printed for
  // these three alerts (Polish, default parameters, 2025-08-14 14:38:12 UTC): quotes, a
  // backslash and a control character to escape, floats in Python's repr (0.30000000000000004,
  // 1e-07, 20.0).
  const std::vector<Alert> alerts{
      MakeAlert("AAPL", Action::kBuy, 99.5, 100.25, -2.0000000000000004, 0.7481296758104738),
      MakeAlert("MS\"FT\\", Action::kSell, 0.1 + 0.2, 0.25, 3.5, 20),
      MakeAlert("ŻABKA\x01", Action::kBuy, 1e-7, 2e-7, -50, 50)};
  const Micros now = 1'755'182'292'000'000;
  const std::string reference =
      testing::ReadFile(std::string(STOCKPIPE_FIXTURES) + "/reference_message_with_footer.txt");
  ASSERT_FALSE(reference.empty());
  EXPECT_EQ(AlertMessageBody(alerts, Lang::kPl, now, true), reference);
  // Without the footer: the reference's text before its "---".
  EXPECT_EQ(AlertMessageBody(alerts, Lang::kPl, now, false),
            reference.substr(0, reference.find("\n\n---\n")));

  // And it is JSON a consumer reads back: every alert's fields.
  const std::string body = AlertMessageBody(alerts, Lang::kPl, now, true);
  const std::string separator = "\n\n---\nRaw JSON:\n";
  const std::size_t at = body.find(separator);
  ASSERT_NE(at, std::string::npos) << body;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(body.substr(at + separator.size())).get(root), simdjson::SUCCESS);
  simdjson::dom::array array;
  ASSERT_EQ(root["alerts"].get_array().get(array), simdjson::SUCCESS);
  ASSERT_EQ(array.size(), alerts.size());
  std::size_t i = 0;
  for (simdjson::dom::element item : array) {
    const Alert& a = alerts[i++];
    EXPECT_EQ(std::string_view(item["symbol"]), a.symbol);
    EXPECT_EQ(std::string_view(item["action"]), ActionName(a.action()));
    EXPECT_EQ(double(item["last"]), a.decision.last);
    EXPECT_EQ(double(item["sma"]), a.decision.Value("sma"));
    EXPECT_EQ(double(item["delta_pct"]), a.decision.Value("delta_pct"));
    EXPECT_EQ(double(item["dev_pct"]), a.decision.Value("dev_pct"));
    EXPECT_EQ(std::string_view(item["message"]), AlertBlock(a, Lang::kPl, now));
    EXPECT_EQ(std::string_view(item["subject_part"]), AlertSubjectPart(a, Lang::kPl));
  }
}

TEST(AlertMessageBody, NoFooterUnlessAskedFor) {
  const std::vector<Alert> alerts{MakeAlert("AAPL", Action::kBuy)};
  EXPECT_EQ(AlertMessageBody(alerts, Lang::kEn, 0, false).find("---"), std::string::npos);
}

// ---- Words ----

TEST(AlertText, LanguagesAndLocalActions) {
  Lang lang{};
  EXPECT_TRUE(ParseLang("pl", lang));
  EXPECT_EQ(lang, Lang::kPl);
  EXPECT_TRUE(ParseLang("en", lang));
  EXPECT_EQ(lang, Lang::kEn);
  EXPECT_FALSE(ParseLang("PL", lang));
  EXPECT_FALSE(ParseLang("de", lang));
  EXPECT_FALSE(ParseLang("", lang));
  EXPECT_EQ(LocalAction(Action::kBuy, Lang::kPl), "KUPUJ");
  EXPECT_EQ(LocalAction(Action::kSell, Lang::kPl), "SPRZEDAJ");
  EXPECT_EQ(LocalAction(Action::kBuy, Lang::kEn), "BUY");
  EXPECT_EQ(LocalAction(Action::kSell, Lang::kEn), "SELL");
}

}  // namespace
}  // namespace stockpipe
