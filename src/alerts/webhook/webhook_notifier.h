// Webhook channel: POSTs each alert message as JSON to one URL (Slack incoming webhooks,
// Mattermost, Teams workflows, or any service of your own).
//
// The body is
//   {"text": "<subject>\n\n<body>", "subject": ..., "body": ..., "kind":
//   "signals|no_data|recovered",
//    "created": "2025-08-14T14:38:12.000000Z"}
// with `Content-Type: application/json`; `text` is what Slack-style services display.
//
// Guarantees:
//  - A 2xx reply means delivered. Any other status (redirects are never followed) or a transport
//    error is an error naming the status and at most 200 characters of the reply body.
//  - Webhook URLs carry their secret in the path or query, so no message ever holds more of the
//    URL than scheme://host:port.
//  - https:// certificates are always verified (system store plus `ca_bundle`); plain http:// is
//    accepted only to this machine (localhost, 127.0.0.0/8, ::1) unless `allow_insecure`.
// Not retried here: the caller (the alert outbox) decides when to try again.
// Thread-safe: each Send uses its own libcurl handle.
#pragma once

#include <string>
#include <string_view>

#include "core/notifier.h"

namespace stockpipe {

struct WebhookOptions {
  std::string url;              // https://... (http:// only to this machine unless allow_insecure)
  bool allow_insecure = false;  // permit http:// to other hosts
  std::string ca_bundle;        // extra CA file (PEM); verification is never switched off
  long timeout_ms = 10'000;     // whole request
};

// Checks the URL (http/https with a host, http only to loopback unless allow_insecure) and the
// timeout; the message names the field ("webhook.url: ...") and never the URL's path or query.
Status ValidateWebhookOptions(const WebhookOptions& options);

// The JSON document Send posts; exposed for tests and for previews.
std::string WebhookPayload(const AlertMessage& message);

class WebhookNotifier final : public Notifier {
 public:
  explicit WebhookNotifier(WebhookOptions options);

  std::string_view Name() const override { return "webhook"; }
  Status Send(const AlertMessage& message) override;

 private:
  WebhookOptions options_;
};

}  // namespace stockpipe
