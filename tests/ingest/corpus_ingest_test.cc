// The whole bad-record corpus (tests/fixtures/bad_records) through ingest on the local adapters:
// nothing is lost, nothing crashes the batch, every record ends up either in RAW (accepted, in its
// event-date partition) or in the quarantine (with its reason, in its arrival-date partition),
// and the CLEAN store holds exactly the distinct accepted (symbol, timestamp) keys.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "archive/local/file_archive.h"
#include "codec/base64.h"
#include "codec/gzip.h"
#include "codec/sha256.h"
#include "core/record_corpus.h"
#include "ingest/ingestor.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "support/lines.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using stockpipe::testing::CorpusCase;
using stockpipe::testing::LoadCorpus;

constexpr char kShard[] = "shard-000003";

std::string Seq(std::size_t n) {
  return fmt::format("{:020}", n);
}

using stockpipe::testing::Lines;

struct ArchivedObject {
  std::string key;
  std::string date;  // the dt= partition
  std::vector<std::string> lines;
};

class CorpusIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    archive_ = std::make_unique<FileArchive>(dir_);
    auto store = SqliteCleanStore::Open((dir_ / "clean.db").string());
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(store.value());
    cases_ = LoadCorpus();
    ASSERT_GE(cases_.size(), 30u);
  }
  void TearDown() override { store_.reset(); }

  // Records `begin..end` of the corpus as one batch; sequence numbers are corpus index + 1.
  StreamBatch Batch(std::size_t begin, std::size_t end) const {
    StreamBatch batch;
    batch.shard = kShard;
    batch.first_sequence = Seq(begin + 1);
    batch.last_sequence = Seq(end);
    for (std::size_t i = begin; i < end; ++i) {
      batch.entries.push_back({batch.Keep(Seq(i + 1)), cases_[i].arrival, cases_[i].input});
    }
    return batch;
  }

  std::vector<ArchivedObject> Objects(std::string_view area) {
    std::vector<ArchivedObject> out;
    auto listed = archive_->List(std::string(area) + "/");
    EXPECT_TRUE(listed.ok()) << listed.error();
    if (!listed.ok()) return out;
    for (const ObjectInfo& info : *listed) {
      ArchivedObject object;
      object.key = info.key;
      // <area>/dt=YYYY-MM-DD/<shard>-<first>-<last>.jsonl.gz
      const std::string prefix = std::string(area) + "/dt=";
      EXPECT_TRUE(info.key.starts_with(prefix)) << info.key;
      EXPECT_TRUE(info.key.ends_with(".jsonl.gz")) << info.key;
      EXPECT_NE(info.key.find(kShard), std::string::npos) << info.key;
      object.date = info.key.substr(prefix.size(), 10);
      EXPECT_EQ(info.key[prefix.size() + 10], '/') << info.key;
      auto bytes = archive_->Get(info.key);
      EXPECT_TRUE(bytes.ok()) << info.key;
      if (!bytes.ok()) continue;
      auto text = GzipDecompress(*bytes);
      EXPECT_TRUE(text.ok()) << info.key << ": " << text.error();
      if (!text.ok()) continue;
      EXPECT_TRUE(text->empty() || text->back() == '\n') << info.key << " ends mid-line";
      object.lines = Lines(*text);
      out.push_back(std::move(object));
    }
    return out;
  }

  testing::TempDir temp_;
  std::filesystem::path dir_ = temp_.path();
  std::unique_ptr<FileArchive> archive_;
  std::unique_ptr<SqliteCleanStore> store_;
  std::vector<CorpusCase> cases_;
};

