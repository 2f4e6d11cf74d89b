#include "rules/alert_text.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <vector>

#include "codec/utf8.h"
#include "core/record.h"

namespace stockpipe {
namespace {

// The words of the layout every rule shares; a rule's own words are in its file.
struct Words {
  std::string_view title, action, reason, last, params, subject;
};

constexpr Words kEnglish{"Stock Alert", "Action", "Reason", "Last", "Params", "Alerts"};
constexpr Words kPolish{"Alert giełdowy", "Akcja", "Powód", "Ostatni", "Parametry", "Alerty"};

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

std::string AlertSubjectPart(const Alert& alert, Lang lang) {
  return fmt::format("{}: {}:{}", For(lang).subject, alert.symbol,
                     LocalAction(alert.action(), lang));
}

std::string AlertSubject(std::span<const Alert> alerts, Lang lang) {
  std::string subject;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    if (i > 0) subject += ", ";
    subject += AlertSubjectPart(alerts[i], lang);
  }
  return CutToChars(subject, kSubjectLimit);
}

std::string AlertTimeLine(Micros now) {
  // The reference's strftime("%Y-%m-%d %H:%M:%S UTC"): the canonical form's date and whole
  // seconds (the fraction is dropped, not rounded, as strftime does).
  const std::string canonical = FormatCanonical(now);
  return fmt::format("⏰ {} {} UTC", std::string_view(canonical).substr(0, 10),
                     std::string_view(canonical).substr(11, 8));
}

std::string AlertBlock(const Alert& alert, Lang lang, Micros now) {
  std::string text = AlertBody(alert, lang);
  // The title is one line (the symbol's control characters were refused at ingest).
  const std::size_t title_end = text.find('\n');
  text.insert(title_end == std::string::npos ? text.size() : title_end, "\n" + AlertTimeLine(now));
  return text;
}

namespace {

// The reference's footer is Python's json.dumps({"alerts": [...]}, indent=2,
// ensure_ascii=False): two-space indent, "," ending an item's line, ": " between key and value,
// floats as repr(), strings with only the escapes Python writes (non-ASCII kept as it is).
void AppendPythonJsonString(std::string_view text, std::string& out) {
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

struct Field {
  std::string key;
  std::string json;  // the value, already JSON
};

std::string StringValue(std::string_view text) {
  std::string out;
  AppendPythonJsonString(ToValidUtf8(text), out);
  return out;
}

// One alert as the reference's dict {"symbol", **payload, "message", "subject_part"}; its
// payload is {"action", "delta_pct", "last", "sma", "dev_pct"}. Another rule's alert says which
// rule and why, then its own numbers in the same place.
std::vector<Field> FooterFields(const Alert& a, Lang lang, Micros now) {
  const rules::Decision& d = a.decision;
  std::vector<Field> fields;
  fields.push_back({"symbol", StringValue(a.symbol)});
  fields.push_back({"action", StringValue(ActionName(a.action()))});
  if (a.rule->ReferenceFooter()) {
    fields.push_back({"delta_pct", PythonFloatRepr(d.Value("delta_pct"))});
    fields.push_back({"last", PythonFloatRepr(d.last)});
    fields.push_back({"sma", PythonFloatRepr(d.Value("sma"))});
    fields.push_back({"dev_pct", PythonFloatRepr(d.Value("dev_pct"))});
  } else {
    fields.push_back({"rule", StringValue(a.rule->Name())});
    fields.push_back({"reason", StringValue(d.reason)});
    fields.push_back({"last", PythonFloatRepr(d.last)});
    for (const rules::Number& n : d.Numbers()) {
      fields.push_back({std::string(n.name), PythonFloatRepr(n.value)});
    }
  }
  fields.push_back({"message", StringValue(AlertBlock(a, lang, now))});
  fields.push_back({"subject_part", StringValue(AlertSubjectPart(a, lang))});
  return fields;
}

}  // namespace

std::string AlertMessageBody(std::span<const Alert> alerts, Lang lang, Micros now,
                             bool include_json_footer) {
  std::string body;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    if (i > 0) body += "\n\n";
    body += AlertBlock(alerts[i], lang, now);
  }
  if (!include_json_footer) return body;
  body += "\n\n---\nRaw JSON:\n{\n  \"alerts\": [";
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    body += i > 0 ? ",\n    {" : "\n    {";
    const std::vector<Field> fields = FooterFields(alerts[i], lang, now);
    for (std::size_t f = 0; f < fields.size(); ++f) {
      body += f > 0 ? ",\n      " : "\n      ";
      body += StringValue(fields[f].key) + ": " + fields[f].json;
    }
    body += "\n    }";
  }
  body += alerts.empty() ? "]\n}" : "\n  ]\n}";
  return body;
}

}  // namespace stockpipe
