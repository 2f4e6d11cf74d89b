// Nanoseconds per tick of each incremental indicator (src/indicators), streaming a 1M-tick random
// walk through one object; the counter `per_tick` is CPU time divided by ticks.
//   ./build/bench/stockpipe_indicators_bench
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "indicators/bollinger.h"
#include "indicators/ema.h"
#include "indicators/macd.h"
#include "indicators/percent_change.h"
#include "indicators/rolling_extreme.h"
#include "indicators/rsi.h"
#include "indicators/sma.h"
#include "indicators/vwap.h"

namespace stockpipe::indicators {
namespace {

constexpr std::size_t kTicks = 1'000'000;

struct Series {
  std::vector<double> prices;
  std::vector<double> volumes;
};

const Series& Walk() {
  static const Series series = [] {
    Series s;
    std::mt19937_64 rng(42);
    std::normal_distribution<double> step(0.0, 0.002);
    std::uniform_int_distribution<int> volume(0, 5000);
    double price = 100;
    for (std::size_t i = 0; i < kTicks; ++i) {
      price *= std::exp(step(rng));
      s.prices.push_back(price);
      s.volumes.push_back(volume(rng));
    }
    return s;
  }();
  return series;
}

void PerTick(benchmark::State& state) {
  // CPU seconds per tick, printed with an SI prefix ("per_tick=16.3n" is 16.3 ns).
  state.counters["per_tick"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kTicks),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTicks));
}

// One iteration streams the whole walk through `indicator` (its state carries on across
// iterations, as a live stream's would).
template <typename Indicator>
void Stream(benchmark::State& state, Indicator indicator) {
  const std::vector<double>& prices = Walk().prices;
  for (auto _ : state) {
    for (double p : prices) benchmark::DoNotOptimize(indicator.Update(p));
  }
  PerTick(state);
}

template <typename Indicator>
void StreamWithVolume(benchmark::State& state, Indicator indicator) {
  const Series& s = Walk();
  for (auto _ : state) {
    for (std::size_t i = 0; i < kTicks; ++i) {
      benchmark::DoNotOptimize(indicator.Update(s.prices[i], s.volumes[i]));
    }
  }
  PerTick(state);
}

int Period(const benchmark::State& state) {
  return static_cast<int>(state.range(0));
}

void BM_Sma(benchmark::State& state) {
  Stream(state, *Sma::Create({.period = Period(state)}));
}
void BM_Ema(benchmark::State& state) {
  Stream(state, *Ema::Create({.period = Period(state)}));
}
void BM_Rsi(benchmark::State& state) {
  Stream(state, *Rsi::Create({.period = Period(state)}));
}
void BM_Macd(benchmark::State& state) {
  Stream(state, *Macd::Create({}));
}
void BM_Bollinger(benchmark::State& state) {
  Stream(state, *Bollinger::Create({.period = Period(state)}));
}
void BM_RollingMin(benchmark::State& state) {
  Stream(state, *RollingMin::Create({.period = Period(state)}));
}
void BM_RollingMax(benchmark::State& state) {
  Stream(state, *RollingMax::Create({.period = Period(state)}));
}
void BM_PercentChange(benchmark::State& state) {
  Stream(state, *PercentChange::Create({.period = Period(state)}));
}
void BM_Vwap(benchmark::State& state) {
  StreamWithVolume(state, Vwap());
}
void BM_RollingVwap(benchmark::State& state) {
  StreamWithVolume(state, *RollingVwap::Create({.period = Period(state)}));
}
// The whole-series form, allocation of the output included.
void BM_SmaSeries(benchmark::State& state) {
  for (auto _ : state) {
    auto out = SmaSeries(Walk().prices, {.period = Period(state)});
    benchmark::DoNotOptimize(out->data());
  }
  PerTick(state);
}

BENCHMARK(BM_Sma)->Arg(20)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Ema)->Arg(20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Rsi)->Arg(14)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Macd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Bollinger)->Arg(20)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RollingMin)->Arg(20)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RollingMax)->Arg(20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PercentChange)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Vwap)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RollingVwap)->Arg(20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SmaSeries)->Arg(20)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace stockpipe::indicators

BENCHMARK_MAIN();
