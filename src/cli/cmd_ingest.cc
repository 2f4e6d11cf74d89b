#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.h"
#include "pipeline/ingest_service.h"
#include "trends/trends_job.h"

namespace stockpipe {

int RunIngest(const Config& config, bool once, const std::function<bool()>& stopping) {
  if (config.trends.streaming) {
    if (auto settings = TrendsSettingsFrom(config.trends, config.candles.intervals); !settings) {
      spdlog::error("ingest --streaming: {}", settings.error());
      return 2;
    }
  }
  auto service = IngestService::Open(config);
  if (!service) {
    spdlog::error("{}", service.error());
    return 1;
  }
  auto total = (*service)->Run(once, stopping);
  if (!total) return 1;  // logged by the service
  std::cout << DescribeCounts(*total) << "\n";
  return 0;
}

}  // namespace stockpipe
