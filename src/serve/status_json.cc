#include "serve/status_json.h"

#include <cmath>

namespace stockpipe::serve {

Json TimeOrNull(Micros t) {
  return t > 0 ? Json(FormatCanonical(t)) : Json(nullptr);
}

Json RejectedJson(const IngestCounts& c) {
  Json rejected = Json::object();
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const std::uint64_t count = c.rejected[static_cast<std::size_t>(i)];
    if (count > 0) rejected[std::string(ReasonCode(static_cast<RejectReason>(i)))] = count;
  }
  return rejected;
}

Json IgnoredJson(const IngestCounts& c) {
  Json ignored = Json::object();
  for (int i = 0; i < kIgnoredFieldCount; ++i) {
    const std::uint64_t count = c.ignored[static_cast<std::size_t>(i)];
    if (count > 0) ignored[std::string(IgnoredCode(static_cast<IgnoredField>(i)))] = count;
  }
  return ignored;
}

Json ChannelsJson(const std::vector<ChannelHealth>& channels, Micros now) {
  Json out = Json::array();
  for (const ChannelHealth& h : channels) {
    const double pending_for =
        h.oldest_pending > 0 ? static_cast<double>(now - h.oldest_pending) / 1e6 : 0.0;
    out.push_back({{"channel", h.channel},
                   {"state", h.failing ? "failing" : "ok"},
                   {"delivered", h.delivered},
                   {"pending", h.pending},
                   {"given_up", h.given_up},
                   {"oldest_pending", TimeOrNull(h.oldest_pending)},
                   {"oldest_pending_seconds", std::round(pending_for * 1000) / 1000},
                   {"attempts", h.attempts},
                   {"failures", h.failures},
                   {"pending_attempts", h.pending_attempts},
                   {"last_error", h.last_error.empty() ? Json(nullptr) : Json(h.last_error)},
                   {"last_error_at", TimeOrNull(h.last_error_at)},
                   {"last_success", TimeOrNull(h.last_success)}});
  }
  return out;
}

std::string DumpJson(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace stockpipe::serve
