// The numbers behind /api/status and /metrics, and their Prometheus text (private to
// serve/dashboard.cc).
//
// The text is exposition format 0.0.4: one `# HELP` and one `# TYPE` per family, counters named
// `_total`, label values escaped (backslash, double quote, newline). Families whose labels have
// no value yet (no symbol, no channel) keep their HELP and TYPE lines and no sample. The HTTP
// layer appends its own families (stockpipe_http_requests_total) after this text.
#pragma once

#include <string>
#include <vector>

#include "alerts/outbox/outbox.h"
#include "core/clean_store.h"
#include "serve/dashboard_stores.h"

namespace stockpipe::serve {

struct StatusNumbers {
  Micros now = 0;
  StreamNumbers stream;
  SymbolTotals clean;
  std::vector<SymbolSummary> symbols;  // each symbol's: read for /metrics only
  std::string last_run;  // the trends job's summary object (JSON text); empty = never ran
  Micros last_run_at = 0;
  std::string watchdog;  // "ok" / "alarm"; empty = never checked
  Micros watchdog_since = 0;
  std::vector<ChannelHealth> channels;
};

std::string PrometheusText(const StatusNumbers& numbers);

// `value` with `\`, `"` and newlines escaped for a label value.
std::string EscapeLabelValue(std::string_view value);

}  // namespace stockpipe::serve
