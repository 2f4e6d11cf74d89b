// The dashboard's data from an AWS deployment (serve/dashboard_data.h): `stockpipe serve --store
// dynamodb` shows the same page and API as over a data folder, read-only (the IAM policy
// `<prefix>-viewer` in infra/iam.tf grants exactly these reads).
//
// - symbols: the registry in the state table (rebuilt from the tick table once if it has none),
//   each with its newest point; `rows` is not counted (a DynamoDB count reads the whole
//   partition), it reads 0. The list is kept for `symbols_ttl` so a polling page does not query
//   every symbol on every look.
// - points: Queries of `StockCleanedData` by canonical timestamp range, newest first.
// - state (last trends run, watchdog) and alerts: the state table (the DynamoDB StateStore and
//   AlertLog, written by the trends function).
// - stream: the shard count of the Kinesis stream (DescribeStreamSummary) when one is named;
//   consumer lag and counts live in Lambda's metrics, not here: they read 0.
// - channels: the AlertLog's per-channel records.
#pragma once

#include <memory>
#include <mutex>

#include "aws/client.h"
#include "serve/dashboard_data.h"
#include "store/dynamodb/dynamodb_alert_log.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "store/dynamodb/dynamodb_options.h"
#include "store/dynamodb/dynamodb_state_store.h"

namespace stockpipe::serve {

struct AwsDashboardOptions {
  DynamoDbOptions dynamodb;
  std::optional<aws::ClientOptions> kinesis;  // none: no stream numbers
  std::string stream_name;
  Micros symbols_ttl = 5'000'000;
};

class AwsDashboardData final : public DashboardData {
 public:
  explicit AwsDashboardData(AwsDashboardOptions options);

  Result<StreamNumbers> Stream(std::string_view consumer) override;
  Result<std::vector<SymbolSummary>> Symbols() override;
  Result<std::optional<double>> LastPrice(std::string_view symbol) override;
  Result<std::vector<PricePoint>> Newest(std::string_view symbol, std::optional<Micros> from,
                                         std::optional<Micros> to, std::size_t n) override;
  Result<std::vector<PricePoint>> Before(std::string_view symbol, Micros before,
                                         std::optional<Micros> from, std::size_t n) override;
  // The DynamoDB clean store's bars (its errors, while it keeps none, are the dashboard's 500).
  Result<std::vector<Interval>> CandleIntervals() override;
  Result<std::vector<Candle>> Candles(const CandleQuery& query) override;
  Result<std::optional<std::string>> State(std::string_view key) override;
  Result<std::vector<AlertRow>> Alerts(std::size_t limit, std::int64_t after_id) override;
  Result<std::int64_t> NewestAlertId() override;
  Result<std::vector<ChannelHealth>> Channels(const std::vector<std::string>& configured) override;

 private:
  // The newest `n` points with from <= timestamp <= to, oldest first.
  Result<std::vector<PricePoint>> Range(std::string_view symbol, Micros from, Micros to,
                                        std::size_t n);

  AwsDashboardOptions options_;
  aws::Client dynamodb_;
  std::unique_ptr<aws::Client> kinesis_;
  DynamoDbCleanStore clean_;
  DynamoDbStateStore state_;
  DynamoDbAlertLog alerts_;
  std::vector<SymbolSummary> symbols_;
  Micros symbols_read_ = 0;
};

}  // namespace stockpipe::serve
