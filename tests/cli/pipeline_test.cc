// The embedded pipeline through the binary, as a user drives it: produce file -> ingest --once
// -> health --json; trends --once writing the alert log; `trends eval` input errors; and Ctrl-C
// (SIGINT) on a running `stockpipe run` / `stockpipe ingest` that stops cleanly losing nothing.
//
// Readiness is awaited by polling a condition (health --json), never by sleeping a fixed time.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "stream/local/sqlite_stream.h"
#include "support/lines.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

using testing::RunStockpipe;

using stockpipe::testing::Lines;

// The numbers of `stockpipe health --json` the tests check.
struct Health {
  std::uint64_t received = 0, accepted = 0, rejected = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;
  std::uint64_t lag_records = 0, retained = 0, clean_rows = 0, raw_objects = 0;
  std::uint64_t last_run_alerts = 0;
  bool has_last_run = false;
  std::string raw_json;
};

class PipelineTest : public ::testing::Test {
 protected:
  std::string data() const { return (dir_.path() / "data").string(); }

  testing::ProcessResult Cli(std::vector<std::string> args, std::string stdin_text = "") {
    args.insert(args.begin(), {"--data-dir", data()});
    return RunStockpipe(args, {.cwd = dir_.path(), .stdin_text = std::move(stdin_text)});
  }

  // Runs `health --json`; false (with the reason in `error`) when it fails or is not JSON.
  bool ReadHealth(Health& h, std::string* error = nullptr) {
    const auto r = Cli({"health", "--json"});
    if (r.exit_code != 0) {
      if (error) *error = r.err;
      return false;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(r.out).get(root) != simdjson::SUCCESS) {
      if (error) *error = "not JSON: " + r.out;
      return false;
    }
    h = Health{};
    h.raw_json = r.out;
    h.received = uint64_t(root["ingest"]["received"]);
    h.accepted = uint64_t(root["ingest"]["accepted"]);
    for (auto [reason, count] : simdjson::dom::object(root["ingest"]["rejected"])) {
      h.rejected_by_reason[std::string(reason)] = uint64_t(count);
      h.rejected += uint64_t(count);
    }
    h.lag_records = uint64_t(root["stream"]["lag_records"]);
    h.retained = uint64_t(root["stream"]["retained_records"]);
    h.clean_rows = uint64_t(root["clean"]["rows"]);
    h.raw_objects = uint64_t(root["raw"]["objects"]);
    h.has_last_run = !root["last_trends_run"].is_null();
    if (h.has_last_run) h.last_run_alerts = uint64_t(root["last_trends_run"]["alerts_count"]);
    return true;
  }

  Health MustReadHealth() {
    Health h;
    std::string error;
    EXPECT_TRUE(ReadHealth(h, &error)) << error;
    return h;
  }

  // `count` records of `symbol`, one minute apart from `start_epoch` seconds, each price `step`
  // times the previous one.
  static std::string Series(const std::string& symbol, double start, double step, int count,
                            long start_epoch = 1'755'180'000) {
    std::string out;
    double price = start;
    for (int i = 0; i < count; ++i) {
      out += fmt::format(R"({{"symbol":"{}","timestamp":{},"price":{}}})", symbol,
                         start_epoch + 60 * i, price);
      out += "\n";
      price *= step;
    }
    return out;
  }

  static std::uint64_t SentCount(const std::string& out) {
    for (const std::string& line : Lines(out)) {
      if (line.starts_with("sent ")) return std::stoull(line.substr(5));
    }
    ADD_FAILURE() << "no 'sent N' line in: " << out;
    return 0;
  }

  testing::TempDir dir_;
};

