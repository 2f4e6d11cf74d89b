// The trends Lambda: run by an EventBridge schedule, one `TrendsJob::RunOnce` per invocation.
//
// The event's content does not matter (any JSON object: a scheduled event, a console test); the
// run uses the wall clock, never the event's `time`, which console test events fill with 1970.
// Returns `{"alerts_count":N,"symbols_checked":M}` as the reference function did. It fails, so
// EventBridge retries, when the CLEAN store or the state cannot be read, or when there were
// alerts and no channel took them (the cooldown has then not started, so a retry is safe).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lambda/runtime.h"
#include "trends/trends_job.h"

namespace stockpipe::lambda {

class TrendsHandler {
 public:
  TrendsHandler(CleanStore& store, StateStore& state, std::vector<Notifier*> channels,
                TrendsSettings settings);

  Result<std::string> operator()(std::string_view event, const InvocationContext& context);

  // The same at a given time, with the run kept for the caller.
  Result<TrendsRun> Handle(std::string_view event, Micros now);

 private:
  std::size_t channels_;
  TrendsJob job_;
};

// `{"alerts_count":N,"symbols_checked":M}`.
std::string TrendsResponse(const TrendsRun& run);

}  // namespace stockpipe::lambda
