// The data folder as the dashboard reads it keeps what it read between requests (the symbol
// summaries, the stream numbers, state values, channel health) until the file it came from
// changes. These tests hold the real writers (SqliteCleanStore, SqliteStream, the outbox) and
// check that a commit made after one request shows in the next, whichever way SQLite lets a
// reader see it: a writer that stays open (PRAGMA data_version moves), one that appears after
// the file was read immutable (its -wal shows up), and one that came and went between two
// requests (the main file changed). /healthz's cheap check still reports a store it cannot read.
#include "serve/dashboard_stores.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "alerts/console_notifier.h"
#include "alerts/outbox/outbox.h"
#include "serve/dashboard.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "stream/local/sqlite_stream.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using nlohmann::json;
using serve::ApiError;
using serve::ApiResult;
using serve::Dashboard;

constexpr Micros kT0 = 1'764'081'000'000'000;  // 2025-11-25T14:30:00Z
constexpr Micros kSecond = 1'000'000;

json Doc(const ApiResult<std::string>& r) {
  if (const auto* e = std::get_if<ApiError>(&r)) {
    ADD_FAILURE() << "unexpected error " << e->http_status << " " << e->code << ": " << e->message;
    return json();
  }
  return json::parse(std::get<std::string>(r), nullptr, false);
}

class DashboardStoresTest : public ::testing::Test {
 protected:
  std::unique_ptr<Dashboard> Open() {
    Config c;
    c.data_dir = dir_.str();
    auto d = Dashboard::Open(c);
    EXPECT_TRUE(d.ok()) << d.status().message();
    return d ? std::move(*d) : nullptr;
  }

  std::unique_ptr<SqliteCleanStore> Clean() {
    auto store = SqliteCleanStore::Open(dir_.str() + "/clean.db");
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store ? std::move(*store) : nullptr;
  }

  static Tick At(const std::string& symbol, Micros t, double price) {
    Tick tick;
    tick.symbol = symbol;
    tick.timestamp = t;
    tick.price = price;
    return tick;
  }
  // `n` ticks of `symbol` a second apart from `from`.
  static std::vector<Tick> Ticks(const std::string& symbol, Micros from, int n) {
    std::vector<Tick> ticks;
    for (int i = 0; i < n; ++i) ticks.push_back(At(symbol, from + i * kSecond, 10.0 + i));
    return ticks;
  }
  static serve::SeriesRequest Series(const std::string& symbol) {
    serve::SeriesRequest request;
    request.symbol = symbol;
    return request;
  }

  json CleanNumbers(Dashboard& d) { return Doc(d.Status(NowMicros(), std::nullopt))["clean"]; }

  testing::TempDir dir_;
};

TEST_F(DashboardStoresTest, EachCommitOfAWriterThatStaysOpenShowsInTheNextRequest) {
  auto store = Clean();
  ASSERT_TRUE(store->Upsert(Ticks("AAPL", kT0, 2)).ok());
  auto d = Open();
  EXPECT_EQ(CleanNumbers(*d), json({{"rows", 2}, {"symbols", 1}}));
  EXPECT_EQ(std::get<ApiError>(d->Series(Series("MSFT"))).code, "unknown_symbol");

  // A new symbol and a newer point of a known one, through the writer still open.
  std::vector<Tick> more = Ticks("MSFT", kT0, 3);
  more.push_back(At("AAPL", kT0 + 60 * kSecond, 42.5));
  ASSERT_TRUE(store->Upsert(more).ok());
  EXPECT_EQ(CleanNumbers(*d), json({{"rows", 6}, {"symbols", 2}}));
  EXPECT_EQ(Doc(d->Series(Series("MSFT")))["points"].size(), 3u);
  const auto look = std::get<Dashboard::Fingerprint>(d->Look());
  ASSERT_EQ(look.newest_by_symbol.size(), 2u);
  EXPECT_EQ(look.newest_by_symbol[0], (std::pair<std::string, Micros>("AAPL", kT0 + 60 * kSecond)));
  const std::string metrics = std::get<std::string>(d->Metrics(NowMicros()));
  EXPECT_NE(metrics.find("stockpipe_clean_rows{symbol=\"MSFT\"} 3\n"), std::string::npos);
  EXPECT_NE(metrics.find("stockpipe_clean_rows{symbol=\"AAPL\"} 3\n"), std::string::npos);

  // A re-sent point replaces its price and adds no row: the numbers stay.
  ASSERT_TRUE(store->Upsert(std::vector<Tick>{At("AAPL", kT0, 11.0)}).ok());
  EXPECT_EQ(CleanNumbers(*d), json({{"rows", 6}, {"symbols", 2}}));
}

// /api/symbols reads each last price through one statement kept between requests: a statement
// left mid-way would hold its snapshot and every later answer would show the old prices.
TEST_F(DashboardStoresTest, LastPricesFollowEachCommit) {
  auto store = Clean();
  ASSERT_TRUE(store->Upsert(Ticks("AAPL", kT0, 2)).ok());
  ASSERT_TRUE(store->Upsert(Ticks("MSFT", kT0, 1)).ok());
  auto d = Open();
  const auto prices = [&d] {
    std::vector<double> out;
    const json doc = Doc(d->Symbols());
    for (const json& s : doc["symbols"]) out.push_back(s["last_price"].get<double>());
    return out;
  };
  EXPECT_EQ(prices(), (std::vector<double>{11.0, 10.0}));
  ASSERT_TRUE(store->Upsert(std::vector<Tick>{At("AAPL", kT0 + 60 * kSecond, 42.5)}).ok());
  EXPECT_EQ(prices(), (std::vector<double>{42.5, 10.0}));
  // A corrected price of the newest point, and a new one of the other symbol.
  ASSERT_TRUE(store
                  ->Upsert(std::vector<Tick>{At("AAPL", kT0 + 60 * kSecond, 43.0),
                                             At("MSFT", kT0 + 5 * kSecond, 7.25)})
                  .ok());
  EXPECT_EQ(prices(), (std::vector<double>{43.0, 7.25}));
  EXPECT_EQ(CleanNumbers(*d), json({{"rows", 5}, {"symbols", 2}}));
}