TEST_F(PipelineTest, ProduceFileThenIngestOnceThenHealthBalances) {
  const std::vector<std::string> records{
      R"({"symbol":"AAPL","timestamp":"2025-08-14T14:38:12Z","price":225.11})",
      "\xEF\xBB\xBF"
      R"({"symbol":"msft","timestamp":"2025-08-14T14:38:12.5+02:00","price":"410.5"})",
      R"({"symbol":"AAPL","timestamp":1755182293,"price":225.2,"volume":100})",
      R"({"symbol":"AAPL","timestamp":1755182294000,"price":225.3})",
      R"({"symbol":"TSLA","price":300})",
      R"(not json at all)",
      R"({"symbol":"AAPL","timestamp":"2025-08-14T14:38:12Z","price":-3})",
      R"({"symbol":"AAPL","timestamp":"2025-08-14T14:38:12Z","price":"abc"})",
      R"({"timestamp":"2025-08-14T14:38:12Z","price":1})",
      R"({"symbol":"AAPL","timestamp":"yesterday","price":1})",
      R"([1,2,3])",
      R"({"symbol":"AAPL","timestamp":"2025-08-14T14:38:1)",
  };
  std::string file;
  for (const std::string& r : records) file += r + "\n";
  testing::WriteFile(dir_.path() / "in.jsonl", file);

  auto produced = Cli({"produce", "file", (dir_.path() / "in.jsonl").string()});
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  EXPECT_EQ(SentCount(produced.out), records.size());

  auto ingested = Cli({"ingest", "--once"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;

  Health h = MustReadHealth();
  EXPECT_EQ(h.received, records.size()) << h.raw_json;
  EXPECT_EQ(h.accepted + h.rejected, records.size()) << h.raw_json;
  EXPECT_EQ(h.accepted, 5u) << h.raw_json;
  EXPECT_EQ(h.clean_rows, h.accepted) << h.raw_json;
  EXPECT_EQ(h.lag_records, 0u) << h.raw_json;
  EXPECT_GT(h.raw_objects, 0u);
  EXPECT_EQ(h.rejected_by_reason["malformed_json"] + h.rejected_by_reason["not_an_object"], 3u)
      << h.raw_json;
  EXPECT_EQ(h.rejected_by_reason["missing_symbol"], 1u) << h.raw_json;

  // Ingest again: nothing new, nothing counted twice.
  ASSERT_EQ(Cli({"ingest", "--once"}).exit_code, 0);
  const Health again = MustReadHealth();
  EXPECT_EQ(again.received, records.size());
  EXPECT_EQ(again.clean_rows, h.clean_rows);
}

TEST_F(PipelineTest, ProduceFileFromStdinAppendsToTheSameStream) {
  const std::string first = Series("AAPL", 100, 1.0, 7);
  const std::string second = Series("MSFT", 50, 1.0, 5) + "garbage\n";
  ASSERT_EQ(SentCount(Cli({"produce", "file", "-"}, first).out), 7u);
  ASSERT_EQ(Cli({"ingest", "--once"}).exit_code, 0);
  ASSERT_EQ(SentCount(Cli({"produce", "file", "-"}, second).out), 6u);
  ASSERT_EQ(Cli({"ingest", "--once"}).exit_code, 0);
  const Health h = MustReadHealth();
  EXPECT_EQ(h.received, 13u) << h.raw_json;
  EXPECT_EQ(h.accepted, 12u) << h.raw_json;
  EXPECT_EQ(h.rejected, 1u) << h.raw_json;
  EXPECT_EQ(h.clean_rows, 12u) << h.raw_json;
}

TEST_F(PipelineTest, TrendsOnceWritesOneAlertLineForTrendingData) {
  const std::string input =
      Series("AAPL", 100, 1.01, 30) + Series("MSFT", 100, 0.99, 30) + Series("GOOG", 100, 1.0, 30);
  ASSERT_EQ(SentCount(Cli({"produce", "file", "-"}, input).out), 90u);
  ASSERT_EQ(Cli({"ingest", "--once"}).exit_code, 0);

  const auto log_path = dir_.path() / "data" / "alerts.jsonl";
  auto trends = Cli({"trends", "--once", "--lang", "en"});
  ASSERT_EQ(trends.exit_code, 0) << trends.err;
  EXPECT_NE(trends.out.find("Alerts: AAPL:SELL, Alerts: MSFT:BUY"), std::string::npos)
      << "console channel: " << trends.out;

  auto lines = Lines(testing::ReadFile(log_path));
  ASSERT_EQ(lines.size(), 1u) << "all alerts of one run in one message";
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(lines[0]).get(root), simdjson::SUCCESS) << lines[0];
  EXPECT_EQ(std::string_view(root["kind"]), "signals");
  EXPECT_EQ(std::string_view(root["subject"]), "Alerts: AAPL:SELL, Alerts: MSFT:BUY");
  const std::string_view body = root["body"];
  // The reference's layout: each alert's time as its second line.
  const std::string time_line = "\n⏰ " + std::string(std::string_view(root["time"]).substr(0, 10)) +
                                " " + std::string(std::string_view(root["time"]).substr(11, 8)) +
                                " UTC\n";
  EXPECT_NE(body.find("📈 Stock Alert — AAPL" + time_line + "Action: SELL"), std::string::npos)
      << body;
  EXPECT_NE(body.find("📉 Stock Alert — MSFT" + time_line + "Action: BUY"), std::string::npos)
      << body;
  EXPECT_EQ(body.find("GOOG"), std::string::npos) << body;
  EXPECT_EQ(std::string_view(root["time"]).size(), kCanonicalTimestampSize);

  const Health h = MustReadHealth();
  EXPECT_TRUE(h.has_last_run);
  EXPECT_EQ(h.last_run_alerts, 2u) << h.raw_json;

  // A second run inside the default cooldown sends nothing; cooldown 0 alerts again.
  ASSERT_EQ(Cli({"trends", "--once", "--lang", "en"}).exit_code, 0);
  EXPECT_EQ(Lines(testing::ReadFile(log_path)).size(), 1u) << "the cooldown did not hold";
  ASSERT_EQ(Cli({"trends", "--once", "--lang", "en", "--cooldown", "0"}).exit_code, 0);
  lines = Lines(testing::ReadFile(log_path));
  ASSERT_EQ(lines.size(), 2u);
  ASSERT_EQ(parser.parse(lines[1]).get(root), simdjson::SUCCESS) << lines[1];
  EXPECT_EQ(std::string_view(root["subject"]), "Alerts: AAPL:SELL, Alerts: MSFT:BUY");
}

