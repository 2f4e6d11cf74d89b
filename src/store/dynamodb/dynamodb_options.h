// Where the DynamoDB adapters keep their data: the tick table, the candles table and the small
// state table.
//
// `StockCleanedData` (the reference schema): `symbol` S hash key, `timestamp` S range key
// (canonical text, so text order is time order), `price` N; `volume`, `open`, `high`, `low` N
// when the tick carried them (core/record.h), absent otherwise (the reference reads only symbol,
// timestamp and price).
// `stockpipe-candles`: one item per bar (core/candles.h): `series` S hash key = "<symbol>#<interval
// name>" ("AAPL#1m"), `start` S range key (canonical text of the bar's start), `open`, `high`,
// `low`, `close`, `ticks` N, `volume` N (absent when no tick had one), `first`, `last` S
// (canonical event times of the first and last tick), `symbol`, `interval` S.
// `stockpipe-state`: `pk` S hash key, `sk` S range key. Items `pk=symbols, sk=<symbol>` register
// every symbol of the tick table (so listing symbols never scans it); items `pk=state,
// sk=<key>, value S` hold the StateStore's values; `sk=symbols/registry_complete` among them says
// the registry lists every symbol of the tick table.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "aws/client.h"
#include "core/candles.h"

namespace stockpipe {

struct DynamoDbOptions {
  aws::ClientOptions client;  // service kDynamoDb
  std::string table = "StockCleanedData";
  std::string state_table = "stockpipe-state";
  std::string candles_table = "stockpipe-candles";
  std::vector<Interval> intervals = DefaultIntervals();  // bars kept, shortest first
  // Whether Upsert may remember the newest bar of each series between batches, so a feed in time
  // order reads no bar back. Only where this store is the one writer of its symbols' ticks (one
  // `stockpipe ingest`): the Lambda turns it off, since a shard's batches move between instances
  // and a remembered bar would miss the ticks another instance merged.
  bool remember_bars = true;
  // BatchWriteItem calls one Upsert keeps in flight at once: a call waits mostly on the network.
  std::size_t write_concurrency = 4;
  // Items per page of the one Scan that rebuilds a missing registry; 0: DynamoDB's own 1 MB pages.
  std::size_t scan_page_items = 0;
};

}  // namespace stockpipe
