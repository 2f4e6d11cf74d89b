#include "alerts/sns/sns_notifier.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "codec/utf8.h"
#include "codec/xml.h"

namespace stockpipe {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kSnsVersion = "2010-03-31";
constexpr std::string_view kFallbackSubject = "stockpipe alert";

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
  long cp = -1;
  for (std::size_t i = 0; i < subject.size() && !full;) {
    cp = NextCodePoint(subject, i);
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
      // A space is written only with the character after it (or below, when it ended the
      // subject), so a cut never leaves one.
      if (out.size() + (pending_space ? 2 : 1) > kSnsMaxSubjectChars) {
        full = true;
        break;
      }
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
  }
  // A subject that ends in a plain space keeps it, as SNS does: the reference's subjects cut to
  // 100 characters can end in ", " and mail filters see them so.
  if (!full && pending_space && cp == ' ' && out.size() < kSnsMaxSubjectChars) out += ' ';
  if (out.empty()) out = kFallbackSubject;
  return out;
}

std::string SnsMessage(std::string_view body) {
  std::string text = ToValidUtf8(body);        // SNS takes UTF-8 only
  if (text.empty()) return "(empty message)";  // SNS refuses an empty Message
  if (text.size() <= kSnsMaxMessageBytes) return text;
  const std::string marker = fmt::format(
      "\n\n[\xE2\x80\xA6 message truncated by stockpipe: {} bytes, SNS takes at most {}]",
      text.size(), kSnsMaxMessageBytes);
  text.resize(Utf8Prefix(text, kSnsMaxMessageBytes - marker.size()).size());
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
  if (const auto id = XmlText(*reply, "MessageId")) {
    spdlog::debug("sns: published {} to {}", *id, topic_arn_);
  }
  return Status::Ok();
}

}  // namespace stockpipe