TEST_F(DashboardStoresTest, AWriterThatStartsOrComesAndGoesBetweenRequestsIsSeen) {
  ASSERT_TRUE(Clean()->Upsert(Ticks("AAPL", kT0, 2)).ok());
  ASSERT_FALSE(std::filesystem::exists(dir_.str() + "/clean.db-wal"))
      << "the writer closed: the dashboard reads the main file alone (immutable)";
  auto d = Open();
  EXPECT_EQ(CleanNumbers(*d), json({{"rows", 2}, {"symbols", 1}}));

  // Came and went between two requests: only the main file says so.
  ASSERT_TRUE(Clean()->Upsert(Ticks("MSFT", kT0, 3)).ok());
  ASSERT_FALSE(std::filesystem::exists(dir_.str() + "/clean.db-wal"));
  EXPECT_EQ(CleanNumbers(*d), json({{"rows", 5}, {"symbols", 2}}));
  EXPECT_EQ(Doc(d->Series(Series("MSFT")))["points"].size(), 3u);

  // Starts after the last request and stays: its -wal shows up.
  auto store = Clean();
  ASSERT_TRUE(store->Upsert(Ticks("NVDA", kT0, 4)).ok());
  EXPECT_EQ(CleanNumbers(*d), json({{"rows", 9}, {"symbols", 3}}));
  ASSERT_TRUE(store->Upsert(Ticks("NVDA", kT0 + 10 * kSecond, 1)).ok());
  EXPECT_EQ(CleanNumbers(*d), json({{"rows", 10}, {"symbols", 3}}));
}

TEST_F(DashboardStoresTest, StreamNumbersFollowPutsAndTheConsumersCommits) {
  auto stream = SqliteStream::Open(dir_.str() + "/stream.db", 1);
  ASSERT_TRUE(stream.ok()) << stream.status().message();
  const std::vector<StreamRecord> three = {{"AAPL", "a"}, {"AAPL", "b"}, {"AAPL", "c"}};
  ASSERT_TRUE((*stream)->Put(three).ok());
  auto d = Open();
  json status = Doc(d->Status(NowMicros(), std::nullopt));
  EXPECT_EQ(status["stream"]["lag_records"], 3);
  EXPECT_EQ(status["ingest"]["received"], 0);

  auto batch = (*stream)->Claim("ingest", SqliteStream::ShardName(0), 100);
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  ASSERT_EQ(batch->entries.size(), 3u);
  IngestCounts counts;
  counts.received = 3;
  counts.accepted = 2;
  counts.rejected[0] = 1;
  ASSERT_TRUE((*stream)->Commit("ingest", *batch, counts).ok());
  status = Doc(d->Status(NowMicros(), std::nullopt));
  EXPECT_EQ(status["stream"]["lag_records"], 0);
  EXPECT_EQ(status["ingest"]["received"], 3);
  EXPECT_EQ(status["ingest"]["accepted"], 2);
  EXPECT_EQ(status["ingest"]["rejected_total"], 1);
  const auto sample = std::get<serve::IngestSample>(d->Sample(NowMicros()));
  EXPECT_EQ(sample.received, 3u);

  ASSERT_TRUE((*stream)->Put(std::vector<StreamRecord>{{"MSFT", "d"}}).ok());
  EXPECT_EQ(Doc(d->Status(NowMicros(), std::nullopt))["stream"]["lag_records"], 1);
}

TEST_F(DashboardStoresTest, ChannelHealthFollowsTheOutbox) {
  ConsoleNotifier console;
  OutboxOptions options;
  options.path = dir_.str() + "/outbox.db";
  auto outbox = Outbox::Open(options, {&console});
  ASSERT_TRUE(outbox.ok()) << outbox.status().message();
  ASSERT_TRUE((*outbox)->Enqueue({MessageKind::kSignals, "Alerts: AAPL:BUY", "body", 1}, 2).ok());
  auto d = Open();
  EXPECT_EQ(Doc(d->Status(NowMicros(), std::nullopt))["alerts"][0]["pending"], 1);
  ASSERT_TRUE((*outbox)->Enqueue({MessageKind::kSignals, "Alerts: MSFT:SELL", "body", 3}, 4).ok());
  EXPECT_EQ(Doc(d->Status(NowMicros(), std::nullopt))["alerts"][0]["pending"], 2);
}

TEST_F(DashboardStoresTest, HealthIsOkOverAFolderStillEmptyOrWritten) {
  auto d = Open();
  EXPECT_TRUE(d->Health().ok()) << "nothing written yet reads as empty";
  ASSERT_TRUE(Clean()->Upsert(Ticks("AAPL", kT0, 2)).ok());
  const Status health = d->Health();
  EXPECT_TRUE(health.ok()) << health.message();
}

TEST_F(DashboardStoresTest, HealthNamesAStoreThatCannotBeRead) {
  testing::WriteFile(dir_.path() / "clean.db", std::string(4096, 'x'));
  auto d = Open();
  const Status health = d->Health();
  ASSERT_FALSE(health.ok());
  EXPECT_NE(health.message().find("clean.db"), std::string::npos) << health.message();
}

}  // namespace
}  // namespace stockpipe
