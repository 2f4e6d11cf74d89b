// Discord channel: each alert message is posted to one channel through a Discord webhook
// (Server Settings > Integrations > Webhooks): POST <webhook_url> with JSON {"content": ...}.
// Mentions are switched off (`allowed_mentions` empty), so an alert never pings anyone.
//
// Guarantees:
//  - Never cut: a text over Discord's 2,000 characters goes as several messages, split by
//    SplitMessage (alerts/split_message.h); their concatenation is the text.
//  - Resumable: `Resume` starts after `progress.parts_sent` parts, so a retry sends no part twice.
//  - HTTP 429 (JSON {"retry_after": 1.5, "global": false}, seconds, and a Retry-After header)
//    stops the send and sets `progress.retry_after`, for the outbox to honour. Any other status
//    but 2xx is an error naming the status and Discord's message.
//  - The webhook URL's path is its credential: no message names more of it than
//    scheme://host:port.
//  - https:// certificates are always verified (system store plus `ca_bundle`); plain http:// is
//    accepted only to this machine unless `allow_insecure` (the test servers).
// Not retried here: the caller (the alert outbox) decides when to try again.
// Thread-safe: each request uses its own libcurl handle.
#pragma once

#include <string>
#include <string_view>

#include "core/notifier.h"

namespace stockpipe {

inline constexpr std::size_t kDiscordMaxChars = 2000;

struct DiscordOptions {
  std::string url;              // https://discord.com/api/webhooks/<id>/<token>
  bool allow_insecure = false;  // permit http:// to other hosts
  std::string ca_bundle;        // extra CA file (PEM); verification is never switched off
  long timeout_ms = 10'000;     // each request
};

// Checks the URL (https, or http to this machine; a path) and the timeout; the message names
// the setting and never the URL's path or query.
Status ValidateDiscordOptions(const DiscordOptions& options);

// The JSON document of one webhook request; exposed for tests.
std::string DiscordPayload(std::string_view content);

class DiscordNotifier final : public Notifier {
 public:
  explicit DiscordNotifier(DiscordOptions options);

  std::string_view Name() const override { return "discord"; }
  Status Send(const AlertMessage& message) override;
  Status Resume(const AlertMessage& message, DeliveryProgress& progress) override;

 private:
  DiscordOptions options_;
};

}  // namespace stockpipe
