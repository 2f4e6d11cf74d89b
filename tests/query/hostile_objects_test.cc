// Corrupt and hostile RAW objects (issue 19) against every reader, through the binary and under
// `ulimit -v 2000000` as the issue's reproducer runs it: a truncated object, a valid member whose
// ISIZE trailer says 0xFFFFFFF0, and a gzip bomb (1 MiB inflating to 1 GiB).
//
// What each reader does (docs/unreadable-objects.md): `query`, `backtest --source raw`
// and the dashboard's /api/query fail the statement with the object's key and why; `catalog`
// skips the object, names it, and counts the rest. Nothing aborts or reserves gigabytes.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>

#include "codec/gzip.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

using ::testing::HasSubstr;
using testing::RunStockpipe;

constexpr std::uint64_t kAddressSpace = 2'000'000ull * 1024;  // ulimit -v 2000000

struct Hostile {
  std::string name, bytes, why;  // why: what the error must say
};

std::vector<Hostile> HostileObjects() {
  std::vector<Hostile> out;
  // python3 -c
  // "...d=gzip.compress(b'{}\n');open(p,'wb').write(d[:-4]+struct.pack('<I',0xFFFFFFF0))"
  std::string forged = *GzipCompress("{}\n");
  const std::uint32_t isize = 0xFFFFFFF0u;
  std::memcpy(forged.data() + forged.size() - 4, &isize, 4);
  out.push_back({"forged", forged, "corrupt gzip data in member 1 (incorrect length check)"});
  std::string lines;
  for (int i = 0; i < 2000; ++i) {
    lines += fmt::format(R"({{"symbol":"AAPL","timestamp":"2025-08-14T12:{:02}:{:02}.000000Z",)"
                         R"("price":{}}})",
                         i / 60 % 60, i % 60, 100 + i % 97) +
             "\n";
  }
  const std::string whole = *GzipCompress(lines);
  out.push_back({"truncated", whole.substr(0, whole.size() / 2),
                 "truncated gzip (the object ends inside member 1)"});
  const std::string member = *GzipCompress(std::string(1 << 20, '\0'), 9);
  std::string bomb;
  for (int i = 0; i < 1024; ++i) bomb += member;
  out.push_back(
      {"bomb", bomb, fmt::format("inflates beyond {} MiB", InflateLimit(bomb.size()) >> 20)});
  return out;
}

class HostileObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string file;
    for (int i = 0; i < 90; ++i) {
      file +=
          fmt::format(R"({{"symbol":"{}","timestamp":"2025-08-14T10:{:02}:{:02}Z","price":{}}})",
                      i % 2 ? "MSFT" : "AAPL", i / 60, i % 60, 100 + i) +
          "\n";
    }
    testing::WriteFile(dir_.path() / "in.jsonl", file);
    ASSERT_EQ(Cli({"produce", "file", (dir_.path() / "in.jsonl").string()}).exit_code, 0);
    const auto ingest = Cli({"ingest", "--once"});
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  }

  std::string data() const { return (dir_.path() / "data").string(); }

  // Where the object goes: beside the good ones of the same day.
  std::string Plant(const Hostile& h) {
    const std::string key = "raw/dt=2025-08-14/zz-" + h.name + ".jsonl.gz";
    testing::WriteFile(dir_.path() / "data" / key, h.bytes);
    return key;
  }
  void Remove(const std::string& key) { std::filesystem::remove(dir_.path() / "data" / key); }

  testing::ProcessResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data()});
    return RunStockpipe(args, {.cwd = dir_.path(), .address_space_bytes = kAddressSpace});
  }

  testing::TempDir dir_;
};

