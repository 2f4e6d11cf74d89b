// The trends service: the trends timer, delivery of queued alerts and (in `run`) the no-data
// watchdog, in one loop over the CLEAN store, the state store and the alert channels the
// configuration chooses (pipeline/backends.h). `stockpipe trends` and `stockpipe run` both run it.
//
// Every pass (twice a second) first hands due alerts to the outbox's channels (queued earlier by
// this or another process, oldest first), then checks the watchdog, then runs the trends job when
// its time has come. Alerts go to the outbox only: queued durably, retried until every channel
// took them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "core/result.h"

namespace stockpipe {

struct TrendsServiceOptions {
  // One trends run at once (after delivering what is due), then return: `trends --once`.
  bool once = false;
  // The first trends run now (the `trends` command) or one period in (`run`, whose store is still
  // filling).
  bool first_run_now = true;
  // The no-data watchdog over the local stream's newest arrival. Needs the stream in the data
  // folder (CheckOneDataFolder in pipeline/backends.h).
  bool watchdog = false;
  // Whether a failing part (the outbox's file, the watchdog, a trends run) stops the service, as
  // in `run`; otherwise it is logged and tried again on the next pass or period.
  bool stop_on_failure = false;
};

class TrendsService {
 public:
  // Opens the CLEAN store, the state store, the channels (and the local stream for the
  // watchdog); an error names what could not be opened.
  static Result<std::unique_ptr<TrendsService>> Open(const Config& config,
                                                     TrendsServiceOptions options);
  ~TrendsService();

  // What stopped the service for good (with stop_on_failure): "trends timer", "alerts outbox" or
  // "watchdog", and why.
  struct Failure {
    std::string part;
    std::string why;
  };
  // Runs until `stopping()` turns true (or after the one run of `once`), or a part fails.
  std::optional<Failure> Run(const std::function<bool()>& stopping);

  // Whether the latest trends run read every symbol and every message was at least queued: the
  // `trends` command's exit code. True before the first run.
  bool last_run_ok() const { return last_run_ok_; }

 private:
  struct Parts;
  TrendsService(std::unique_ptr<Parts> parts, TrendsServiceOptions options);
  std::unique_ptr<Parts> parts_;
  TrendsServiceOptions options_;
  bool last_run_ok_ = true;
};

}  // namespace stockpipe
