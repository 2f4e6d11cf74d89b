// Exactly-once under crashes, with real processes.
//
// Producers (`produce synthetic` and a series of `produce file` processes fed a generated JSON
// Lines file with bad lines and repeated (symbol, timestamp) keys, its last parts over 4,000
// symbols so that CLEAN logs batches and folds them later) write to the stream while
// `stockpipe ingest` is SIGKILLed at random moments (delays from a seeded RNG) and restarted.
// A final `ingest --once` drains the rest. Then everything is checked from the files themselves:
//  - the RAW and quarantine objects of each shard tile its sequence range 1..newest with no
//    overlap and no gap, and each object range holds exactly as many lines as records;
//  - every accepted input record is in RAW exactly once, every bad line in quarantine once;
//  - CLEAN has one row per distinct (symbol, timestamp), holding the last price sent;
//  - `health --json` counters: received == sent == accepted + rejected, lag 0.
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "codec/gzip.h"
#include "core/candles.h"
#include "core/config.h"
#include "core/timestamp.h"
#include "producers/synthetic.h"
#include "store/sqlite/ticks_table.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;

// One child process of the stockpipe binary, stdout and stderr to files (no pipe to fill up).
class Process {
 public:
  Process(const fs::path& cwd, const std::vector<std::string>& args, const fs::path& log_stem)
      : child_(testing::Spawn({.program = STOCKPIPE_BINARY,
                               .args = args,
                               .env = testing::CleanEnvironment(),
                               .cwd = cwd,
                               .stdout_file = log_stem.string() + ".out",
                               .stderr_file = log_stem.string() + ".err"})) {}

  bool started() const { return child_.pid() > 0; }
  bool running() const { return child_.running(); }
  // True once the child has ended (reaped without blocking).
  bool Poll() { return child_.Poll(); }
  int Wait() {
    child_.Wait();
    return *child_.wait_status();
  }
  void Signal(int sig) { child_.Signal(sig); }

  bool exited_ok() const {
    const auto status = child_.wait_status();
    return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  }
  bool killed_by(int sig) const {
    const auto status = child_.wait_status();
    return status && WIFSIGNALED(*status) && WTERMSIG(*status) == sig;
  }
  std::string Describe() const {
    const auto status = child_.wait_status();
    if (!status) return "running";
    if (WIFEXITED(*status)) return fmt::format("exit {}", WEXITSTATUS(*status));
    if (WIFSIGNALED(*status)) return fmt::format("signal {}", WTERMSIG(*status));
    return "?";
  }
  std::string out() const { return child_.StdOutSoFar(); }
  std::string err() const { return child_.StdErrSoFar(); }

 private:
  testing::Child child_;
};

// Lines of a log that report an error (spdlog writes the level as a word).
std::vector<std::string> ErrorLines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(" error ") != std::string::npos || line.find(" critical ") != std::string::npos) {
      out.push_back(line);
    }
  }
  return out;
}

struct Health {
  std::uint64_t lag = 0, received = 0, accepted = 0, rejected = 0, clean_rows = 0;
  std::map<std::string, std::uint64_t> by_reason;
};

std::optional<Health> ParseHealth(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root)) return std::nullopt;
  Health h;
  std::uint64_t v = 0;
  if (root["stream"]["lag_records"].get(v)) return std::nullopt;
  h.lag = v;
  if (root["ingest"]["received"].get(h.received)) return std::nullopt;
  if (root["ingest"]["accepted"].get(h.accepted)) return std::nullopt;
  if (root["clean"]["rows"].get(h.clean_rows)) return std::nullopt;
  simdjson::dom::object reasons;
  if (root["ingest"]["rejected"].get(reasons)) return std::nullopt;
  for (auto [key, value] : reasons) {
    std::uint64_t n = 0;
    if (value.get(n)) return std::nullopt;
    h.by_reason[std::string(key)] = n;
    h.rejected += n;
  }
  return h;
}

