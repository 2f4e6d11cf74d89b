// SMTP e-mail channel: sends each alert message as one e-mail to a fixed list of recipients.
//
// One `Send` is one SMTP session through libcurl: EHLO, STARTTLS (smtp://) or implicit TLS
// (smtps://), AUTH when a username is set, MAIL FROM, one RCPT TO per recipient, DATA. The text
// is built by smtp::BuildMessage (mime.h): UTF-8 subject and body arrive intact through any relay.
//
// Guarantees:
//  - TLS certificates are always verified (system store plus `ca_bundle`); with `require_tls`
//    an smtp:// server that does not offer STARTTLS gets nothing, not even the credentials.
//  - Delivery is all or nothing: a recipient the server refuses fails the send, and the error
//    names that recipient and the server's reply.
//  - Errors name the server as scheme://host:port, the SMTP command and the reply; never the
//    password (nor the AUTH exchange).
// Not retried here: the caller (the alert outbox) decides when to try again.
// Thread-safe: each Send uses its own libcurl handle.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/notifier.h"

namespace stockpipe {

struct SmtpOptions {
  std::string url;              // smtps://host:465 (implicit TLS) or smtp://host:587 (STARTTLS)
  std::string from;             // "Stockpipe <alerts@example.com>" or a bare address
  std::vector<std::string> to;  // one or more recipients, same forms as `from`
  std::string username;         // from SMTP_USERNAME; empty = no AUTH
  std::string password;         // from SMTP_PASSWORD only; never logged
  bool require_tls = true;      // smtp:// must upgrade with STARTTLS; false = plain text allowed
  std::string ca_bundle;        // extra CA file (PEM); verification is never switched off
  long timeout_ms = 30'000;     // whole session
};

// Checks what config loading can check: url scheme smtp/smtps with a host and no credentials in
// it, `from` and every `to` readable as addresses, no CR/LF in any header value, username and
// password set together. The message names the field ("smtp.to[2]: ...").
Status ValidateSmtpOptions(const SmtpOptions& options);

class SmtpNotifier final : public Notifier {
 public:
  explicit SmtpNotifier(SmtpOptions options);

  std::string_view Name() const override { return "smtp"; }
  Status Send(const AlertMessage& message) override;

 private:
  SmtpOptions options_;
};

}  // namespace stockpipe
