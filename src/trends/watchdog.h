// The no-data watchdog: one alarm when no record has arrived for `no_data_after`, one recovery
// notice when records come back, nothing in between. Its state lives in the StateStore, so a
// restart neither repeats an alarm nor forgets one.
#pragma once

#include <optional>

#include "core/notifier.h"
#include "core/state_store.h"
#include "signals/alert_text.h"

namespace stockpipe {

inline constexpr std::string_view kWatchdogKey = "watchdog/state";

class Watchdog {
 public:
  // `started` stands in for the last arrival while nothing has ever arrived.
  Watchdog(StateStore& state, Micros no_data_after, Lang lang, Micros started);

  // The message to send when the state changes at `now`, given the newest arrival (0 = never).
  Result<std::optional<AlertMessage>> Check(Micros now, Micros last_arrival);

 private:
  StateStore& state_;
  Micros no_data_after_;
  Lang lang_;
  Micros started_;
};

}  // namespace stockpipe
