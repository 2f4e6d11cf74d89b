#include "alerts/webhook/webhook_notifier.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "alerts/http_post.h"

namespace stockpipe {

Status ValidateWebhookOptions(const WebhookOptions& options) {
  auto url = CheckChannelUrl(options.url, "webhook.url", options.allow_insecure);
  if (!url) return url.status();
  if (options.timeout_ms <= 0) return Status::Error("webhook timeout must be positive");
  return Status::Ok();
}

std::string WebhookPayload(const AlertMessage& message) {
  const Micros created = message.created > 0 ? message.created : NowMicros();
  const nlohmann::json document = {
      {"text", message.subject + "\n\n" + message.body},
      {"subject", message.subject},
      {"body", message.body},
      {"kind", KindName(message.kind)},
      {"created", FormatCanonical(created)},
  };
  // Malformed UTF-8 becomes U+FFFD instead of an exception.
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

WebhookNotifier::WebhookNotifier(WebhookOptions options) : options_(std::move(options)) {}

Status WebhookNotifier::Send(const AlertMessage& message) {
  // Checked on every send too: options that skipped config loading still never go plain to
  // another host.
  if (Status status = ValidateWebhookOptions(options_); !status) return status;
  const auto url = SplitUrl(options_.url, "webhook.url is not a URL");
  if (!url) return url.status();
  auto reply = PostJson({.url = options_.url,
                         .body = WebhookPayload(message),
                         .ca_bundle = options_.ca_bundle,
                         .timeout_ms = options_.timeout_ms,
                         .user_agent = "stockpipe-webhook/1"},
                        "webhook");
  if (!reply) return reply.status();
  const long status = reply->status;
  if (status >= 200 && status < 300) return Status::Ok();
  std::string what = fmt::format("webhook {}: HTTP {}", url->origin(), status);
  if (status >= 300 && status < 400) what += " (redirects are not followed)";
  if (!reply->body.empty()) what += fmt::format(": {}", ShortReply(reply->body));
  return Status::Error(ScrubUrl(std::move(what), *url));
}

}  // namespace stockpipe
