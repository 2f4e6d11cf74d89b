#include "alerts/discord/discord_notifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "alerts/http_post.h"
#include "alerts/split_message.h"

namespace stockpipe {
namespace {

constexpr std::string_view kUrlField = "alerts.discord.webhook_url";

// Seconds to wait: the JSON `retry_after` (seconds, may be fractional), else the Retry-After
// header; rounded up so the wait is never shorter than asked.
Micros RetryAfter(const nlohmann::json& reply, std::string_view header) {
  double seconds = 0;
  if (reply.is_object()) {
    if (const auto it = reply.find("retry_after"); it != reply.end() && it->is_number()) {
      seconds = it->get<double>();
    }
  }
  if (seconds <= 0 && !header.empty()) {
    std::from_chars(header.data(), header.data() + header.size(), seconds);
  }
  if (!std::isfinite(seconds) || seconds <= 0) return 0;
  return static_cast<Micros>(std::ceil(std::min(seconds, 86'400.0) * 1e6));
}

}  // namespace

Status ValidateDiscordOptions(const DiscordOptions& options) {
  auto url = CheckChannelUrl(options.url, kUrlField, options.allow_insecure);
  if (!url) return url.status();
  if (url->path.size() < 2) {
    return Status::Error(fmt::format(
        "{} has no path (expected https://discord.com/api/webhooks/<id>/<token>)", kUrlField));
  }
  if (options.timeout_ms <= 0) return Status::Error("discord timeout must be positive");
  return Status::Ok();
}

std::string DiscordPayload(std::string_view content) {
  const nlohmann::json document = {
      {"content", content},
      {"allowed_mentions", {{"parse", nlohmann::json::array()}}},
  };
  // Malformed UTF-8 becomes U+FFFD instead of an exception.
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

DiscordNotifier::DiscordNotifier(DiscordOptions options) : options_(std::move(options)) {}

Status DiscordNotifier::Send(const AlertMessage& message) {
  DeliveryProgress progress;
  return Resume(message, progress);
}

Status DiscordNotifier::Resume(const AlertMessage& message, DeliveryProgress& progress) {
  progress.retry_after = 0;
  // Checked on every send too: options that skipped config loading still never go plain to
  // another host.
  if (Status s = ValidateDiscordOptions(options_); !s.ok()) return s;
  const UrlParts url = *SplitUrl(options_.url, "");
  const std::vector<std::string> parts =
      SplitMessage(message.subject + "\n\n" + message.body, kDiscordMaxChars);
  for (std::size_t p = progress.parts_sent; p < parts.size(); ++p) {
    const std::string where =
        parts.size() > 1 ? fmt::format("discord (part {} of {})", p + 1, parts.size()) : "discord";
    auto reply = PostJson({.url = options_.url,
                           .body = DiscordPayload(parts[p]),
                           .ca_bundle = options_.ca_bundle,
                           .timeout_ms = options_.timeout_ms,
                           .user_agent = "stockpipe-discord/1"},
                          where);
    if (!reply) return reply.status();
    if (reply->status >= 200 && reply->status < 300) {
      progress.parts_sent = p + 1;
      if (progress.on_part) progress.on_part(progress.parts_sent);
      continue;
    }
    const nlohmann::json answer = nlohmann::json::parse(reply->body, nullptr, false);
    std::string said;
    if (answer.is_object()) {
      if (const auto it = answer.find("message"); it != answer.end() && it->is_string()) {
        said = it->get<std::string>();
      }
    }
    std::string what = fmt::format("{} {}: HTTP {}", where, url.origin(), reply->status);
    if (reply->status >= 300 && reply->status < 400) what += " (redirects are not followed)";
    if (!said.empty() || !reply->body.empty()) {
      what += ": " + ShortReply(said.empty() ? reply->body : said);
    }
    if (reply->status == 429) {
      progress.retry_after = RetryAfter(answer, reply->retry_after);
      if (progress.retry_after > 0) {
        what +=
            fmt::format(" (retry after {:.3g} s)", static_cast<double>(progress.retry_after) / 1e6);
      }
    } else if (reply->status == 401 || reply->status == 404) {
      what += " (check DISCORD_WEBHOOK_URL)";
    }
    return Status::Error(ScrubUrl(std::move(what), url));
  }
  return Status::Ok();
}

}  // namespace stockpipe
