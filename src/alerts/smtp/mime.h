// The e-mail text the SMTP channel sends: RFC 5322 headers and one MIME text/plain part.
//
// Guarantees of BuildMessage:
//  - every line ends in CRLF and is at most 76 characters (long headers are folded);
//  - no header value can add a header: CR, LF and other control characters in the subject or a
//    display name become spaces, and addresses are checked by ParseMailbox before they get here;
//  - non-ASCII text survives any 7-bit relay: the subject and display names go as RFC 2047
//    `=?UTF-8?B?...?=` encoded-words (each at most 75 characters, never splitting a UTF-8
//    sequence), the body as base64 of its UTF-8 bytes with line breaks in the canonical CRLF
//    form that RFC 2046 asks of text/plain. Malformed UTF-8 becomes U+FFFD.
// Pure functions, no I/O (apart from NewMessageId's random source).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe::smtp {

// One "Display Name <local@domain>" or bare "local@domain".
struct Mailbox {
  std::string display_name;  // may be empty; any UTF-8
  std::string address;       // ASCII local@domain, what MAIL FROM / RCPT TO carry
};

// Reads a mailbox as written in configuration. The address must be ASCII local@domain (no
// SMTPUTF8), without spaces, angle brackets or control characters; the error says which part
// is wrong.
Result<Mailbox> ParseMailbox(std::string_view text);

// The domain part of an address ("example.com" for "a@example.com").
std::string_view DomainOf(std::string_view address);

// RFC 2047 encoded-words (B encoding) carrying `text`, each at most `max_word` characters
// (75 at most) and holding whole UTF-8 sequences only.
std::vector<std::string> EncodeWords(std::string_view text, std::size_t max_word = 75);

// "Thu, 14 Aug 2025 14:38:12 +0000".
std::string Rfc5322Date(Micros t);

// "<random.time@domain>", unique per call.
std::string NewMessageId(std::string_view domain);

struct MessageParts {
  Mailbox from;
  std::vector<Mailbox> to;
  std::string subject;
  std::string body;
  Micros date = 0;
  std::string message_id;  // with the angle brackets
};

// The complete message (headers, empty line, base64 body), CRLF line ends.
std::string BuildMessage(const MessageParts& parts);

}  // namespace stockpipe::smtp
