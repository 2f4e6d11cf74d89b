// Items of the DynamoDB CLEAN store's tables (schemas in dynamodb_options.h): ticks and bars to
// and from DynamoDB JSON. Internal to the DynamoDB adapters.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/candles.h"
#include "core/record.h"

namespace stockpipe::dynamodb {

// Appends `{"PutRequest":{"Item":...}}` of `tick`: symbol, canonical timestamp, price, and
// volume, open, high, low when the tick has them.
void AppendTickPut(const Tick& tick, std::string& out);

// Reads an item of the tick table into `tick` (timestamp, price, and the optional volume and
// open/high/low, left out when absent or not numbers); `stamp` is the timestamp text as stored.
// Returns why the item cannot be a point (empty when it can): tables another program wrote (the
// reference ingest stored what it was sent) hold prices as numbers or strings, some not positive
// or not numbers at all, and timestamps in several forms.
std::string_view ReadTickItem(const nlohmann::json& item, Tick& tick, std::string_view& stamp);

// "AAPL#1m": the candles table's hash key of a symbol's bars at an interval.
std::string SeriesKey(std::string_view symbol, std::string_view interval);
// The key item {series, start} of a bar.
nlohmann::json BarKey(std::string_view series, Micros start);

// Appends `{"PutRequest":{"Item":...}}` of `bar`.
void AppendBarPut(const Candle& bar, std::string& out);
// Appends `{"DeleteRequest":{"Key":...}}` of the bar at (series, start text).
void AppendBarDelete(std::string_view series, std::string_view start, std::string& out);
// Reads an item of the candles table; false when it is not a bar this store wrote.
bool ReadBarItem(const nlohmann::json& item, Candle& bar);

}  // namespace stockpipe::dynamodb