TEST_F(HostileObjectsTest, QueryFailsNamingTheObjectAndWhyWithinTheAddressLimit) {
  for (const Hostile& h : HostileObjects()) {
    SCOPED_TRACE(h.name);
    const std::string key = Plant(h);
    for (const char* sql :
         {"SELECT count(*) FROM stock_raw_db.raw", "SELECT symbol, price FROM stock_raw_db.raw",
          "SELECT symbol, max(price) FROM stock_raw_db.raw GROUP BY symbol",
          "SELECT count(*) FROM stock_raw_db.raw WHERE extra IS NULL"}) {
      const auto r = Cli({"query", "--format", "csv", sql});
      EXPECT_EQ(r.signal, 0) << sql << "\n" << r.err;
      EXPECT_EQ(r.exit_code, 1) << sql << "\n" << r.err;
      EXPECT_THAT(r.err, HasSubstr(key + ": " + h.why)) << sql;
    }
    Remove(key);
    const auto r = Cli({"query", "--format", "csv", "SELECT count(*) FROM stock_raw_db.raw"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "count(*)\r\n90\r\n");
  }
}

TEST_F(HostileObjectsTest, CatalogSkipsEachObjectNamingItAndCountsTheRest) {
  std::vector<std::string> keys;
  const auto hostile = HostileObjects();
  for (const Hostile& h : hostile) keys.push_back(Plant(h));
  for (int crawl = 0; crawl < 2; ++crawl) {  // unreadable objects are not remembered as counted
    const auto r = Cli({"catalog"});
    EXPECT_EQ(r.signal, 0) << r.err;
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("3 unreadable skipped")) << r.out;
    EXPECT_THAT(r.out, HasSubstr("stock_raw_db.raw: 90 records")) << r.out;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      EXPECT_THAT(r.err, HasSubstr("catalog: skipped " + keys[i] + ": " + hostile[i].why));
    }
    const auto doc =
        nlohmann::json::parse(testing::ReadFile(dir_.path() / "data" / "catalog.json"));
    ASSERT_EQ(doc["unreadable"].size(), 3u) << doc.dump();
    for (const auto& u : doc["unreadable"]) {
      EXPECT_FALSE(doc["objects"].contains(u["key"].get<std::string>())) << u.dump();
    }
  }
}

TEST_F(HostileObjectsTest, BacktestFromRawFailsNamingTheObject) {
  for (const Hostile& h : HostileObjects()) {
    SCOPED_TRACE(h.name);
    const std::string key = Plant(h);
    const auto r = Cli({"backtest", "--source", "raw"});
    EXPECT_EQ(r.signal, 0) << r.err;
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(key + ": " + h.why));
    Remove(key);
  }
  const auto r = Cli({"backtest", "--source", "raw"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// The dashboard's SQL box: the statement fails with the key, the server stays up.
TEST_F(HostileObjectsTest, DashboardQueryAnswersWithTheErrorAndServeStaysUp) {
  auto child = testing::Start({"--data-dir", data(), "serve", "--http", "127.0.0.1:0"},
                              {.cwd = dir_.path(), .address_space_bytes = kAddressSpace});
  const int port = testing::WaitForDashboardPort(child);
  ASSERT_GT(port, 0) << child.StdErrSoFar();
  httplib::Client client("127.0.0.1", port);
  for (const Hostile& h : HostileObjects()) {  // planted while it serves: each query lists anew
    SCOPED_TRACE(h.name);
    const std::string key = Plant(h);
    const std::string sql = "SELECT symbol, count(*) FROM stock_raw_db.raw GROUP BY symbol";
    auto r = client.Get("/api/query?sql=" + httplib::detail::encode_query_param(sql));
    ASSERT_TRUE(r) << httplib::to_string(r.error()) << "\n" << child.StdErrSoFar();
    EXPECT_GE(r->status, 400) << r->body;
    EXPECT_THAT(r->body, HasSubstr(key + ": " + h.why)) << r->body;
    Remove(key);
  }
  auto good = client.Get("/api/query?sql=" + httplib::detail::encode_query_param(
                                                 "SELECT count(*) AS n FROM stock_raw_db.raw"));
  ASSERT_TRUE(good) << child.StdErrSoFar();
  EXPECT_EQ(good->status, 200) << good->body;
  EXPECT_THAT(good->body, HasSubstr("90")) << good->body;
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health) << child.StdErrSoFar();
  EXPECT_EQ(health->status, 200);
  child.Signal(SIGINT);
  const auto done = child.Wait();
  EXPECT_EQ(done.signal, 0) << done.err;
  EXPECT_EQ(done.exit_code, 0) << done.err;
}

}  // namespace
}  // namespace stockpipe
