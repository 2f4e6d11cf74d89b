// The no-data watchdog: one alarm when no record has arrived for `no_data_after`, one recovery
// notice when records come back, nothing in between. Its state lives in the StateStore, so a
// restart neither repeats an alarm nor forgets one.
//
// A change is handed to `deliver` (the outbox) before the new state is recorded: a delivery that
// fails leaves the state as it was, so the next check offers the same change again and an alarm is
// never lost; a crash between the two repeats it once.
#pragma once

#include <functional>
#include <optional>

#include "core/notifier.h"
#include "core/state_store.h"
#include "rules/rule.h"

namespace stockpipe {

inline constexpr std::string_view kWatchdogKey = "watchdog/state";

class Watchdog {
 public:
  // `started` stands in for the last arrival while nothing has ever arrived.
  Watchdog(StateStore& state, Micros no_data_after, Lang lang, Micros started);

  using Deliver = std::function<Status(const AlertMessage&)>;

  // Checks the state at `now`, given the newest arrival (0 = never); on a change, delivers its
  // message and then records it. Returns the message delivered, if any.
  Result<std::optional<AlertMessage>> Check(Micros now, Micros last_arrival,
                                            const Deliver& deliver);

 private:
  StateStore& state_;
  Micros no_data_after_;
  Lang lang_;
  Micros started_;
};

}  // namespace stockpipe
