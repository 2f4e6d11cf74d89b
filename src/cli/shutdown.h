// Ctrl-C / SIGTERM handling for long-running commands: the first signal asks every loop to
// finish its current batch, checkpoint and return; loops wait with `SleepUnlessStopping`.
#pragma once

#include <atomic>
#include <chrono>

namespace stockpipe {

void InstallStopHandlers();
bool StopRequested();
void RequestStop();

// Waits up to `duration`; returns early (false) when a stop was requested.
bool SleepUnlessStopping(std::chrono::milliseconds duration);

}  // namespace stockpipe
