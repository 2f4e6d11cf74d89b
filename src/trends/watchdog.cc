#include "trends/watchdog.h"

#include <fmt/format.h>

namespace stockpipe {
namespace {

std::string Minutes(Micros d) {
  return fmt::format("{:g} min", static_cast<double>(d) / 60e6);
}

}  // namespace

Watchdog::Watchdog(StateStore& state, Micros no_data_after, Lang lang, Micros started)
    : state_(state), no_data_after_(no_data_after), lang_(lang), started_(started) {}

Result<std::optional<AlertMessage>> Watchdog::Check(Micros now, Micros last_arrival,
                                                    const Deliver& deliver) {
  auto stored = state_.Get(kWatchdogKey);
  if (!stored) return stored.status();
  const bool alarmed = *stored && (*stored)->starts_with("alarm");
  const Micros reference = last_arrival > 0 ? last_arrival : started_;
  const bool silent = now - reference >= no_data_after_;
  const bool pl = lang_ == Lang::kPl;
  std::optional<AlertMessage> message;
  if (silent && !alarmed) {
    const std::string since =
        last_arrival > 0 ? FormatCanonical(last_arrival) : (pl ? "nigdy" : "never");
    message = AlertMessage{
        MessageKind::kNoData,
        pl ? fmt::format("Alarm: brak danych od {}", Minutes(now - reference))
           : fmt::format("Alarm: no data for {}", Minutes(now - reference)),
        pl ? fmt::format("⚠️ Brak nowych rekordów.\nOstatni rekord: {}\nLimit: {}\nCzas: {}",
                         since, Minutes(no_data_after_), FormatCanonical(now))
           : fmt::format("⚠️ No new records.\nLast record: {}\nLimit: {}\nTime: {}", since,
                         Minutes(no_data_after_), FormatCanonical(now)),
        now};
    if (Status s = deliver(*message); !s.ok()) return s;
    if (Status s = state_.Put(kWatchdogKey, "alarm " + FormatCanonical(now)); !s.ok()) return s;
  } else if (!silent && alarmed && last_arrival > 0) {
    // Only a record ends an alarm: after a restart with no data ever, `started_` is recent and
    // would otherwise read as fresh data.
    message =
        AlertMessage{MessageKind::kRecovered,
                     pl ? "Przywrócono: dane znowu napływają" : "Recovered: data is flowing again",
                     pl ? fmt::format("✅ Dane znowu napływają.\nOstatni rekord: {}\nCzas: {}",
                                      FormatCanonical(last_arrival), FormatCanonical(now))
                        : fmt::format("✅ Data is flowing again.\nLast record: {}\nTime: {}",
                                      FormatCanonical(last_arrival), FormatCanonical(now)),
                     now};
    if (Status s = deliver(*message); !s.ok()) return s;
    if (Status s = state_.Put(kWatchdogKey, "ok " + FormatCanonical(now)); !s.ok()) return s;
  } else if (!*stored) {
    if (Status s = state_.Put(kWatchdogKey, "ok " + FormatCanonical(now)); !s.ok()) return s;
  }
  return message;
}

}  // namespace stockpipe
