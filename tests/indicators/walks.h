// Generated price series for the indicator tests: geometric random walks from a fixed seed, with
// the shapes that break indicators (flat stretches, large jumps, a flat start, zero volumes).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace stockpipe::indicators::testing {

struct Walk {
  std::vector<double> prices;
  std::vector<double> volumes;  // whole numbers, some 0
};

struct WalkShape {
  std::uint64_t seed = 1;
  std::size_t length = 2000;
  double start = 100;
  double step_sd = 0.01;       // per-tick log-return standard deviation
  double jump_chance = 0.005;  // per tick: a move of up to e^+-0.2 (-18%..+22%)
  double flat_chance = 0.004;  // per tick: the price then stays put for 20..80 ticks
  std::size_t flat_start = 0;  // ticks of one price before the walk begins to move
  double zero_volume_chance = 0.05;
  std::size_t zero_volume_stretch_at = 0;  // 0: none; else 40 zero-volume ticks from there
};

inline Walk RandomWalk(const WalkShape& shape) {
  std::mt19937_64 rng(shape.seed);
  std::normal_distribution<double> step(0.0, shape.step_sd);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> flat_length(20, 80);
  std::uniform_int_distribution<int> volume(1, 5000);
  Walk walk;
  double price = shape.start;
  std::size_t flat_left = shape.flat_start;
  for (std::size_t i = 0; i < shape.length; ++i) {
    if (flat_left > 0) {
      --flat_left;
    } else if (unit(rng) < shape.flat_chance) {
      flat_left = static_cast<std::size_t>(flat_length(rng));
    } else if (unit(rng) < shape.jump_chance) {
      price *= std::exp(unit(rng) * 0.4 - 0.2);  // symmetric in log: no drift
    } else {
      price *= std::exp(step(rng));
    }
    walk.prices.push_back(price);
    const bool zero_stretch = shape.zero_volume_stretch_at > 0 &&
                              i >= shape.zero_volume_stretch_at &&
                              i < shape.zero_volume_stretch_at + 40;
    const bool zero = zero_stretch || unit(rng) < shape.zero_volume_chance;
    walk.volumes.push_back(zero ? 0.0 : volume(rng));
  }
  return walk;
}

}  // namespace stockpipe::indicators::testing
