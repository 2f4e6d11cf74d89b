// The JSON pieces `stockpipe health --json` and the dashboard's /api/status share, built with
// nlohmann (ordered: the keys come out in the order written). One place, so a channel or a reject
// count reads the same in both documents (their shapes are written down in docs/dashboard.md and
// docs/operations.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alerts/outbox/outbox.h"
#include "core/ingest_counts.h"
#include "core/timestamp.h"

namespace stockpipe::serve {

using Json = nlohmann::ordered_json;

// The canonical time, or null for 0 (never).
Json TimeOrNull(Micros t);
// {"<reason code>": count, ...} for the reasons with a count.
Json RejectedJson(const IngestCounts& counts);
// {"volume_negative": 3, ...}: members ingest left out of candles, by reason (none when zero).
Json IgnoredJson(const IngestCounts& counts);
// One object per channel, as the outbox sees it at `now`.
Json ChannelsJson(const std::vector<ChannelHealth>& channels, Micros now);
// Compact text; text that is not UTF-8 (a subject, a channel's error) is replaced, not thrown on.
std::string DumpJson(const Json& json);

}  // namespace stockpipe::serve