// Checks RAW, quarantine and CLEAN against the corpus after all of it was ingested.
void CheckSinks(const std::vector<CorpusCase>& cases, std::vector<ArchivedObject> raw,
                std::vector<ArchivedObject> rejected, SqliteCleanStore& store) {
  simdjson::dom::parser parser;

  // RAW: every line is a canonical tick in the partition of its own event date.
  std::multiset<std::string> raw_lines;
  std::multiset<std::tuple<std::string, std::string, double>> raw_ticks;
  for (const ArchivedObject& object : raw) {
    for (const std::string& line : object.lines) {
      simdjson::dom::object o;
      ASSERT_EQ(parser.parse(line).get_object().get(o), simdjson::SUCCESS) << line;
      std::string_view symbol, timestamp;
      double price = 0;
      ASSERT_EQ(o["symbol"].get_string().get(symbol), simdjson::SUCCESS) << line;
      ASSERT_EQ(o["timestamp"].get_string().get(timestamp), simdjson::SUCCESS) << line;
      ASSERT_EQ(o["price"].get_double().get(price), simdjson::SUCCESS) << line;
      EXPECT_EQ(timestamp.substr(0, 10), object.date) << object.key << ": " << line;
      raw_lines.insert(line);
      raw_ticks.insert({std::string(symbol), std::string(timestamp), price});
    }
  }
  std::multiset<std::tuple<std::string, std::string, double>> expected_ticks;
  std::map<std::pair<std::string, std::string>, double> expected_rows;
  for (const CorpusCase& c : cases) {
    if (!c.accepted()) continue;
    expected_ticks.insert({c.symbol, c.timestamp, c.price});
    expected_rows[{c.symbol, c.timestamp}] = c.price;
    if (c.line) {
      EXPECT_GE(raw_lines.count(*c.line), 1u) << c.kind << " is not archived as " << *c.line;
    }
  }
  EXPECT_EQ(raw_ticks, expected_ticks) << "RAW does not hold exactly the accepted records";

  // Quarantine: one line per rejected record, in the partition of its arrival date.
  std::map<std::string, const CorpusCase*> by_sequence;
  for (std::size_t i = 0; i < cases.size(); ++i) by_sequence[Seq(i + 1)] = &cases[i];
  std::set<std::string> quarantined;
  for (const ArchivedObject& object : rejected) {
    for (const std::string& line : object.lines) {
      simdjson::dom::object o;
      ASSERT_EQ(parser.parse(line).get_object().get(o), simdjson::SUCCESS) << line.substr(0, 200);
      std::string_view reason, message, sequence, shard, record, arrival;
      ASSERT_EQ(o["reason"].get_string().get(reason), simdjson::SUCCESS);
      ASSERT_EQ(o["message"].get_string().get(message), simdjson::SUCCESS);
      ASSERT_EQ(o["sequence"].get_string().get(sequence), simdjson::SUCCESS);
      ASSERT_EQ(o["shard"].get_string().get(shard), simdjson::SUCCESS);
      ASSERT_EQ(o["record"].get_string().get(record), simdjson::SUCCESS);
      ASSERT_EQ(o["arrival"].get_string().get(arrival), simdjson::SUCCESS);
      const auto it = by_sequence.find(std::string(sequence));
      ASSERT_NE(it, by_sequence.end()) << "unknown sequence " << sequence;
      const CorpusCase& c = *it->second;
      SCOPED_TRACE("case " + c.kind);
      EXPECT_TRUE(quarantined.insert(std::string(sequence)).second) << "quarantined twice";
      EXPECT_FALSE(c.accepted()) << "an accepted record was quarantined";
      EXPECT_EQ(reason, c.expect);
      EXPECT_FALSE(message.empty());
      EXPECT_EQ(shard, kShard);
      EXPECT_EQ(arrival, FormatCanonical(c.arrival));
      EXPECT_EQ(object.date, FormatDate(c.arrival));
      // An oversized record is kept as its first max_record_bytes (cut at a character
      // boundary), with the length and SHA-256 of the whole.
      std::string_view kept = c.input;
      std::uint64_t whole_bytes = 0;
      const bool cut = o["record_bytes"].get_uint64().get(whole_bytes) == simdjson::SUCCESS;
      EXPECT_EQ(cut, c.expect == "oversized");
      if (cut) {
        std::string_view sha256;
        ASSERT_EQ(o["record_sha256"].get_string().get(sha256), simdjson::SUCCESS);
        EXPECT_EQ(whole_bytes, c.input.size());
        EXPECT_EQ(sha256, Sha256Hex(c.input));
        EXPECT_NE(message.find("its first"), std::string_view::npos) << message;
        kept = std::string_view(c.input).substr(0, RecordLimits{}.max_record_bytes);
      }
      std::string_view base64;
      if (o["record_base64"].get_string().get(base64) == simdjson::SUCCESS) {
        const auto bytes = Base64Decode(base64);
        EXPECT_TRUE(bytes.ok()) << bytes.error();
        if (bytes.ok()) EXPECT_EQ(*bytes, kept) << "exact bytes are not kept";
      } else {
        EXPECT_EQ(record, kept);
      }
    }
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (!cases[i].accepted()) {
      EXPECT_TRUE(quarantined.count(Seq(i + 1))) << cases[i].kind << " is not in the quarantine";
    }
  }

  // CLEAN: the distinct accepted (symbol, timestamp) keys, with their prices.
  std::set<std::string> symbols;
  for (const auto& [key, price] : expected_rows) symbols.insert(key.first);
  std::map<std::pair<std::string, std::string>, double> rows;
  for (const std::string& symbol : symbols) {
    auto points = store.Range(symbol, 0, 0);
    ASSERT_TRUE(points.ok()) << points.error();
    for (const PricePoint& p : *points) {
      EXPECT_TRUE(rows.insert({{symbol, FormatCanonical(p.timestamp)}, p.price}).second);
    }
  }
  EXPECT_EQ(rows, expected_rows);
  auto listed = store.Symbols();
  ASSERT_TRUE(listed.ok()) << listed.error();
  EXPECT_EQ(std::set<std::string>(listed->begin(), listed->end()), symbols);
}

