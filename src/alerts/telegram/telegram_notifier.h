// Telegram channel: each alert message goes to every configured chat through the Bot API's
// `sendMessage` (POST <api_url>/bot<TOKEN>/sendMessage, JSON {"chat_id": ..., "text": ...},
// plain text: no parse mode, so nothing in an alert can be read as markup).
//
// Guarantees:
//  - Never cut: a text over Telegram's 4,096 characters goes as several messages, split by
//    SplitMessage (alerts/split_message.h); their concatenation is the text.
//  - Resumable: the requests of one message are numbered chat by chat, part by part; `Resume`
//    starts after `progress.parts_sent` of them, so a retry sends no part twice. (Changing
//    chat_ids while a message is half sent shifts that numbering: a part may then be repeated
//    or a chat missed for that one message.)
//  - HTTP 429 ("Too Many Requests: retry after N", `parameters.retry_after` N seconds) stops
//    the send and sets `progress.retry_after`, for the outbox to honour. Any other refusal
//    (bad token, chat not found, bot blocked) is an error naming the chat, the status and
//    Telegram's description; a group turned supergroup names its new chat id.
//  - The bot token is a secret: it comes from TELEGRAM_BOT_TOKEN only, and no message names it
//    or the request URL beyond scheme://host:port.
//  - https:// certificates are always verified (system store plus `ca_bundle`); plain http:// is
//    accepted only to this machine unless `allow_insecure` (the test servers).
// Not retried here: the caller (the alert outbox) decides when to try again.
// Thread-safe: each request uses its own libcurl handle.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/notifier.h"

namespace stockpipe {

inline constexpr std::size_t kTelegramMaxChars = 4096;

struct TelegramOptions {
  std::string token;                  // from TELEGRAM_BOT_TOKEN; "123456:ABC-..." from @BotFather
  std::vector<std::string> chat_ids;  // "123456789", "-1001234567890" or "@channelname"
  std::string api_url = "https://api.telegram.org";
  bool allow_insecure = false;  // permit http:// to other hosts
  std::string ca_bundle;        // extra CA file (PEM); verification is never switched off
  long timeout_ms = 10'000;     // each request
};

// Checks the token's shape (digits, ':', then letters, digits, '-' or '_'), the chat ids, the
// API URL (a server only: no path holding a token) and the timeout. Messages name the setting
// and never the token.
Status ValidateTelegramOptions(const TelegramOptions& options);

// The JSON document of one sendMessage request; exposed for tests.
std::string TelegramPayload(std::string_view chat_id, std::string_view text);

class TelegramNotifier final : public Notifier {
 public:
  explicit TelegramNotifier(TelegramOptions options);

  std::string_view Name() const override { return "telegram"; }
  Status Send(const AlertMessage& message) override;
  Status Resume(const AlertMessage& message, DeliveryProgress& progress) override;

 private:
  TelegramOptions options_;
};

}  // namespace stockpipe
