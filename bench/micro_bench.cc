// Micro-benchmarks of the hot paths: the per-record ingest CPU path, the rule, gzip.
//   ./build/bench/stockpipe_micro_bench
#include <benchmark/benchmark.h>

#include <random>

#include "archive/gzip.h"
#include "core/record.h"
#include "producers/synthetic.h"
#include "signals/pct_sma.h"

namespace stockpipe {
namespace {

std::vector<std::string> SampleRecords(std::size_t n) {
  SyntheticParams params;
  params.seed = 42;
  params.symbols.clear();
  for (int i = 0; i < 50; ++i) params.symbols.push_back("SYM" + std::to_string(i));
  SyntheticFeed feed(params);
  std::vector<StreamRecord> records;
  Micros t = NowMicros() - 86'400'000'000LL;
  while (records.size() < n) feed.NextRound(t += 1'000'000, records);
  std::vector<std::string> lines;
  for (auto& r : records) lines.push_back(std::move(r.data));
  return lines;
}

// Parse + validate + normalise + write the canonical RAW line: the CPU path of one record.
void BM_IngestCpuPathPerRecord(benchmark::State& state) {
  const auto lines = SampleRecords(10'000);
  RecordParser parser;
  std::string out;
  const Micros arrival = NowMicros();
  std::size_t i = 0;
  for (auto _ : state) {
    auto parsed = parser.Parse(lines[i++ % lines.size()], arrival);
    out.clear();
    AppendTickJson(std::get<Tick>(parsed), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IngestCpuPathPerRecord);

void BM_ParseOnly(benchmark::State& state) {
  const auto lines = SampleRecords(10'000);
  RecordParser parser;
  const Micros arrival = NowMicros();
  std::size_t i = 0;
  for (auto _ : state) {
    auto parsed = parser.Parse(lines[i++ % lines.size()], arrival);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseOnly);

void BM_GzipLevel1PerRecord(benchmark::State& state) {
  const auto lines = SampleRecords(20'000);
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  for (auto _ : state) {
    auto gz = GzipCompress(text);
    benchmark::DoNotOptimize(gz);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_GzipLevel1PerRecord);

// The reference rule over 10,000 symbols x 200 points (one scheduled run's worth).
void BM_RuleTenThousandSymbols(benchmark::State& state) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> step(0.0, 0.01);
  std::vector<std::vector<double>> series(10'000);
  for (auto& s : series) {
    double p = 100;
    for (int i = 0; i < 200; ++i) s.push_back(p *= 1 + step(rng));
  }
  const PctSmaParams params;
  for (auto _ : state) {
    int decisions = 0;
    for (const auto& s : series) decisions += EvaluatePctSma(s, params).action.has_value();
    benchmark::DoNotOptimize(decisions);
  }
  state.SetItemsProcessed(state.iterations() * 10'000);
}
BENCHMARK(BM_RuleTenThousandSymbols)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace stockpipe

BENCHMARK_MAIN();
