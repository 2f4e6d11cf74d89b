// RunSynthetic's pacing on an injected clock: real time sends one round per INTERVAL_SEC stamped
// with the clock and stops at DURATION_SEC; a load run stops at --count, stamps a simulated clock
// ending at the present and writes in batches; a refused write ends the run with its error.
#include "producers/synthetic_run.h"

#include <gtest/gtest.h>

#include <vector>

namespace stockpipe {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kStart = 1'755'000'000 * kSecond;

struct Sink {
  std::vector<std::size_t> batches;
  std::vector<StreamRecord> records;
  Status Put(std::span<const StreamRecord> batch) {
    batches.push_back(batch.size());
    records.insert(records.end(), batch.begin(), batch.end());
    return Status::Ok();
  }
};

SyntheticParams TwoSymbols() {
  SyntheticParams p;
  p.symbols = {"AAA", "BBB"};
  p.seed = 7;
  return p;
}

TEST(SyntheticRunTest, RealTimeSendsOneRoundPerIntervalUntilTheDuration) {
  SyntheticParams p = TwoSymbols();
  p.interval_sec = 1;
  p.duration_sec = 3;
  Micros clock = kStart;
  SyntheticRunOptions o;
  o.now = [&] { return clock; };
  o.sleep = [&](Micros wait) {
    clock += wait;
    return true;
  };
  Sink sink;
  auto sent = RunSynthetic(
      p, [&](auto batch) { return sink.Put(batch); }, o);
  ASSERT_TRUE(sent.ok()) << sent.error();
  EXPECT_EQ(*sent, 6u);
  EXPECT_EQ(sink.batches, (std::vector<std::size_t>{2, 2, 2}));
  // Stamped with the clock of its round: the third round one interval after the second.
  EXPECT_NE(sink.records[4].data.find(ReferenceTimestamp(kStart + 2 * kSecond)), std::string::npos)
      << sink.records[4].data;
}

TEST(SyntheticRunTest, ALoadRunStopsAtTheCountInBatchesOnAClockEndingNow) {
  SyntheticParams p = TwoSymbols();
  SyntheticRunOptions o;
  o.load = true;
  o.count = 7;
  o.batch = 3;
  o.now = [] { return kStart; };
  o.sleep = [](Micros) -> bool {
    ADD_FAILURE() << "a load run at max rate never sleeps";
    return true;
  };
  Sink sink;
  auto sent = RunSynthetic(
      p, [&](auto batch) { return sink.Put(batch); }, o);
  ASSERT_TRUE(sent.ok()) << sent.error();
  EXPECT_EQ(*sent, 7u);
  ASSERT_EQ(sink.records.size(), 7u);
  for (std::size_t size : sink.batches) EXPECT_LE(size, 4u);  // a round may top a batch up
  // Four rounds planned: the first stamped four intervals before now, none after it.
  EXPECT_NE(sink.records[0].data.find(ReferenceTimestamp(kStart - 4 * kSecond)), std::string::npos)
      << sink.records[0].data;
  EXPECT_NE(sink.records[6].data.find(ReferenceTimestamp(kStart - kSecond)), std::string::npos)
      << sink.records[6].data;
}

TEST(SyntheticRunTest, ARefusedWriteEndsTheRunWithItsError) {
  SyntheticRunOptions o;
  o.load = true;
  o.count = 10;
  o.now = [] { return kStart; };
  auto sent = RunSynthetic(
      TwoSymbols(), [](auto) { return Status::Error("disk full"); }, o);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error(), "disk full");
}

TEST(SyntheticRunTest, TheRateIsMaxOrAPositiveNumber) {
  double per_second = -1;
  EXPECT_TRUE(ParseSyntheticRate("", per_second).ok());
  EXPECT_EQ(per_second, 0);
  EXPECT_TRUE(ParseSyntheticRate("max", per_second).ok());
  EXPECT_EQ(per_second, 0);
  EXPECT_TRUE(ParseSyntheticRate("2500", per_second).ok());
  EXPECT_EQ(per_second, 2500);
  const Status bad = ParseSyntheticRate("-3", per_second);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("--rate"), std::string::npos) << bad.message();
  EXPECT_FALSE(ParseSyntheticRate("fast", per_second).ok());
}

}  // namespace
}  // namespace stockpipe
