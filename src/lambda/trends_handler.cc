#include "lambda/trends_handler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace stockpipe::lambda {

TrendsHandler::TrendsHandler(CleanStore& store, StateStore& state, std::vector<Notifier*> channels,
                             TrendsSettings settings)
    : channels_(channels.size()), job_(store, state, std::move(channels), settings) {}

std::string TrendsResponse(const TrendsRun& run) {
  return nlohmann::json{{"alerts_count", run.alerts.size()},
                        {"symbols_checked", run.symbols_checked}}
      .dump();
}

Result<TrendsRun> TrendsHandler::Handle(std::string_view event, Micros now) {
  const auto root = nlohmann::json::parse(event, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return Status::Error("the trends function expects a JSON object (a scheduled event)");
  }
  auto run = job_.RunOnce(now);
  if (!run) return run.status();
  for (const std::string& error : run->channel_errors) spdlog::error("alert channel {}", error);
  if (!run->alerts.empty() && channels_ > 0 && run->channel_errors.size() >= channels_) {
    std::string errors;
    for (const std::string& error : run->channel_errors)
      errors += (errors.empty() ? "" : "; ") + error;
    return Status::Error(
        fmt::format("no alert channel took the {} alert(s): {}", run->alerts.size(), errors));
  }
  return run;
}

Result<std::string> TrendsHandler::operator()(std::string_view event,
                                              const InvocationContext& context) {
  auto run = Handle(event, NowMicros());
  if (!run) return run.status();
  spdlog::info("invocation {}: {} symbols checked, {} alert(s), {} held by cooldown",
               context.request_id, run->symbols_checked, run->alerts.size(),
               run->suppressed_by_cooldown);
  return TrendsResponse(*run);
}

}  // namespace stockpipe::lambda
