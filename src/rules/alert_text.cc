#include "rules/alert_text.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

#include "codec/json_write.h"
#include "core/record.h"

namespace stockpipe {
namespace {

// The words of the layout every rule shares; a rule's own words are in its file.
struct Words {
  std::string_view title, action, reason, last, params, time, subject;
};

constexpr Words kEnglish{"Stock Alert", "Action", "Reason", "Last", "Params", "Time", "Alerts"};
constexpr Words kPolish{"Alert giełdowy", "Akcja", "Powód", "Ostatni",
                        "Parametry",      "Czas",  "Alerty"};

const Words& For(Lang lang) {
  return lang == Lang::kPl ? kPolish : kEnglish;
}

constexpr std::size_t kSubjectLimit = 100;

}  // namespace

std::string_view ActionName(Action action) {
  return action == Action::kBuy ? "BUY" : "SELL";
}

bool ParseLang(std::string_view text, Lang& out) {
  if (text == "pl") {
    out = Lang::kPl;
  } else if (text == "en") {
    out = Lang::kEn;
  } else {
    return false;
  }
  return true;
}

std::string_view LocalAction(Action action, Lang lang) {
  if (lang == Lang::kPl) return action == Action::kBuy ? "KUPUJ" : "SPRZEDAJ";
  return ActionName(action);
}

std::string PythonFloatRepr(double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  if (ec != std::errc()) return "nan";
  const std::string sci(buf, end);
  if (sci == "inf" || sci == "-inf" || sci == "nan" || sci == "-nan") return sci;
  const auto e_at = sci.find('e');
  const int exponent = std::atoi(sci.c_str() + e_at + 1);
  if (exponent < -4 || exponent >= 16) {
    // Python writes at least two exponent digits with a sign: 1e-05, 1.5e+16.
    std::string mantissa = sci.substr(0, e_at);
    return fmt::format("{}e{}{:02d}", mantissa, exponent < 0 ? '-' : '+', std::abs(exponent));
  }
  // Shortest round-trip digits in fixed notation: plain to_chars would pick the shorter of fixed
  // and scientific ("1e+05" for 100000.0), which Python does not do in this range.
  const auto [fixed_end, fixed_ec] =
      std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  if (fixed_ec != std::errc()) return "nan";
  std::string fixed(buf, fixed_end);
  if (fixed.find('.') == std::string::npos) fixed += ".0";
  return fixed;
}

std::string AlertBody(const Alert& alert, Lang lang) {
  const Words& w = For(lang);
  const Action action = alert.action();
  const rules::AlertLines own = alert.rule->AlertText(alert.decision, lang);
  return fmt::format("{} {} — {}\n{}: {}\n{}: {}\n{}: {:.2f}\n{}\n{}: {}",
                     action == Action::kBuy ? "📉" : "📈", w.title, alert.symbol, w.action,
                     LocalAction(action, lang), w.reason, own.reason, w.last, alert.decision.last,
                     own.numbers, w.params, own.params);
}

std::string CutToChars(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (chars == max_chars) return std::string(text.substr(0, i));
      ++chars;
    }
  }
  return std::string(text);
}

std::string AlertSubject(std::span<const Alert> alerts, Lang lang) {
  std::string subject = fmt::format("{}: ", For(lang).subject);
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    if (i > 0) subject += ", ";
    subject += fmt::format("{}:{}", alerts[i].symbol, LocalAction(alerts[i].action(), lang));
  }
  return CutToChars(subject, kSubjectLimit);
}

std::string AlertMessageBody(std::span<const Alert> alerts, Lang lang, Micros now,
                             bool include_json_footer) {
  const std::string time = FormatCanonical(now);
  std::string body;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    if (i > 0) body += "\n\n";
    body += AlertBody(alerts[i], lang);
    body += fmt::format("\n{}: {}", For(lang).time, time);
  }
  if (!include_json_footer) return body;
  bool reference = true;
  for (const Alert& a : alerts) reference = reference && a.rule->ReferenceFooter();
  std::string json = "[";
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    const Alert& a = alerts[i];
    const rules::Decision& d = a.decision;
    if (i > 0) json += ',';
    json += R"({"symbol":)";
    AppendJsonString(a.symbol, json);
    json += fmt::format(R"(,"action":"{}")", ActionName(a.action()));
    if (!reference) json += fmt::format(R"(,"rule":"{}","reason":"{}")", a.rule->Name(), d.reason);
    json += R"(,"last":)";
    AppendShortestDouble(d.last, json);
    for (const rules::Number& n : d.Numbers()) {
      json += fmt::format(R"(,"{}":)", n.name);
      AppendShortestDouble(n.value, json);
    }
    json += R"(,"time":")" + time + "\"}";
  }
  return body + "\n\n---\n" + json + "]";
}

}  // namespace stockpipe
