#include "store/dynamodb/dynamodb_items.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include "codec/json_write.h"
#include "store/dynamodb/dynamodb_api.h"

namespace stockpipe::dynamodb {
namespace {

using nlohmann::json;

// A decimal as DynamoDB returns numbers (or a numeric string, spaces around allowed).
bool ParseNumber(std::string_view digits, double& value) {
  while (!digits.empty() && digits.front() == ' ') digits.remove_prefix(1);
  while (!digits.empty() && digits.back() == ' ') digits.remove_suffix(1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return !digits.empty() && ec == std::errc() && end == digits.data() + digits.size();
}

// The finite number in N attribute `name`, if there is one.
std::optional<double> NumberAttribute(const json& item, const char* name) {
  const std::string* text = Attribute(item, name, "N");
  double value = 0;
  if (!text || !ParseNumber(*text, value) || !std::isfinite(value)) return std::nullopt;
  return value;
}

void AppendCanonical(Micros t, std::string& out) {
  out += '"';
  const std::size_t at = out.size();
  out.resize(at + kCanonicalTimestampSize);
  FormatCanonical(t, out.data() + at);
  out += '"';
}

void AppendNumberAttribute(const char* name, double value, std::string& out) {
  out += ",\"";
  out += name;
  out += R"(":{"N":")";
  AppendNumber(value, out);
  out += "\"}";
}

}  // namespace

void AppendTickPut(const Tick& tick, std::string& out) {
  out += R"({"PutRequest":{"Item":{"symbol":{"S":)";
  AppendJsonString(tick.symbol, out);
  out += R"(},"timestamp":{"S":)";
  AppendCanonical(tick.timestamp, out);
  out += '}';
  AppendNumberAttribute("price", tick.price, out);
  if (tick.volume) AppendNumberAttribute("volume", *tick.volume, out);
  if (tick.bar) {
    AppendNumberAttribute("open", tick.bar->open, out);
    AppendNumberAttribute("high", tick.bar->high, out);
    AppendNumberAttribute("low", tick.bar->low, out);
  }
  out += "}}}";
}

std::string_view ReadTickItem(const json& item, Tick& tick, std::string_view& stamp) {
  const std::string* text = Attribute(item, "timestamp", "S");
  if (!text) return "no string timestamp";
  stamp = *text;
  const auto time = ParseTimestampText(*text);
  if (!time) return "timestamp is not a time";
  tick.timestamp = *time;
  const std::string* price = Attribute(item, "price", "N");
  if (!price) price = Attribute(item, "price", "S");
  if (!price) return "no price";
  if (!ParseNumber(*price, tick.price)) return "price is not a number";
  if (!std::isfinite(tick.price) || tick.price <= 0) return "price is not a positive number";
  tick.volume = NumberAttribute(item, "volume");
  if (tick.volume && *tick.volume < 0) tick.volume.reset();
  const auto open = NumberAttribute(item, "open");
  const auto high = NumberAttribute(item, "high");
  const auto low = NumberAttribute(item, "low");
  tick.bar.reset();
  if (open && high && low) tick.bar = TickBar{*open, *high, *low};
  return {};
}

std::string SeriesKey(std::string_view symbol, std::string_view interval) {
  std::string key;
  key.reserve(symbol.size() + 1 + interval.size());
  key.append(symbol).append(1, '#').append(interval);
  return key;
}

json BarKey(std::string_view series, Micros start) {
  return {{"series", {{"S", series}}}, {"start", {{"S", FormatCanonical(start)}}}};
}

void AppendBarPut(const Candle& bar, std::string& out) {
  out += R"({"PutRequest":{"Item":{"series":{"S":)";
  AppendJsonString(SeriesKey(bar.symbol, bar.interval), out);
  out += R"(},"start":{"S":)";
  AppendCanonical(bar.start, out);
  out += R"(},"symbol":{"S":)";
  AppendJsonString(bar.symbol, out);
  out += R"(},"interval":{"S":)";
  AppendJsonString(bar.interval, out);
  out += '}';
  AppendNumberAttribute("open", bar.open, out);
  AppendNumberAttribute("high", bar.high, out);
  AppendNumberAttribute("low", bar.low, out);
  AppendNumberAttribute("close", bar.close, out);
  if (bar.volume) AppendNumberAttribute("volume", *bar.volume, out);
  out += R"(,"ticks":{"N":")";
  out += std::to_string(bar.ticks);
  out += R"("},"first":{"S":)";
  AppendCanonical(bar.first, out);
  out += R"(},"last":{"S":)";
  AppendCanonical(bar.last, out);
  out += "}}}}";
}

void AppendBarDelete(std::string_view series, std::string_view start, std::string& out) {
  out += R"({"DeleteRequest":{"Key":{"series":{"S":)";
  AppendJsonString(series, out);
  out += R"(},"start":{"S":)";
  AppendJsonString(start, out);
  out += "}}}}";
}

bool ReadBarItem(const json& item, Candle& bar) {
  const std::string* symbol = Attribute(item, "symbol", "S");
  const std::string* interval = Attribute(item, "interval", "S");
  const std::string* start = Attribute(item, "start", "S");
  const std::string* first = Attribute(item, "first", "S");
  const std::string* last = Attribute(item, "last", "S");
  const std::string* ticks = Attribute(item, "ticks", "N");
  if (!symbol || !interval || !start || !first || !last || !ticks) return false;
  const auto start_time = ParseTimestampText(*start);
  const auto first_time = ParseTimestampText(*first);
  const auto last_time = ParseTimestampText(*last);
  const auto open = NumberAttribute(item, "open");
  const auto high = NumberAttribute(item, "high");
  const auto low = NumberAttribute(item, "low");
  const auto close = NumberAttribute(item, "close");
  std::uint64_t count = 0;
  const auto [end, ec] = std::from_chars(ticks->data(), ticks->data() + ticks->size(), count);
  if (!start_time || !first_time || !last_time || !open || !high || !low || !close ||
      ec != std::errc() || end != ticks->data() + ticks->size()) {
    return false;
  }
  bar.symbol = *symbol;
  bar.interval = *interval;
  bar.start = *start_time;
  bar.first = *first_time;
  bar.last = *last_time;
  bar.open = *open;
  bar.high = *high;
  bar.low = *low;
  bar.close = *close;
  bar.volume = NumberAttribute(item, "volume");
  bar.ticks = count;
  return true;
}

}  // namespace stockpipe::dynamodb
