// Ctrl-C / SIGTERM handling for the long-running services: the first signal asks every loop to
// finish its current batch, checkpoint and return; loops wait with `SleepUnlessStopping`.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

namespace stockpipe {

void InstallStopHandlers();
bool StopRequested();
void RequestStop();

// Waits up to `duration`; returns early (false) when `stopping()` turns true.
bool SleepUnlessStopping(std::chrono::milliseconds duration,
                         const std::function<bool()>& stopping = StopRequested);

}  // namespace stockpipe
