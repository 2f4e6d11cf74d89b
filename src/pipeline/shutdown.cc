#include "pipeline/shutdown.h"

#include <csignal>
#include <thread>

namespace stockpipe {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnSignal(int) {
  g_stop.store(true);
}

}  // namespace

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool StopRequested() {
  return g_stop.load();
}
void RequestStop() {
  g_stop.store(true);
}

bool SleepUnlessStopping(std::chrono::milliseconds duration,
                         const std::function<bool()>& stopping) {
  // Short slices: a signal handler may only set a flag, so the flag is polled.
  constexpr std::chrono::milliseconds kSlice{50};
  const auto until = std::chrono::steady_clock::now() + duration;
  while (!stopping()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kSlice, until - now));
  }
  return false;
}

}  // namespace stockpipe