TEST_F(CorpusIngestTest, WholeCorpusAsOneBatch) {
  Ingestor ingestor(*archive_, *store_);
  auto outcome = ingestor.ProcessBatch(Batch(0, cases_.size()));
  ASSERT_TRUE(outcome.ok()) << outcome.error();

  const IngestCounts& counts = outcome->counts;
  EXPECT_EQ(counts.received, cases_.size());
  EXPECT_TRUE(counts.balanced());
  std::size_t accepted = 0;
  std::map<std::string, std::uint64_t> expected_by_reason;
  for (const CorpusCase& c : cases_) {
    if (c.accepted()) {
      ++accepted;
    } else {
      ++expected_by_reason[c.expect];
    }
  }
  EXPECT_EQ(counts.accepted, accepted);
  EXPECT_EQ(counts.accepted + counts.rejected_total(), cases_.size());
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const std::string code(ReasonCode(static_cast<RejectReason>(i)));
    EXPECT_EQ(counts.rejected[i], expected_by_reason[code]) << code;
  }

  auto raw = Objects("raw");
  auto rejected = Objects("rejected");
  EXPECT_EQ(raw.size(), outcome->raw_objects);
  EXPECT_EQ(rejected.size(), outcome->rejected_objects);
  for (const ArchivedObject& o : raw) {
    EXPECT_EQ(o.key, ObjectKey("raw", o.date, kShard, Seq(1), Seq(cases_.size())));
  }
  CheckSinks(cases_, raw, rejected, *store_);
}

TEST_F(CorpusIngestTest, SmallBatchesGiveTheSameResult) {
  Ingestor ingestor(*archive_, *store_);
  IngestCounts total;
  constexpr std::size_t kBatch = 7;
  for (std::size_t begin = 0; begin < cases_.size(); begin += kBatch) {
    auto outcome = ingestor.ProcessBatch(Batch(begin, std::min(cases_.size(), begin + kBatch)));
    ASSERT_TRUE(outcome.ok()) << outcome.error();
    EXPECT_TRUE(outcome->counts.balanced());
    total += outcome->counts;
  }
  EXPECT_EQ(total.received, cases_.size());
  EXPECT_EQ(total.accepted + total.rejected_total(), cases_.size());
  CheckSinks(cases_, Objects("raw"), Objects("rejected"), *store_);
}

TEST_F(CorpusIngestTest, ReplayingTheBatchChangesNothing) {
  Ingestor ingestor(*archive_, *store_);
  const StreamBatch batch = Batch(0, cases_.size());
  ASSERT_TRUE(ingestor.ProcessBatch(batch).ok());
  auto snapshot = [&] {
    std::map<std::string, std::string> objects;
    for (const char* area : {"raw/", "rejected/"}) {
      auto listed = archive_->List(area);
      EXPECT_TRUE(listed.ok());
      for (const ObjectInfo& info : *listed) {
        objects[info.key] = *GzipDecompress(*archive_->Get(info.key));
      }
    }
    return objects;
  };
  const auto before = snapshot();
  auto summary_before = store_->Summary();
  ASSERT_TRUE(summary_before.ok());

  auto again = ingestor.ProcessBatch(batch);  // as after a crash before the checkpoint
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(snapshot(), before);
  auto summary_after = store_->Summary();
  ASSERT_TRUE(summary_after.ok());
  ASSERT_EQ(summary_after->size(), summary_before->size());
  for (std::size_t i = 0; i < summary_after->size(); ++i) {
    EXPECT_EQ((*summary_after)[i].symbol, (*summary_before)[i].symbol);
    EXPECT_EQ((*summary_after)[i].rows, (*summary_before)[i].rows);
    EXPECT_EQ((*summary_after)[i].newest, (*summary_before)[i].newest);
  }
  CheckSinks(cases_, Objects("raw"), Objects("rejected"), *store_);
}

}  // namespace
}  // namespace stockpipe
