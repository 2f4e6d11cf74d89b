#include "alerts/telegram/telegram_notifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "alerts/http_post.h"
#include "alerts/split_message.h"

namespace stockpipe {
namespace {

constexpr std::string_view kApiField = "alerts.telegram.api_url";

bool IsTokenShaped(std::string_view token) {
  const std::size_t colon = token.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == token.size()) return false;
  const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  const auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  };
  return std::all_of(token.begin(), token.begin() + colon, digit) &&
         std::all_of(token.begin() + colon + 1, token.end(), word);
}

// A numeric chat id ("-1001234567890") as a number, the way the Bot API documents it.
bool NumericChat(std::string_view chat, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(chat.data(), chat.data() + chat.size(), out);
  return ec == std::errc() && end == chat.data() + chat.size();
}

bool IsChatId(std::string_view chat) {
  std::int64_t number = 0;
  if (NumericChat(chat, number)) return number != 0;
  // @channelname: Telegram usernames are 5-32 of letters, digits and '_'.
  if (chat.size() < 6 || chat.size() > 33 || chat.front() != '@') return false;
  return std::all_of(chat.begin() + 1, chat.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

std::string Redacted(std::string text, const std::string& token, const UrlParts& url) {
  if (!token.empty()) {
    for (std::size_t at; (at = text.find(token)) != std::string::npos;) {
      text.replace(at, token.size(), "<redacted>");
    }
  }
  return ScrubUrl(std::move(text), url);
}

// reply[key] (and reply[key][sub]) when the reply is an object that has it, else null: the
// reply is the peer's, so no shape is assumed.
const nlohmann::json& Field(const nlohmann::json& reply, const char* key,
                            const char* sub = nullptr) {
  static const nlohmann::json null;
  if (!reply.is_object()) return null;
  const auto it = reply.find(key);
  if (it == reply.end()) return null;
  return sub ? Field(*it, sub) : *it;
}

// Seconds to wait, from the reply's `parameters.retry_after` or the Retry-After header.
Micros RetryAfter(const nlohmann::json& reply, std::string_view header) {
  double seconds = 0;
  if (const auto& after = Field(reply, "parameters", "retry_after"); after.is_number()) {
    seconds = after.get<double>();
  }
  if (seconds <= 0 && !header.empty()) {
    std::from_chars(header.data(), header.data() + header.size(), seconds);
  }
  if (!std::isfinite(seconds) || seconds <= 0) return 0;
  return static_cast<Micros>(std::ceil(std::min(seconds, 86'400.0) * 1e6));
}

}  // namespace

Status ValidateTelegramOptions(const TelegramOptions& options) {
  if (options.token.empty()) {
    return Status::Error("TELEGRAM_BOT_TOKEN must be set in the environment to send to Telegram");
  }
  if (!IsTokenShaped(options.token)) {
    return Status::Error(
        "TELEGRAM_BOT_TOKEN is not a bot token (expected digits, ':', then letters, digits, - "
        "or _, as @BotFather gives it)");
  }
  if (options.chat_ids.empty()) {
    return Status::Error("alerts.telegram.chat_ids must list at least one chat");
  }
  for (std::size_t i = 0; i < options.chat_ids.size(); ++i) {
    if (!IsChatId(options.chat_ids[i])) {
      return Status::Error(fmt::format(
          "alerts.telegram.chat_ids[{}]: \"{}\" is not a chat id (a number like -1001234567890, "
          "or @channelname)",
          i, options.chat_ids[i]));
    }
  }
  auto url = CheckChannelUrl(options.api_url, kApiField, options.allow_insecure);
  if (!url) return url.status();
  if (url->path.find("/bot") != std::string::npos || !url->query.empty()) {
    return Status::Error(fmt::format(
        "{} must name the Bot API server only (like https://api.telegram.org): the token comes "
        "from TELEGRAM_BOT_TOKEN",
        kApiField));
  }
  if (options.timeout_ms <= 0) return Status::Error("telegram timeout must be positive");
  return Status::Ok();
}

std::string TelegramPayload(std::string_view chat_id, std::string_view text) {
  nlohmann::json document = {{"text", text}};
  std::int64_t number = 0;
  if (NumericChat(chat_id, number)) {
    document["chat_id"] = number;
  } else {
    document["chat_id"] = chat_id;
  }
  // Malformed UTF-8 becomes U+FFFD instead of an exception.
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TelegramNotifier::TelegramNotifier(TelegramOptions options) : options_(std::move(options)) {}

Status TelegramNotifier::Send(const AlertMessage& message) {
  DeliveryProgress progress;
  return Resume(message, progress);
}

Status TelegramNotifier::Resume(const AlertMessage& message, DeliveryProgress& progress) {
  progress.retry_after = 0;
  // Checked on every send too: options that skipped config loading still never send the token
  // in clear to another host.
  if (Status s = ValidateTelegramOptions(options_); !s.ok()) return s;
  const UrlParts api = *SplitUrl(options_.api_url, "");
  std::string base = options_.api_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string endpoint = base + "/bot" + options_.token + "/sendMessage";
  const UrlParts url = *SplitUrl(endpoint, "");

  const std::vector<std::string> parts =
      SplitMessage(message.subject + "\n\n" + message.body, kTelegramMaxChars);
  std::size_t step = 0;
  for (const std::string& chat : options_.chat_ids) {
    for (std::size_t p = 0; p < parts.size(); ++p, ++step) {
      if (step < progress.parts_sent) continue;
      const std::string where = parts.size() > 1 ? fmt::format("telegram chat {} (part {} of {})",
                                                               chat, p + 1, parts.size())
                                                 : fmt::format("telegram chat {}", chat);
      auto reply = PostJson({.url = endpoint,
                             .body = TelegramPayload(chat, parts[p]),
                             .ca_bundle = options_.ca_bundle,
                             .timeout_ms = options_.timeout_ms,
                             .user_agent = "stockpipe-telegram/1",
                             // The reply echoes the message: up to 4,096 characters, escaped.
                             .max_reply = 256 * 1024},
                            where);
      if (!reply) return Status::Error(Redacted(reply.error(), options_.token, url));
      const nlohmann::json answer = nlohmann::json::parse(reply->body, nullptr, false);
      const bool ok = Field(answer, "ok").is_boolean() && Field(answer, "ok").get<bool>();
      if (reply->status == 200 && ok) {
        progress.parts_sent = step + 1;
        if (progress.on_part) progress.on_part(progress.parts_sent);
        continue;
      }
      std::string what = fmt::format("{} {}: HTTP {}", where, api.origin(), reply->status);
      const auto& said = Field(answer, "description");
      const std::string description = said.is_string() ? said.get<std::string>() : "";
      if (const std::string_view reason = description.empty() ? reply->body : description;
          !reason.empty()) {
        what += ": " + ShortReply(reason);
      }
      if (reply->status == 429) {
        progress.retry_after = RetryAfter(answer, reply->retry_after);
      } else if (reply->status == 401 || reply->status == 404) {
        what += " (check TELEGRAM_BOT_TOKEN)";
      }
      if (const auto& moved = Field(answer, "parameters", "migrate_to_chat_id");
          moved.is_number_integer()) {
        what += fmt::format(" (the group is now the supergroup {}: put that id in chat_ids)",
                            moved.get<std::int64_t>());
      }
      return Status::Error(Redacted(std::move(what), options_.token, url));
    }
  }
  return Status::Ok();
}

}  // namespace stockpipe
