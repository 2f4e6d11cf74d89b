#include "alerts/sns/sns_notifier.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace stockpipe {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kSnsVersion = "2010-03-31";
constexpr std::string_view kFallbackSubject = "stockpipe alert";

// The code point starting at `text[i]`, advancing `i`; -1 (one byte consumed) when the bytes
// there are not well-formed UTF-8 (overlong forms, surrogates and values past U+10FFFF included).
long NextCodePoint(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int length = 0;
  long cp = 0;
  long min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return -1;
  }
  if (i + length > text.size()) {
    ++i;
    return -1;
  }
  for (int k = 1; k < length; ++k) {
    const unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = cp << 6 | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += length;
  return cp;
}

// ASCII for Latin-1 letters U+00C0..U+00FF ('\0' = multi-letter, see Transliterate).
constexpr std::string_view kLatin1 =
    "AAAAAA\0CEEEEIIIIDNOOOOOxOUUUUY\0\0aaaaaa\0ceeeeiiiidnooooo/ouuuuy\0y"sv;
// ASCII for Latin Extended-A U+0100..U+017F (Polish ą ć ę ł ń ś ź ż among them).
constexpr std::string_view kLatinExtendedA =
    "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi\0\0JjKkkLlLlLlLlLlNnNnNnnNnOoOoOo\0\0"
    "RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs"sv;
static_assert(kLatin1.size() == 0x40 && kLatinExtendedA.size() == 0x80);

// The ASCII stand-in for `cp` ("" drops it, " " is whitespace).
std::string_view Transliterate(long cp) {
  if (cp >= 0x20 && cp < 0x7F) return {};  // handled by the caller
  if (cp >= 0xC0 && cp <= 0xFF) {
    switch (cp) {
      case 0xC6:
        return "AE";
      case 0xDE:
        return "Th";
      case 0xDF:
        return "ss";
      case 0xE6:
        return "ae";
      case 0xFE:
        return "th";
      default:
        return kLatin1.substr(cp - 0xC0, 1);
    }
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    switch (cp) {
      case 0x132:
        return "IJ";
      case 0x133:
        return "ij";
      case 0x152:
        return "OE";
      case 0x153:
        return "oe";
      default:
        return kLatinExtendedA.substr(cp - 0x100, 1);
    }
  }
  switch (cp) {
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
      return "-";
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x2039:
    case 0x203A:
      return "'";
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x00AB:
    case 0x00BB:
      return "\"";
    case 0x2026:
      return "...";
    case 0x2022:
      return "*";
    case 0x00A0:
    case 0x2007:
    case 0x202F:
    case 0x2028:
    case 0x2029:
    case 0x3000:
      return " ";
    default:
      break;
  }
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || (cp >= 0x2000 && cp <= 0x200A)) return " ";
  return "";
}

}  // namespace

std::string SnsSubject(std::string_view subject) {
  std::string out;
  out.reserve(std::min(subject.size(), kSnsMaxSubjectChars));
  bool pending_space = false;
  bool full = false;
  for (std::size_t i = 0; i < subject.size() && !full;) {
    const long cp = NextCodePoint(subject, i);
    std::string_view ascii;
    char single = 0;
    if (cp >= 0x21 && cp < 0x7F) {
      single = static_cast<char>(cp);
      ascii = std::string_view(&single, 1);
    } else if (cp == ' ') {
      ascii = " ";
    } else if (cp >= 0) {
      ascii = Transliterate(cp);
    }
    for (char c : ascii) {
      if (c == ' ') {
        pending_space = !out.empty();  // no leading space: SNS wants a printable first character
        continue;
      }
      // A space is written only with the character after it, so the subject never ends in one.
      if (out.size() + (pending_space ? 2 : 1) > kSnsMaxSubjectChars) {
        full = true;
        break;
      }
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
  }
  if (out.empty()) out = kFallbackSubject;
  return out;
}

std::string SnsMessage(std::string_view body) {
  std::string text;
  text.reserve(std::min(body.size(), kSnsMaxMessageBytes));
  for (std::size_t i = 0; i < body.size();) {
    const std::size_t start = i;
    if (NextCodePoint(body, i) < 0) {
      text += "\xEF\xBF\xBD";  // U+FFFD: SNS takes UTF-8 only
    } else {
      text.append(body.substr(start, i - start));
    }
  }
  if (text.empty()) return "(empty message)";  // SNS refuses an empty Message
  if (text.size() <= kSnsMaxMessageBytes) return text;
  const std::string marker = fmt::format(
      "\n\n[\xE2\x80\xA6 message truncated by stockpipe: {} bytes, SNS takes at most {}]",
      text.size(), kSnsMaxMessageBytes);
  std::size_t cut = kSnsMaxMessageBytes - marker.size();
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += marker;
  return text;
}

SnsNotifier::SnsNotifier(SnsOptions options)
    : topic_arn_(std::move(options.topic_arn)), client_(std::move(options.client)) {}

Status SnsNotifier::Send(const AlertMessage& message) {
  if (topic_arn_.empty()) return Status::Error("SNS_TOPIC_ARN is not set: no topic to publish to");
  auto reply = client_.CallQuery("Publish", kSnsVersion,
                                 {{"TopicArn", topic_arn_},
                                  {"Subject", SnsSubject(message.subject)},
                                  {"Message", SnsMessage(message.body)}});
  if (!reply) return Status::Error(fmt::format("SNS topic {}: {}", topic_arn_, reply.error()));
  const std::size_t open = reply->find("<MessageId>");
  const std::size_t close = reply->find("</MessageId>");
  if (open != std::string::npos && close != std::string::npos && close > open) {
    spdlog::debug("sns: published {} to {}", reply->substr(open + 11, close - open - 11),
                  topic_arn_);
  }
  return Status::Ok();
}

}  // namespace stockpipe