// A query on an SQLite file, read-only, straight through the C API; every value as text.
std::vector<std::vector<std::string>> Query(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::vector<std::string>> rows;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 10'000);
  // clean.db's `ticks` is a virtual table over its chunks.
  if (Status s = RegisterTicksTable(db); !s.ok()) ADD_FAILURE() << s.message();
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(q) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(q); ++c) {
        if (sqlite3_column_type(q, c) == SQLITE_FLOAT) {
          // Shortest round-trip text: SQLite's own text form keeps only 15 digits.
          row.push_back(fmt::format("{}", sqlite3_column_double(q, c)));
          continue;
        }
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q, c));
        row.emplace_back(text ? text : "");
      }
      rows.push_back(std::move(row));
    }
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  return rows;
}

// Batches claimed and not committed, 0 when the stream is not there (yet).
std::uint64_t ClaimsHeld(const fs::path& stream_db) {
  sqlite3* db = nullptr;
  std::uint64_t n = 0;
  if (sqlite3_open_v2(stream_db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 10'000);
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM checkpoints WHERE claim_first IS NOT NULL", -1,
                           &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      n = static_cast<std::uint64_t>(sqlite3_column_int64(q, 0));
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return n;
}

std::uint64_t ToU64(std::string_view s) {
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// ---- The generated input -------------------------------------------------------------------

constexpr Micros kSecond = 1'000'000;
constexpr Micros kFileBase = 1'755'172'800 * kSecond;  // 2025-08-14T12:00:00Z: crosses midnight

struct Expected {
  // Accepted file records by their `id`: symbol, canonical time, price.
  struct Tick {
    std::string symbol;
    Micros timestamp;
    double price;
  };
  std::map<std::uint64_t, Tick> accepted;
  std::multiset<std::string> bad_lines;  // exactly what quarantine must hold as `record`
  std::map<std::pair<std::string, Micros>, double> last_price;  // CLEAN after everything
  std::size_t lines = 0;
};

// Writes `parts` files of JSON Lines; ~2% bad lines of several kinds, ~4% repeats of an
// earlier (symbol, timestamp) in another timestamp form and with a new price.
Expected GenerateInput(const std::vector<fs::path>& parts, std::size_t lines_per_part,
                       std::uint32_t seed) {
  Expected x;
  std::mt19937 rng(seed);
  std::vector<std::pair<std::string, Micros>> keys;
  std::uint64_t id = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    std::ofstream out(parts[p], std::ios::binary | std::ios::trunc);
    // The last two parts spread over 4,000 symbols, two or three lines each: batches of many
    // symbols with few ticks each, which CLEAN logs and folds later (docs/data-folder.md).
    const bool many_symbols = p + 2 >= parts.size();
    for (std::size_t n = 0; n < lines_per_part; ++n, ++id) {
      const unsigned roll = rng() % 100;
      const std::string symbol =
          many_symbols ? fmt::format("M{:04d}", id % 4'000) : fmt::format("F{:02d}", id % 12);
      const double price = 10.0 + static_cast<double>(id % 100000) / 100.0 + 0.001 * (id % 7);
      std::string line;
      if (roll < 2) {
        switch (id % 6) {
          case 0:
            line = fmt::format(R"({{"symbol":"{}","price":1.5,"id":{})", symbol, id);
            break;
          case 1:
            line = fmt::format(
                R"({{"symbol":"{}","timestamp":"2025-08-14T12:00:00Z","price":-{},"id":{}}})",
                symbol, price, id);
            break;
          case 2:
            line = fmt::format(R"({{"price":{},"id":{}}})", price, id);
            break;
          case 3:
            line = fmt::format(R"({{"symbol":"{}","timestamp":"yesterday","price":1,"id":{}}})",
                               symbol, id);
            break;
          case 4:
            line = fmt::format(
                R"({{"symbol":"{}","timestamp":"2025-08-14T12:00:00Z","price":"abc","id":{}}})",
                symbol, id);
            break;
          default:
            line = fmt::format("[{}]", id);
            break;
        }
        x.bad_lines.insert(line);
      } else if (roll < 6 && !keys.empty()) {
        const auto& [s, t] = keys[rng() % keys.size()];
        // Same instant, another spelling: epoch seconds or an explicit offset.
        const std::string when =
            id % 2 ? fmt::format("{}", t / kSecond)
                   : fmt::format(R"("{}+00:00")", FormatCanonical(t).substr(0, 19));
        line = fmt::format(R"({{"symbol":"{}","timestamp":{},"price":{},"volume":{},"id":{}}})", s,
                           when, price, id % 100, id);
        x.accepted[id] = {s, t, price};
        x.last_price[{s, t}] = price;
      } else {
        const Micros t = kFileBase + static_cast<Micros>(id) * kSecond;
        line = fmt::format(R"({{"symbol":"{}","timestamp":"{}Z","price":{},"volume":{},"id":{}}})",
                           symbol, FormatCanonical(t).substr(0, 19), price, id % 100, id);
        keys.push_back({symbol, t});
        x.accepted[id] = {symbol, t, price};
        x.last_price[{symbol, t}] = price;
      }
      out << line << '\n';
      ++x.lines;
    }
  }
  return x;
}

// ---- Reading back the archive ----------------------------------------------------------------

struct ObjectName {
  std::string shard;
  std::uint64_t first = 0, last = 0;
};

std::optional<ObjectName> ParseObjectName(const std::string& filename) {
  // shard-000001-<20 digits>-<20 digits>.jsonl.gz
  constexpr std::string_view kSuffix = ".jsonl.gz";
  if (!filename.starts_with("shard-") || !filename.ends_with(kSuffix)) return std::nullopt;
  const std::string stem = filename.substr(0, filename.size() - kSuffix.size());
  const auto dash2 = stem.find('-', 6), dash3 = stem.find('-', stem.find('-', 6) + 1);
  if (dash2 == std::string::npos || dash3 == std::string::npos) return std::nullopt;
  ObjectName n;
  n.shard = stem.substr(0, dash2);
  n.first = ToU64(std::string_view(stem).substr(dash2 + 1, dash3 - dash2 - 1));
  n.last = ToU64(std::string_view(stem).substr(dash3 + 1));
  if (n.first == 0 || n.last < n.first) return std::nullopt;
  return n;
}

struct Archive {
  struct RawLine {
    std::string symbol;
    Micros timestamp = 0;
    double price = 0;
    std::optional<std::uint64_t> id;
  };
  std::vector<RawLine> raw;
  std::multiset<std::string> rejected_records;
  std::set<std::pair<std::string, std::uint64_t>> rejected_positions;  // (shard, sequence)
  std::size_t rejected_duplicates = 0;
  // Per shard, per (first, last): lines found in RAW + quarantine objects of that range.
  std::map<std::string, std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t>> ranges;
  std::size_t temporary_files = 0;
  std::vector<std::string> problems;
};

Archive ReadArchive(const fs::path& data) {
  Archive a;
  simdjson::dom::parser parser;
  for (const char* area : {"raw", "rejected"}) {
    if (!fs::exists(data / area)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(data / area)) {
      if (!entry.is_regular_file()) continue;
      const std::string name = entry.path().filename().string();
      if (name.ends_with(".tmp")) {
        ++a.temporary_files;
        continue;
      }
      const auto parsed = ParseObjectName(name);
      if (!parsed) {
        a.problems.push_back("unexpected file " + entry.path().string());
        continue;
      }
      auto text = GzipDecompress(testing::ReadFile(entry.path()));
      if (!text.ok()) {
        a.problems.push_back(entry.path().string() + ": " + text.error());
        continue;
      }
      std::uint64_t lines = 0;
      std::istringstream in(*text);
      for (std::string line; std::getline(in, line); ++lines) {
        simdjson::dom::element e;
        if (parser.parse(line).get(e)) {
          a.problems.push_back("bad JSON in " + name + ": " + line);
          continue;
        }
        if (std::string_view(area) == "raw") {
          Archive::RawLine r;
          std::string_view symbol, timestamp;
          if (e["symbol"].get(symbol) || e["timestamp"].get(timestamp) || e["price"].get(r.price)) {
            a.problems.push_back("RAW line without symbol/timestamp/price: " + line);
            continue;
          }
          r.symbol = symbol;
          r.timestamp = ParseTimestampText(timestamp).value_or(-1);
          if (timestamp.size() != kCanonicalTimestampSize) {
            a.problems.push_back("RAW timestamp not canonical: " + line);
          }
          std::uint64_t id = 0;
          if (!e["id"].get(id)) r.id = id;
          a.raw.push_back(std::move(r));
        } else {
          std::string_view record, sequence, shard;
          if (e["record"].get(record) || e["sequence"].get(sequence) || e["shard"].get(shard)) {
            a.problems.push_back("quarantine line without record/sequence/shard: " + line);
            continue;
          }
          a.rejected_records.emplace(record);
          const std::uint64_t seq = ToU64(sequence);
          if (std::string_view(shard) != parsed->shard || seq < parsed->first ||
              seq > parsed->last) {
            a.problems.push_back("quarantine line outside its object's range: " + line);
          }
          if (!a.rejected_positions.insert({std::string(shard), seq}).second) {
            ++a.rejected_duplicates;
          }
        }
      }
      a.ranges[parsed->shard][{parsed->first, parsed->last}] += lines;
    }
  }
  return a;
}

// ---- The test --------------------------------------------------------------------------------

class KillIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / fmt::format("stockpipe-kill-{}-{}", ::getpid(), rd());
    fs::create_directories(root_ / "logs");
    data_ = root_ / "data";
  }
  void TearDown() override {
    if (!HasFailure())
      fs::remove_all(root_);
    else
      std::cerr << "kept " << root_ << " for inspection\n";
  }

  std::vector<std::string> Args(std::vector<std::string> rest) {
    std::vector<std::string> args = {"--data-dir", data_.string()};
    args.insert(args.end(), rest.begin(), rest.end());
    return args;
  }
  std::unique_ptr<Process> Start(std::vector<std::string> rest, const std::string& log) {
    auto p = std::make_unique<Process>(root_, Args(std::move(rest)), root_ / "logs" / log);
    EXPECT_TRUE(p->started());
    return p;
  }
  std::optional<Health> HealthNow() {
    auto p = Start({"health", "--json"}, fmt::format("health-{}", health_runs_++));
    p->Wait();
    EXPECT_TRUE(p->exited_ok()) << "health: " << p->Describe() << "\n" << p->err();
    auto h = ParseHealth(p->out());
    EXPECT_TRUE(h.has_value()) << "health --json printed: " << p->out();
    return h;
  }

  fs::path root_, data_;
  int health_runs_ = 0;
};

TEST_F(KillIngestTest, SigkilledIngestLosesNothingAndDuplicatesNothing) {
  constexpr std::uint64_t kSynthetic = 150'000;
  constexpr int kParts = 6;
  constexpr std::size_t kLinesPerPart = 10'000;
  constexpr int kMinKills = 12;
  const std::vector<std::string> synthetic_symbols = {"AAPL", "MSFT", "GOOGL", "AMZN", "TSLA"};

  std::vector<fs::path> parts;
  for (int i = 0; i < kParts; ++i) parts.push_back(root_ / fmt::format("input-{}.jsonl", i));
  const Expected expected = GenerateInput(parts, kLinesPerPart, 20250814);

  std::mt19937 rng(7);  // the kill schedule: reproducible, but not in step with anything
  // Paced so that records keep arriving while ingest is being killed.
  auto synthetic = Start({"produce", "synthetic", "--count", std::to_string(kSynthetic), "--rate",
                          "30000", "--seed", "7", "--batch", "700"},
                         "synthetic");
  std::unique_ptr<Process> file_producer;
  int next_part = 0;
  std::vector<std::string> producer_failures;
  // The file parts go one after another, so repeated keys reach the stream in file order.
  const auto advance_producers = [&] {
    if (file_producer && file_producer->Poll()) {
      if (!file_producer->exited_ok()) {
        producer_failures.push_back("produce file: " + file_producer->Describe() + "\n" +
                                    file_producer->err());
      }
      file_producer.reset();
    }
    if (!file_producer && next_part < kParts) {
      file_producer = Start({"produce", "file", parts[next_part].string(), "--batch",
                             std::to_string(500 + 300 * next_part)},
                            fmt::format("file-{}", next_part));
      ++next_part;
    }
    return synthetic->Poll() && !file_producer && next_part == kParts;
  };

  int kills = 0, kills_mid_batch = 0, runs = 0, ended_on_their_own = 0;
  std::vector<std::string> ingest_errors;
  bool producers_done = false;
  while (!producers_done || kills < kMinKills) {
    const std::size_t batch = std::vector<std::size_t>{300, 2'000, 20'000}[rng() % 3];
    // Every other run claims whatever has arrived instead of letting small batches gather for the
    // window: ingest, faster than the producers, then spends most of its time inside batches,
    // where a kill makes it replay (with the window it mostly waits, and few kills land there).
    const std::string window = runs % 2 == 0 ? "5s" : "0s";
    auto ingest =
        Start({"--batch-records", std::to_string(batch), "--batch-window", window, "ingest"},
              fmt::format("ingest-{}", runs++));
    // The random moment: sometimes during start-up, mostly in the middle of batches.
    const int delay_ms =
        rng() % 4 == 0 ? static_cast<int>(rng() % 40) : 40 + static_cast<int>(rng() % 450);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    producers_done = advance_producers();
    ingest->Signal(SIGKILL);
    ingest->Wait();
    if (ingest->killed_by(SIGKILL)) {
      ++kills;
      // Did it die holding a claimed batch? Those are the kills that make ingest replay.
      if (ClaimsHeld(data_ / "stream.db") > 0) {
        ++kills_mid_batch;
      }
    } else {
      ++ended_on_their_own;
      ingest_errors.push_back("ingest ended by itself: " + ingest->Describe() + "\n" +
                              ingest->err());
    }
    for (const std::string& line : ErrorLines(ingest->err())) ingest_errors.push_back(line);
    ASSERT_LT(runs, 400) << "producers never finished: " << synthetic->err();
  }
  synthetic->Wait();
  EXPECT_TRUE(synthetic->exited_ok()) << synthetic->Describe() << "\n" << synthetic->err();
  EXPECT_THAT(producer_failures, ::testing::IsEmpty());
  EXPECT_THAT(ingest_errors, ::testing::IsEmpty());
  EXPECT_EQ(ended_on_their_own, 0);
  EXPECT_GE(kills, kMinKills);
  EXPECT_GT(kills_mid_batch, 0) << "no kill hit a batch in flight: the replay path went untested";
  std::cout << "[ kill test ] " << kills << " SIGKILLs over " << runs << " ingest runs, "
            << kills_mid_batch << " of them holding a claimed, uncommitted batch\n";

  // Drain what is left, then the stream must be empty for the ingest consumer.
  auto drain = Start({"ingest", "--once"}, "ingest-drain");
  drain->Wait();
  ASSERT_TRUE(drain->exited_ok()) << drain->Describe() << "\n" << drain->err();
  EXPECT_THAT(ErrorLines(drain->err()), ::testing::IsEmpty());
  const auto health = HealthNow();
  ASSERT_TRUE(health.has_value());

  // -- Counters --
  const std::uint64_t sent = kSynthetic + expected.lines;
  EXPECT_EQ(health->lag, 0u);
  EXPECT_EQ(health->received, sent);
  EXPECT_EQ(health->accepted + health->rejected, health->received);
  EXPECT_EQ(health->accepted, kSynthetic + expected.accepted.size());
  EXPECT_EQ(health->rejected, expected.bad_lines.size());

  // -- The stream's positions: RAW + quarantine objects tile every shard exactly --
  const Archive archive = ReadArchive(data_);
  EXPECT_THAT(archive.problems, ::testing::IsEmpty());
  const auto newest = Query(data_ / "stream.db", "SELECT shard, next_seq - 1 FROM shards");
  ASSERT_FALSE(newest.empty());
  std::uint64_t positions = 0;
  for (const auto& row : newest) {
    const std::string shard = fmt::format("shard-{:06d}", ToU64(row[0]));
    const std::uint64_t last = ToU64(row[1]);
    positions += last;
    std::uint64_t next = 1;
    const auto it = archive.ranges.find(shard);
    if (last == 0) continue;
    ASSERT_NE(it, archive.ranges.end()) << shard << " has records but no objects";
    for (const auto& [range, lines] : it->second) {
      EXPECT_EQ(range.first, next) << shard << ": objects overlap or leave a gap at " << next;
      EXPECT_EQ(lines, range.second - range.first + 1)
          << shard << " " << range.first << ".." << range.second
          << ": lines in RAW + quarantine differ from the records in the range";
      next = range.second + 1;
    }
    EXPECT_EQ(next, last + 1) << shard << ": objects end at " << next - 1 << ", stream at " << last;
  }
  EXPECT_EQ(positions, sent);

  // -- Every accepted record exactly once in RAW, every bad line exactly once in quarantine --
  std::map<std::uint64_t, int> seen_ids;
  std::map<std::pair<std::string, Micros>, int> synthetic_keys;
  std::size_t synthetic_lines = 0, strangers = 0;
  for (const auto& r : archive.raw) {
    if (r.id) {
      const auto want = expected.accepted.find(*r.id);
      if (want == expected.accepted.end()) {
        ++strangers;
        continue;
      }
      if (++seen_ids[*r.id] == 1) {
        EXPECT_EQ(r.symbol, want->second.symbol) << "id " << *r.id;
        EXPECT_EQ(r.timestamp, want->second.timestamp) << "id " << *r.id;
        EXPECT_EQ(r.price, want->second.price) << "id " << *r.id;
      }
    } else if (std::find(synthetic_symbols.begin(), synthetic_symbols.end(), r.symbol) !=
               synthetic_symbols.end()) {
      ++synthetic_lines;
      ++synthetic_keys[{r.symbol, r.timestamp}];
    } else {
      ++strangers;
    }
  }
  EXPECT_EQ(strangers, 0u) << "RAW lines that no producer sent";
  std::size_t missing = 0, doubled = 0;
  for (const auto& [id, tick] : expected.accepted) {
    const auto it = seen_ids.find(id);
    if (it == seen_ids.end())
      ++missing;
    else if (it->second != 1)
      ++doubled;
  }
  EXPECT_EQ(missing, 0u) << "accepted file records missing from RAW";
  EXPECT_EQ(doubled, 0u) << "accepted file records in RAW more than once";
  EXPECT_EQ(synthetic_lines, kSynthetic);
  EXPECT_EQ(synthetic_keys.size(), kSynthetic) << "a synthetic tick appears twice in RAW";
  EXPECT_EQ(archive.rejected_records, expected.bad_lines);
  EXPECT_EQ(archive.rejected_duplicates, 0u);
  EXPECT_EQ(archive.rejected_positions.size(), expected.bad_lines.size());

  // -- CLEAN: one row per distinct (symbol, timestamp); the last price sent wins --
  const auto clean = data_ / "clean.db";
  const std::uint64_t rows = ToU64(Query(clean, "SELECT COUNT(*) FROM ticks").at(0).at(0));
  EXPECT_EQ(rows, kSynthetic + expected.last_price.size());
  EXPECT_EQ(health->clean_rows, rows) << "the symbols summary disagrees with the ticks table";
  std::size_t wrong_price = 0, file_rows = 0;
  for (const auto& row : Query(clean,
                               "SELECT symbol, timestamp, price FROM ticks "
                               "WHERE symbol GLOB 'F[0-9]*' OR symbol GLOB 'M[0-9]*'")) {
    ++file_rows;
    const auto t = ParseTimestampText(row[1]);
    const auto want = expected.last_price.find({row[0], t.value_or(-1)});
    if (want == expected.last_price.end() || std::stod(row[2]) != want->second) ++wrong_price;
  }
  EXPECT_EQ(file_rows, expected.last_price.size());
  EXPECT_EQ(wrong_price, 0u) << "CLEAN rows whose price is not the last one sent";

  // -- Candles: the bars kept with CLEAN equal bars computed afresh from CLEAN's rows --
  std::vector<Tick> clean_ticks;
  for (const auto& row : Query(clean, "SELECT symbol, timestamp, price, volume FROM ticks")) {
    Tick& tick = clean_ticks.emplace_back();
    tick.symbol = row[0];
    tick.timestamp = ParseTimestampText(row[1]).value_or(-1);
    tick.price = std::stod(row[2]);
    if (!row[3].empty()) tick.volume = std::stod(row[3]);
  }
  std::set<std::string> computed, stored;
  for (const Candle& b : CandlesFrom(clean_ticks, DefaultIntervals())) {
    computed.insert(fmt::format("{} {} {} {} {} {} {} {} {}", b.symbol, b.interval,
                                FormatCanonical(b.start), b.open, b.high, b.low, b.close,
                                b.volume ? fmt::format("{}", *b.volume) : "", b.ticks));
  }
  for (const auto& row : Query(clean, "SELECT * FROM candles")) {
    stored.insert(fmt::format("{}", fmt::join(row, " ")));
  }
  EXPECT_EQ(stored.size(), computed.size());
  EXPECT_TRUE(stored == computed) << "bars that differ from a fresh computation over CLEAN";
  // A killed writer's temporary file is reused when its batch is replayed under the same key.
  EXPECT_EQ(archive.temporary_files, 0u);
  std::cout << "[ kill test ] sent " << sent << ", accepted " << health->accepted << ", rejected "
            << health->rejected << ", CLEAN rows " << rows << ", " << archive.temporary_files
            << " temporary files left by killed writers\n";
}

TEST_F(KillIngestTest, ProducersAndIngestRunAsSeparateProcessesAtTheSameTime) {
  // Two producers and an ingest start together on a data folder that does not exist yet.
  auto ingest = Start({"ingest"}, "ingest");
  auto a = Start({"produce", "synthetic", "--SYMBOLS", "AAPL,MSFT", "--count", "40000", "--rate",
                  "40000", "--seed", "1", "--batch", "400"},
                 "producer-a");
  auto b = Start({"produce", "synthetic", "--SYMBOLS", "X1,X2,X3", "--count", "60000", "--rate",
                  "40000", "--seed", "2", "--batch", "1000"},
                 "producer-b");
  // While they run, readers come and go.
  int health_checks = 0;
  while (!(a->Poll() && b->Poll())) {
    ASSERT_TRUE(HealthNow().has_value());
    ++health_checks;
  }
  EXPECT_TRUE(a->exited_ok()) << a->Describe() << "\n" << a->err();
  EXPECT_TRUE(b->exited_ok()) << b->Describe() << "\n" << b->err();
  EXPECT_GT(health_checks, 0);

  // The running ingest catches up by itself: wait on its progress, as a user would.
  std::optional<Health> h;
  for (int i = 0; i < 2000; ++i) {
    h = HealthNow();
    ASSERT_TRUE(h.has_value());
    if (h->lag == 0 && h->received == 100'000) break;
    ASSERT_FALSE(ingest->Poll()) << "ingest ended: " << ingest->Describe() << "\n" << ingest->err();
  }
  EXPECT_EQ(h->lag, 0u);
  EXPECT_EQ(h->received, 100'000u);
  EXPECT_EQ(h->accepted, 100'000u);
  EXPECT_EQ(h->clean_rows, 100'000u);

  // Ctrl-C: drains, checkpoints and exits 0.
  ingest->Signal(SIGINT);
  ingest->Wait();
  EXPECT_TRUE(ingest->exited_ok()) << ingest->Describe() << "\n" << ingest->err();
  for (Process* p : {ingest.get(), a.get(), b.get()}) {
    EXPECT_THAT(ErrorLines(p->err()), ::testing::IsEmpty());
  }
  EXPECT_EQ(ToU64(Query(data_ / "clean.db", "SELECT COUNT(*) FROM ticks").at(0).at(0)), 100'000u);
  const Archive archive = ReadArchive(data_);
  EXPECT_THAT(archive.problems, ::testing::IsEmpty());
  EXPECT_EQ(archive.raw.size(), 100'000u);
  EXPECT_EQ(archive.temporary_files, 0u);
}

}  // namespace
}  // namespace stockpipe
