#include "serve/event_stream.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>

namespace stockpipe::serve {
namespace {

using nlohmann::json;

constexpr Micros kSecond = 1'000'000;

std::string Dump(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::optional<IngestSample> IngestRate::Since(Dashboard& dashboard, Micros now) {
  std::lock_guard lock(mu_);
  if (ring_.empty() || ring_.back().at <= now - kSecond) {
    auto sample = dashboard.Sample(now);
    if (auto* s = std::get_if<IngestSample>(&sample)) ring_.push_back(*s);
  }
  while (ring_.size() > 1 && ring_.front().at < now - 60 * kSecond) ring_.pop_front();
  std::optional<IngestSample> best;
  for (const IngestSample& s : ring_) {
    if (s.at <= now - 10 * kSecond) best = s;  // the newest of those 10 s old
  }
  if (!best && !ring_.empty() && ring_.front().at < now && ring_.front().at < ring_.back().at) {
    best = ring_.front();  // younger than 10 s: the longest span there is
  }
  return best;
}

std::string FormatEvent(std::string_view name, std::string_view data) {
  std::string out = fmt::format("event: {}\n", name);
  while (true) {
    const std::size_t nl = data.find('\n');
    out += fmt::format("data: {}\n", data.substr(0, nl));
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
  out += '\n';
  return out;
}

std::string EventStream::Tick(Micros now) {
  std::string out;
  auto look = dashboard_.Look();
  if (auto* seen = std::get_if<Dashboard::Fingerprint>(&look)) {
    if (last_) {
      const std::map<std::string, Micros> before(last_->newest_by_symbol.begin(),
                                                 last_->newest_by_symbol.end());
      for (const auto& [symbol, newest] : seen->newest_by_symbol) {
        const auto it = before.find(symbol);
        if (it != before.end() && it->second == newest) continue;
        out += FormatEvent("series", Dump({{"symbol", symbol}, {"newest_ms", newest / 1000}}));
      }
      if (seen->newest_alert_id > last_->newest_alert_id) {
        auto alerts = dashboard_.Alerts(500, last_->newest_alert_id);
        if (auto* text = std::get_if<std::string>(&alerts)) {
          const json doc = json::parse(*text, nullptr, false);
          if (doc.is_object() && doc.contains("alerts") && doc["alerts"].is_array()) {
            const json& list = doc["alerts"];  // newest first: sent oldest first
            for (auto it = list.rbegin(); it != list.rend(); ++it) {
              out += FormatEvent("alert", Dump(*it));
            }
          }
        }
      }
    }
    last_ = std::move(*seen);
  } else {
    spdlog::debug("serve: events: {}", std::get<ApiError>(look).message);
  }
  auto status = dashboard_.Status(now, rate_.Since(dashboard_, now));
  if (auto* text = std::get_if<std::string>(&status)) out += FormatEvent("status", *text);
  return out;
}

}  // namespace stockpipe::serve
