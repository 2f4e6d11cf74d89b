// AWS request counts per N ticks, measured on the emulators: the figures the cost model in
// docs/benchmarks.md and docs/deploy-aws.md is built from.
//
//   ./build/bench/stockpipe_aws_calls_bench --ticks 1000000 [--symbols 50] [--shards 2]
//                                           [--batch 10000]
//
// Starts kinesalite, s3rver and dynalite on 127.0.0.1 (tests/peers), produces synthetic ticks
// into Kinesis with the Kinesis adapter, then ingests them exactly as the Lambda ingest handler
// does: one `Ingestor::ProcessBatch` per batch of at most `--batch` records of one shard (the
// event source mapping's batch size), writing RAW to S3 and CLEAN to DynamoDB. Checkpoints stay
// local, as the event source mapping keeps them in AWS. Every HTTP request is counted by the
// signed client (calls, attempts, retries) and printed per operation and per 1M ticks.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "archive/s3/s3_archive.h"
#include "ingest/ingestor.h"
#include "producers/synthetic.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "stream/kinesis/kinesis_stream.h"
#include "support/peers.h"

namespace {

using namespace stockpipe;

aws::ClientOptions Options(const aws::Service& service, const std::string& endpoint) {
  aws::ClientOptions o;
  o.service = service;
  o.region = "us-east-1";
  o.endpoint = endpoint;
  o.credentials = aws::StaticCredentials({"S3RVER", "S3RVER", "", "bench"});
  return o;
}

void Print(std::string_view service, const aws::Client& client, double per_million) {
  for (const auto& [operation, stats] : client.Stats()) {
    std::cout << fmt::format(
        "{:<9} {:<22} calls {:>9}  attempts {:>9}  retries {:>5}  "
        "per 1M ticks {:>10.0f}\n",
        service, operation, stats.calls, stats.attempts, stats.retries,
        static_cast<double>(stats.calls) * per_million);
  }
}

int Fail(const std::string& what) {
  std::cerr << "aws_calls_bench: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Counts the AWS requests of the produce + ingest path on the emulators"};
  std::uint64_t ticks = 1'000'000;
  int symbols = 50, shards = 2;
  std::size_t batch = 10'000;
  app.add_option("--ticks", ticks, "ticks to produce and ingest")->capture_default_str();
  app.add_option("--symbols", symbols, "symbols")->capture_default_str();
  app.add_option("--shards", shards, "Kinesis shards")->capture_default_str();
  app.add_option("--batch", batch, "records per ingest batch (Lambda batch size)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("stockpipe-aws-bench-{}", getpid());
  fs::create_directories(dir / "s3");
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { fs::remove_all(dir); }
  } cleanup{dir};
  testing::Peer kinesalite("kinesalite"), dynalite("dynalite"),
      s3rver("s3rver", (dir / "s3").string());

  auto state = SqliteStateStore::Open((dir / "state.db").string());
  if (!state) return Fail(state.error());
  KinesisStream stream({Options(aws::kKinesis, kinesalite.endpoint()), "ticks"}, **state);
  S3Archive archive({Options(aws::kS3, s3rver.endpoint()), "stock-raw", true});
  DynamoDbOptions dynamodb{Options(aws::kDynamoDb, dynalite.endpoint()), "StockCleanedData",
                           "stockpipe-state"};
  dynamodb.remember_bars = false;  // as the Lambda: every batch reads the bars it touches
  DynamoDbCleanStore store(std::move(dynamodb));
  if (Status s = stream.CreateIfMissing(shards); !s.ok()) return Fail(s.message());
  if (Status s = archive.CreateBucketIfMissing(); !s.ok()) return Fail(s.message());
  if (Status s = store.CreateTablesIfMissing(); !s.ok()) return Fail(s.message());

  // Produce: the synthetic feed's rounds, one tick per symbol per simulated second.
  SyntheticParams params;
  params.seed = 1;
  params.symbols.clear();
  for (int i = 0; i < symbols; ++i) params.symbols.push_back(fmt::format("SYM{}", i));
  SyntheticFeed feed(params);
  Micros t = NowMicros() -
             static_cast<Micros>(ticks / static_cast<std::uint64_t>(symbols) + 1) * 1'000'000;
  std::vector<StreamRecord> pending;
  std::uint64_t sent = 0;
  const auto started = std::chrono::steady_clock::now();
  while (sent < ticks) {
    while (pending.size() < 5'000 && sent + pending.size() < ticks)
      feed.NextRound(t += 1'000'000, pending);
    if (sent + pending.size() > ticks) pending.resize(ticks - sent);
    if (Status s = stream.Put(pending); !s.ok()) return Fail(s.message());
    sent += pending.size();
    pending.clear();
  }
  const auto produced = std::chrono::steady_clock::now();

  // Ingest: batches of one shard, as Lambda hands them over.
  Ingestor ingestor(archive, store);
  auto shard_ids = stream.Shards();
  if (!shard_ids) return Fail(shard_ids.error());
  IngestCounts total;
  std::uint64_t batches = 0;
  for (bool progress = true; progress;) {
    progress = false;
    for (const std::string& shard : *shard_ids) {
      auto claimed = stream.Claim("bench", shard, batch);
      if (!claimed) return Fail(claimed.error());
      if (claimed->empty()) continue;
      auto outcome = ingestor.ProcessBatch(*claimed);
      if (!outcome) return Fail(outcome.error());
      if (Status s = stream.Commit("bench", *claimed, outcome->counts); !s.ok()) {
        return Fail(s.message());
      }
      total += outcome->counts;
      ++batches;
      progress = true;
    }
  }
  const auto ingested = std::chrono::steady_clock::now();
  if (total.received != ticks || total.accepted != ticks) {
    return Fail(
        fmt::format("received {} accepted {} of {}", total.received, total.accepted, ticks));
  }

  const double per_million = 1e6 / static_cast<double>(ticks);
  const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::cout << fmt::format(
      "{} ticks, {} symbols, {} shards, batch {}: produced in {:.1f} s, ingested in {:.1f} s "
      "({} batches)\n",
      ticks, symbols, shards, batch, seconds(started, produced), seconds(produced, ingested),
      batches);
  Print("kinesis", stream.client(), per_million);
  Print("s3", archive.client(), per_million);
  Print("dynamodb", store.client(), per_million);
  return 0;
}
