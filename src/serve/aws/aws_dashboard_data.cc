#include "serve/aws/aws_dashboard_data.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "store/dynamodb/dynamodb_api.h"

namespace stockpipe::serve {
namespace {

using nlohmann::json;

constexpr Micros kEarliest = 0;
constexpr Micros kLatest = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z

}  // namespace

AwsDashboardData::AwsDashboardData(AwsDashboardOptions options)
    : options_(std::move(options)),
      dynamodb_(options_.dynamodb.client),
      clean_(options_.dynamodb),
      state_(options_.dynamodb),
      alerts_(options_.dynamodb) {
  if (options_.kinesis) kinesis_ = std::make_unique<aws::Client>(*options_.kinesis);
}

Result<StreamNumbers> AwsDashboardData::Stream(std::string_view) {
  StreamNumbers numbers;
  if (!kinesis_) return numbers;
  const json request = {{"StreamName", options_.stream_name}};
  auto answer = kinesis_->CallJson("Kinesis_20131202", "DescribeStreamSummary", request.dump());
  if (!answer) return Status::Error("Kinesis " + answer.error());
  const json summary = json::parse(*answer, nullptr, false);
  if (!summary.is_object()) return Status::Error("Kinesis DescribeStreamSummary: not JSON");
  numbers.shards = summary.value("StreamDescriptionSummary", json::object())
                       .value("OpenShardCount", std::size_t{0});
  return numbers;
}

Result<std::vector<SymbolSummary>> AwsDashboardData::Symbols() {
  const Micros now = NowMicros();
  if (symbols_read_ && now - symbols_read_ < options_.symbols_ttl) return symbols_;
  auto names = clean_.Symbols();
  if (!names) return names.status();
  std::vector<SymbolSummary> symbols;
  for (const std::string& name : *names) {
    auto newest = Range(name, kEarliest, kLatest, 1);
    if (!newest) return newest.status();
    symbols.push_back({name, 0, newest->empty() ? 0 : newest->back().timestamp});
  }
  symbols_ = std::move(symbols);
  symbols_read_ = now;
  return symbols_;
}

Result<std::optional<double>> AwsDashboardData::LastPrice(std::string_view symbol) {
  auto newest = Range(symbol, kEarliest, kLatest, 1);
  if (!newest) return newest.status();
  if (newest->empty()) return std::optional<double>();
  return std::optional<double>(newest->back().price);
}

Result<std::vector<PricePoint>> AwsDashboardData::Newest(std::string_view symbol,
                                                         std::optional<Micros> from,
                                                         std::optional<Micros> to, std::size_t n) {
  return Range(symbol, from.value_or(kEarliest), to.value_or(kLatest), n);
}

Result<std::vector<PricePoint>> AwsDashboardData::Before(std::string_view symbol, Micros before,
                                                         std::optional<Micros> from,
                                                         std::size_t n) {
  return Range(symbol, from.value_or(kEarliest), before - 1, n);
}

Result<std::vector<Interval>> AwsDashboardData::CandleIntervals() {
  return clean_.CandleIntervals();
}

Result<std::vector<Candle>> AwsDashboardData::Candles(const CandleQuery& query) {
  return clean_.Candles(query);
}

Result<std::vector<PricePoint>> AwsDashboardData::Range(std::string_view symbol, Micros from,
                                                        Micros to, std::size_t n) {
  std::vector<PricePoint> points;
  if (n == 0 || from > to) return points;
  json query = {{"TableName", options_.dynamodb.table},
                {"KeyConditionExpression", "#s = :s AND #t BETWEEN :from AND :to"},
                {"ExpressionAttributeNames", {{"#s", "symbol"}, {"#t", "timestamp"}}},
                {"ExpressionAttributeValues",
                 {{":s", {{"S", std::string(symbol)}}},
                  {":from", {{"S", FormatCanonical(std::max<Micros>(from, 0))}}},
                  {":to", {{"S", FormatCanonical(std::min(to, kLatest))}}}}},
                {"ProjectionExpression", "#t, price"},
                {"ScanIndexForward", false},
                {"Limit", n}};
  while (points.size() < n) {
    auto page = dynamodb::Call(dynamodb_, "Query", query);
    if (!page) return page.status();
    for (const json& item : page->value("Items", json::array())) {
      const std::string* stamp = dynamodb::Attribute(item, "timestamp", "S");
      const auto time = stamp ? ParseTimestampText(*stamp) : std::nullopt;
      const std::string* number = dynamodb::Attribute(item, "price", "N");
      const std::string price_text = number ? *number : std::string();
      double price = 0;
      const auto [end, ec] =
          std::from_chars(price_text.data(), price_text.data() + price_text.size(), price);
      // Items no tick could be (what `migrate dynamodb` reports and leaves) are not points.
      if (!time || price_text.empty() || ec != std::errc() || !(price > 0)) continue;
      points.push_back({*time, price});
      if (points.size() == n) break;
    }
    const json next = page->value("LastEvaluatedKey", json());
    if (!next.is_object() || next.empty()) break;
    query["ExclusiveStartKey"] = next;
  }
  std::reverse(points.begin(), points.end());
  return points;
}

Result<std::optional<std::string>> AwsDashboardData::State(std::string_view key) {
  return state_.Get(key);
}

Result<std::vector<AlertRow>> AwsDashboardData::Alerts(std::size_t limit, std::int64_t after_id) {
  auto logged = alerts_.Recent(limit, after_id);
  if (!logged) return logged.status();
  std::vector<AlertRow> rows;
  for (LoggedAlert& alert : *logged) {
    rows.push_back({alert.id,
                    std::string(KindName(alert.message.kind)),
                    std::move(alert.message.subject),
                    std::move(alert.message.body),
                    alert.message.created,
                    {{alert.channel, "delivered", 1}}});
  }
  return rows;
}

Result<std::int64_t> AwsDashboardData::NewestAlertId() {
  auto newest = alerts_.Recent(1, 0);
  if (!newest) return newest.status();
  return newest->empty() ? std::int64_t{0} : newest->front().id;
}

Result<std::vector<ChannelHealth>> AwsDashboardData::Channels(
    const std::vector<std::string>& configured) {
  std::vector<ChannelHealth> health;
  for (const std::string& channel : configured) {
    auto record = alerts_.Channel(channel);
    if (!record) return record.status();
    ChannelHealth h;
    h.channel = channel;
    h.delivered = record->delivered;
    h.attempts = record->delivered + record->failures;
    h.failures = record->failures;
    h.last_success = record->last_success;
    h.last_error = record->last_error;
    h.last_error_at = record->last_error_at;
    h.failing = record->last_error_at > record->last_success;
    health.push_back(std::move(h));
  }
  return health;
}

}  // namespace stockpipe::serve
