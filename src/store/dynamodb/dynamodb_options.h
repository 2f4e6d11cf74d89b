// Where the DynamoDB adapters keep their data: the tick table and the small state table.
//
// `StockCleanedData` (the reference schema): `symbol` S hash key, `timestamp` S range key
// (canonical text, so text order is time order), `price` N.
// `stockpipe-state`: `pk` S hash key, `sk` S range key. Items `pk=symbols, sk=<symbol>` register
// every symbol of the tick table (so listing symbols never scans it); items `pk=state,
// sk=<key>, value S` hold the StateStore's values; `sk=symbols/registry_complete` among them says
// the registry lists every symbol of the tick table.
#pragma once

#include <cstddef>
#include <string>

#include "aws/client.h"

namespace stockpipe {

struct DynamoDbOptions {
  aws::ClientOptions client;  // service kDynamoDb
  std::string table = "StockCleanedData";
  std::string state_table = "stockpipe-state";
  // BatchWriteItem calls one Upsert keeps in flight at once: a call waits mostly on the network.
  std::size_t write_concurrency = 4;
  // Items per page of the one Scan that rebuilds a missing registry; 0: DynamoDB's own 1 MB pages.
  std::size_t scan_page_items = 0;
};

}  // namespace stockpipe
