// Parity with the reference trends handler, whole runs: every vector of
// tests/fixtures/trends_run_vectors.jsonl (120 runs of the Python handler: 2-11 alerts in one
// message, both languages, both parameter sets) through the scheduled run's own path. Its series
// go into a real CLEAN store of a data folder; the trends service `stockpipe trends` runs opens
// that store, the state store and the configured channels (the outbox, then the alert log) and
// runs once. What the alert log received must be the reference's message: the subject exactly,
// and the body exactly once each alert's `⏰ YYYY-MM-DD HH:MM:SS UTC` line (its second line, the
// clock being the only difference) is checked and taken out.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/backends.h"
#include "pipeline/local_stores.h"
#include "pipeline/trends_service.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

const std::string kVectors = std::string(STOCKPIPE_FIXTURES) + "/trends_run_vectors.jsonl";
constexpr Micros kMinute = 60'000'000;
constexpr Micros kSeriesEnd = 1'755'182'292'000'000;  // 2025-08-14T14:38:12Z

struct RunVector {
  std::size_t line = 0;
  Config config;
  std::vector<Tick> ticks;
  std::string subject, body_without_time;
  std::size_t alerts_count = 0, symbols_checked = 0;
};

std::vector<RunVector> LoadVectors() {
  std::vector<RunVector> out;
  simdjson::dom::parser parser;
  std::istringstream in(testing::ReadFile(kVectors));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    simdjson::dom::element v = parser.parse(line);
    RunVector r;
    r.line = out.size() + 1;
    TrendsConfig& t = r.config.trends;
    t.thresh_pct = double(v["params"]["THRESH_PCT"]);
    t.lookback_points = static_cast<int>(int64_t(v["params"]["LOOKBACK_POINTS"]));
    t.sma_window = static_cast<int>(int64_t(v["params"]["SMA_WINDOW"]));
    t.min_points = static_cast<int>(int64_t(v["params"]["MIN_POINTS"]));
    t.eps_pct = double(v["params"]["EPS_PCT"]);
    t.lang = std::string(std::string_view(v["lang"]));
    t.cooldown = 0;  // the reference alerts on every run
    for (auto [symbol, prices] : simdjson::dom::object(v["series"])) {
      const simdjson::dom::array list = prices;
      const auto count = static_cast<Micros>(list.size());
      Micros i = 0;
      for (simdjson::dom::element p : list) {
        r.ticks.push_back(
            {std::string(symbol), kSeriesEnd - (count - 1 - i++) * kMinute, double(p), ""});
      }
    }
    r.subject = std::string(std::string_view(v["subject"]));
    r.body_without_time = std::string(std::string_view(v["body_without_time"]));
    r.alerts_count = static_cast<std::size_t>(int64_t(v["alerts_count"]));
    r.symbols_checked = static_cast<std::size_t>(int64_t(v["symbols_checked"]));
    EXPECT_EQ(std::string_view(v["time_line"]),
              "second line of each alert block: ⏰ YYYY-MM-DD HH:MM:SS UTC")
        << "vector " << r.line << " states another time line: this test reads only this one";
    out.push_back(std::move(r));
  }
  return out;
}

// `body` without the second line of each blank-line separated block, each checked for the
// reference's form; `count` is how many blocks had one.
std::string WithoutTimeLines(const std::string& body, std::size_t& count) {
  static const std::regex kTimeLine(R"(⏰ \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC)");
  std::string out;
  count = 0;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find("\n\n", start);
    if (end == std::string::npos) end = body.size();
    const std::string block = body.substr(start, end - start);
    const std::size_t first = block.find('\n');
    const std::size_t second = first == std::string::npos ? first : block.find('\n', first + 1);
    EXPECT_NE(second, std::string::npos) << "a block without a second line:\n" << block;
    if (second == std::string::npos) return body;
    const std::string time_line = block.substr(first + 1, second - first - 1);
    EXPECT_TRUE(std::regex_match(time_line, kTimeLine)) << "second line: " << time_line;
    ++count;
    if (!out.empty()) out += "\n\n";
    out += block.substr(0, first) + block.substr(second);
    start = end + 2;
  }
  return out;
}

TEST(TrendsRunVectors, EveryRunOfTheReferenceHandlerSendsItsMessage) {
  const std::vector<RunVector> vectors = LoadVectors();
  ASSERT_EQ(vectors.size(), 120u);
  std::size_t cut_subjects = 0;
  for (const RunVector& v : vectors) {
    SCOPED_TRACE("vector on line " + std::to_string(v.line));
    testing::TempDir dir;
    Config config = v.config;
    config.data_dir = dir.path().string();
    config.alerts.console = false;
    config.alerts.log = true;
    config.alerts.queue_fsync = false;  // the same path; 120 data folders need not wait on disks
    ASSERT_TRUE(EnsureDataDir(config).ok());
    {
      auto store = OpenStore(config);
      ASSERT_TRUE(store) << store.error();
      ASSERT_TRUE((*store)->Upsert(v.ticks).ok());
    }
    auto service = TrendsService::Open(config, {.once = true});
    ASSERT_TRUE(service) << service.error();
    const auto failure = (*service)->Run([] { return false; });
    ASSERT_FALSE(failure) << failure->part << ": " << failure->why;
    EXPECT_TRUE((*service)->last_run_ok());
    service->reset();

    // The run's own record of what it checked.
    auto state = OpenState(config);
    ASSERT_TRUE(state) << state.error();
    auto last_run = (*state)->Get("trends/last_run");
    ASSERT_TRUE(last_run && *last_run);
    simdjson::dom::parser parser;
    const simdjson::dom::element summary = parser.parse(**last_run);
    EXPECT_EQ(std::size_t(int64_t(summary["symbols_checked"])), v.symbols_checked);
    EXPECT_EQ(std::size_t(int64_t(summary["alerts_count"])), v.alerts_count);

    // What the channel received: one message.
    const std::string log = testing::ReadFile(LocalPaths(config.data_dir).alert_log);
    ASSERT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
    simdjson::dom::parser log_parser;
    const simdjson::dom::element sent = log_parser.parse(log);
    EXPECT_EQ(std::string_view(sent["subject"]), v.subject);
    cut_subjects += v.subject.size() == 100;
    std::size_t time_lines = 0;
    EXPECT_EQ(WithoutTimeLines(std::string(std::string_view(sent["body"])), time_lines),
              v.body_without_time);
    EXPECT_EQ(time_lines, v.alerts_count);
  }
  EXPECT_EQ(cut_subjects, 47u) << "the vectors exercise the 100-character cut";
}

}  // namespace
}  // namespace stockpipe