TEST_F(PipelineTest, TrendsOnceOnFlatDataWritesNoAlert) {
  ASSERT_EQ(SentCount(Cli({"produce", "file", "-"}, Series("GOOG", 100, 1.0, 30)).out), 30u);
  ASSERT_EQ(Cli({"ingest", "--once"}).exit_code, 0);
  auto trends = Cli({"trends", "--once"});
  ASSERT_EQ(trends.exit_code, 0) << trends.err;
  EXPECT_TRUE(testing::ReadFile(dir_.path() / "data" / "alerts.jsonl").empty());
  const Health h = MustReadHealth();
  EXPECT_TRUE(h.has_last_run) << h.raw_json;
  EXPECT_EQ(h.last_run_alerts, 0u);
}

TEST_F(PipelineTest, TrendsEvalReportsBadLinesAndKeepsGoing) {
  const std::string input =
      "{\"prices\":[1,2]}\n"
      "not json\n"
      "\n"
      "{\"params\":{\"SMA_WINDOW\":0},\"prices\":[1,2,3]}\n"
      "{\"params\":{\"THRESH_PCT\":1,\"LOOKBACK_POINTS\":1,\"SMA_WINDOW\":2,\"MIN_POINTS\":2,"
      "\"EPS_PCT\":0},\"lang\":\"en\",\"symbol\":\"X\",\"prices\":[1,2]}\n"
      "{\"lang\":\"de\",\"prices\":[1]}\n";
  const auto r = Cli({"trends", "eval"}, input);
  EXPECT_EQ(r.exit_code, 1) << "errors must show in the exit code";
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;  // the blank line is skipped
  simdjson::dom::parser parser;
  const auto parse = [&](std::size_t i) {
    simdjson::dom::element root;
    EXPECT_EQ(parser.parse(lines[i]).get(root), simdjson::SUCCESS) << lines[i];
    return root;
  };
  EXPECT_EQ(std::string_view(parse(0)["reason"]), "too_few_points");  // default parameters
  EXPECT_NE(std::string_view(parse(1)["error"]).find("line 2"), std::string::npos) << lines[1];
  EXPECT_NE(std::string_view(parse(2)["error"]).find("SMA_WINDOW"), std::string::npos) << lines[2];
  simdjson::dom::element ok = parse(3);
  EXPECT_EQ(std::string_view(ok["action"]), "SELL");
  EXPECT_EQ(std::string_view(ok["subject"]), "Alerts: X:SELL");
  EXPECT_EQ(double(ok["delta_pct"]), 100.0);
  EXPECT_NE(std::string_view(parse(4)["error"]).find("lang"), std::string::npos) << lines[4];
}

