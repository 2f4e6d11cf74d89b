#include "alerts/smtp/mime.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <ctime>
#include <random>

#include "codec/base64.h"
#include "codec/utf8.h"

namespace stockpipe::smtp {
namespace {

constexpr std::size_t kMaxLine = 76;  // RFC 2047 section 2: lines holding encoded-words

// Valid UTF-8 with every control character (line breaks included) turned into a space: what a
// header value may carry.
std::string HeaderText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += kUtf8Replacement;
      ++i;
      continue;
    }
    const auto b = static_cast<unsigned char>(text[i]);
    out += (n == 1 && (b < 0x20 || b == 0x7F)) ? std::string_view(" ") : text.substr(i, n);
    i += n;
  }
  return out;
}

// Valid UTF-8 with CRLF line ends (a lone CR or LF becomes CRLF).
std::string CanonicalBody(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\r' || text[i] == '\n') {
      out += "\r\n";
      i += (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    const std::size_t n = Utf8SequenceLength(text, i);
    out += n == 0 ? kUtf8Replacement : text.substr(i, n);
    i += n == 0 ? 1 : n;
  }
  return out;
}

bool IsPrintableAscii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

// Joins `tokens` with spaces after "Name:", moving a token to a continuation line (CRLF SP)
// when the current line would pass 76 characters. Never breaks before the first token.
std::string FoldHeader(std::string_view name, const std::vector<std::string>& tokens) {
  std::string out = fmt::format("{}:", name);
  std::size_t line = out.size();
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0 && line + 1 + tokens[i].size() > kMaxLine) {
      out += "\r\n";
      line = 0;
    }
    out += ' ';
    out += tokens[i];
    line += 1 + tokens[i].size();
  }
  out += "\r\n";
  return out;
}

// A display name as a phrase: as is when it is a plain run of atoms, quoted when it holds
// specials, encoded-words when it is not printable ASCII.
std::vector<std::string> PhraseTokens(std::string_view name) {
  const std::string text = HeaderText(name);
  if (!IsPrintableAscii(text) || text.find("=?") != std::string::npos) {
    return EncodeWords(text, 40);
  }
  if (text.find_first_of("()<>[]:;@\\,.\"") == std::string::npos) return {text};
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return {quoted};
}

void AppendMailbox(const Mailbox& mailbox, std::vector<std::string>& tokens) {
  if (mailbox.display_name.empty()) {
    tokens.push_back(mailbox.address);
    return;
  }
  for (std::string& token : PhraseTokens(mailbox.display_name)) tokens.push_back(std::move(token));
  tokens.push_back(fmt::format("<{}>", mailbox.address));
}

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

Status CheckAddress(std::string_view address) {
  const auto fail = [&](std::string_view why) {
    return Status::Error(fmt::format("'{}' is not an e-mail address: {}", address, why));
  };
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return fail("expected local@domain");
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (local.empty() || local.size() > 64) return fail("the part before @ must be 1-64 characters");
  for (char c : local) {
    if (c <= 0x20 || c >= 0x7F || std::string_view("<>()[],;:\\\"@").find(c) != std::string::npos) {
      return fail("the part before @ holds a character SMTP does not take unquoted");
    }
  }
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    for (char c : domain.substr(1, domain.size() - 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':') {
        return fail("bad address literal after @");
      }
    }
    return Status::Ok();
  }
  if (domain.empty() || domain.size() > 253 || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return fail("the domain after @ is empty or malformed");
  }
  for (char c : domain) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      return fail("the domain may hold only letters, digits, '-' and '.' (no SMTPUTF8)");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Mailbox> ParseMailbox(std::string_view text) {
  if (text.find_first_of("\r\n") != std::string_view::npos) {
    return Status::Error("an address may not contain a line break");
  }
  text = Trim(text);
  Mailbox mailbox;
  const std::size_t open = text.rfind('<');
  if (open == std::string_view::npos) {
    mailbox.address = std::string(text);
  } else {
    const std::size_t close = text.find('>', open);
    if (close == std::string_view::npos || !Trim(text.substr(close + 1)).empty()) {
      return Status::Error(
          fmt::format("'{}' is not a mailbox: expected Name <local@domain>", text));
    }
    mailbox.address = std::string(text.substr(open + 1, close - open - 1));
    std::string_view name = Trim(text.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
      for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\' && i + 1 < name.size()) ++i;
        mailbox.display_name += name[i];
      }
    } else {
      mailbox.display_name = std::string(name);
    }
  }
  if (Status status = CheckAddress(mailbox.address); !status) return status;
  return mailbox;
}

std::string_view DomainOf(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view("localhost") : address.substr(at + 1);
}

std::vector<std::string> EncodeWords(std::string_view text, std::size_t max_word) {
  constexpr std::string_view kPrefix = "=?UTF-8?B?";
  constexpr std::string_view kSuffix = "?=";
  max_word = std::clamp<std::size_t>(max_word, 20, 75);
  // Whole base64 quanta only: a word's payload never carries padding mid-text.
  const std::size_t max_bytes = (max_word - kPrefix.size() - kSuffix.size()) / 4 * 3;
  const std::string clean = HeaderText(text);
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < clean.size()) {
    std::size_t end = start;
    while (end < clean.size()) {
      const std::size_t n = Utf8SequenceLength(clean, end);
      if (end + n - start > max_bytes) break;
      end += n;
    }
    words.push_back(
        fmt::format("{}{}{}", kPrefix, Base64Encode(clean.substr(start, end - start)), kSuffix));
    start = end;
  }
  if (words.empty()) words.push_back(fmt::format("{}{}", kPrefix, kSuffix));
  return words;
}

std::string Rfc5322Date(Micros t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = static_cast<std::time_t>(t / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string NewMessageId(std::string_view domain) {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("<{:016x}.{:x}.{}@{}>", random(), NowMicros(), ++counter, domain);
}

std::string BuildMessage(const MessageParts& parts) {
  std::string out;
  out += FoldHeader("Date", {Rfc5322Date(parts.date)});
  std::vector<std::string> tokens;
  AppendMailbox(parts.from, tokens);
  out += FoldHeader("From", tokens);
  tokens.clear();
  for (std::size_t i = 0; i < parts.to.size(); ++i) {
    AppendMailbox(parts.to[i], tokens);
    if (i + 1 < parts.to.size()) tokens.back() += ',';
  }
  out += FoldHeader("To", tokens);
  const std::string subject = HeaderText(parts.subject);
  constexpr std::size_t kSubjectPrefix = 9;  // "Subject: "
  if (IsPrintableAscii(subject) && subject.find("=?") == std::string::npos &&
      kSubjectPrefix + subject.size() <= kMaxLine) {
    out += FoldHeader("Subject", {subject});
  } else {
    // Words sized for the first line ("Subject: " + word); continuation lines have room to spare.
    const std::vector<std::string> words = EncodeWords(subject, kMaxLine - kSubjectPrefix);
    out += FoldHeader("Subject", words);
  }
  out += FoldHeader("Message-ID", {parts.message_id});
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "Auto-Submitted: auto-generated\r\n";  // RFC 3834: no vacation replies to alerts
  out += "\r\n";
  const std::string body = Base64Encode(CanonicalBody(parts.body));
  for (std::size_t i = 0; i < body.size(); i += kMaxLine) {
    out.append(body, i, kMaxLine);
    out += "\r\n";
  }
  return out;
}

}  // namespace stockpipe::smtp