// Checkpoint of every shard == its newest sequence, read from the stream file itself.
void ExpectCheckpointsAtHead(const std::string& data_dir, std::uint64_t expected_records) {
  auto stream = SqliteStream::Open(data_dir + "/stream.db", 4);
  ASSERT_TRUE(stream) << stream.error();
  auto stats = (*stream)->Stats("ingest");
  ASSERT_TRUE(stats) << stats.error();
  std::uint64_t total = 0;
  for (const ShardStats& s : stats->shards) {
    EXPECT_EQ(s.checkpoint, s.newest_sequence) << s.shard;
    EXPECT_EQ(s.lag_records, 0u) << s.shard;
    total += s.newest_sequence;
  }
  EXPECT_EQ(total, expected_records) << "records in the stream != records the producer sent";
  EXPECT_EQ(stats->counts.received, expected_records);
  EXPECT_TRUE(stats->counts.balanced());
}

TEST_F(PipelineTest, SigintStopsRunCleanlyAndLosesNothing) {
  // --for far beyond the test: the run must stop because of SIGINT, not by itself.
  auto child = testing::Start(
      {"--data-dir", data(), "run", "--no-http", "--producer", "synthetic", "--for", "10m",
       "--every", "2s", "--INTERVAL_SEC", "0.05", "--seed", "7", "--lang", "en"},
      {.cwd = dir_.path()});
  // Ready when records have gone all the way through ingest: CLEAN rows become visible a moment
  // before the checkpoint and its counts commit, so wait for both.
  Health h;
  const bool ready =
      testing::Eventually([&] { return ReadHealth(h) && h.clean_rows > 0 && h.received > 0; });
  ASSERT_TRUE(ready) << "run never ingested anything; stderr: " << child.StdErrSoFar();
  EXPECT_GT(h.received, 0u);

  child.Signal(SIGINT);
  const auto r = child.Wait();
  ASSERT_EQ(r.signal, 0) << "killed by signal " << r.signal;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped cleanly"), std::string::npos) << r.err;
  const std::uint64_t sent = SentCount(r.out);
  EXPECT_GT(sent, 0u);

  // What the run committed adds up ...
  const Health stopped = MustReadHealth();
  EXPECT_EQ(stopped.received, stopped.accepted + stopped.rejected) << stopped.raw_json;
  EXPECT_LE(stopped.received, sent);
  EXPECT_EQ(stopped.clean_rows, stopped.accepted) << stopped.raw_json;

  // ... and after a final ingest everything the producer sent is accounted for, once.
  ASSERT_EQ(Cli({"ingest", "--once"}).exit_code, 0);
  const Health final_health = MustReadHealth();
  EXPECT_EQ(final_health.received, sent) << final_health.raw_json;
  EXPECT_EQ(final_health.accepted, sent) << "synthetic ticks are all valid";
  EXPECT_EQ(final_health.rejected, 0u);
  EXPECT_EQ(final_health.clean_rows, sent) << final_health.raw_json;
  EXPECT_EQ(final_health.lag_records, 0u);
  ExpectCheckpointsAtHead(data(), sent);
}

TEST_F(PipelineTest, SigintStopsAStandingIngestWithCheckpointsAtTheHead) {
  ASSERT_EQ(SentCount(Cli({"produce", "file", "-"}, Series("AAPL", 100, 1.001, 500)).out), 500u);
  auto child = testing::Start({"--data-dir", data(), "ingest"}, {.cwd = dir_.path()});
  Health h;
  ASSERT_TRUE(testing::Eventually([&] { return ReadHealth(h) && h.received == 500; }))
      << child.StdErrSoFar();
  // More records while it stands: it must take them too before being stopped.
  ASSERT_EQ(SentCount(Cli({"produce", "file", "-"}, Series("MSFT", 50, 1.0, 100)).out), 100u);
  ASSERT_TRUE(testing::Eventually([&] { return ReadHealth(h) && h.received == 600; }))
      << child.StdErrSoFar();

  child.Signal(SIGINT);
  const auto r = child.Wait();
  ASSERT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("received=600"), std::string::npos) << r.out;
  ExpectCheckpointsAtHead(data(), 600);
  EXPECT_EQ(MustReadHealth().clean_rows, 600u);
}

TEST_F(PipelineTest, RunForStopsByItselfWithExitZero) {
  const auto r = Cli({"run", "--no-http", "--producer", "synthetic", "--for", "1s",
                      "--INTERVAL_SEC", "0.1", "--seed", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::uint64_t sent = SentCount(r.out);
  ASSERT_EQ(Cli({"ingest", "--once"}).exit_code, 0);
  const Health h = MustReadHealth();
  EXPECT_EQ(h.received, sent) << h.raw_json;
  EXPECT_EQ(h.clean_rows, sent) << h.raw_json;
}

}  // namespace
}  // namespace stockpipe
