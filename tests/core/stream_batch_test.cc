// StreamBatch keeps the text its entries view: they read the same after the batch moves (also
// text short enough for std::string to hold inline, which a move would copy elsewhere), after
// many more texts are kept (no reallocation moves one), and in a copy that outlives the original.
// Run under valgrind or a sanitizer, a dangling view here is an invalid read.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/stream.h"

namespace stockpipe {
namespace {

TEST(StreamBatchTest, EntriesViewKeptTextWhereverTheBatchGoes) {
  std::optional<StreamBatch> original(std::in_place);
  original->entries.push_back({original->Keep("1"), 5, original->Keep("r0")});
  const std::string long_text(1000, 'x');
  original->entries.push_back({original->Keep("2"), 6, original->Keep(long_text)});
  for (int i = 0; i < 1000; ++i) original->Keep(std::to_string(i));

  StreamBatch moved = std::move(*original);
  original.reset();
  ASSERT_EQ(moved.entries.size(), 2u);
  EXPECT_EQ(moved.entries[0].sequence, "1");
  EXPECT_EQ(moved.entries[0].data, "r0");
  EXPECT_EQ(moved.entries[1].data, long_text);

  std::optional<StreamBatch> source(std::move(moved));
  const StreamBatch copy = *source;
  source.reset();
  EXPECT_EQ(copy.entries[0].data, "r0");
  EXPECT_EQ(copy.entries[1].sequence, "2");

  StreamBatch gathered;
  {
    StreamBatch page;
    page.entries.push_back({page.Keep("3"), 7, page.Keep("r3")});
    gathered.KeepAllOf(page);
    gathered.entries.push_back(page.entries.front());
  }
  EXPECT_EQ(gathered.entries[0].data, "r3");
}

}  // namespace
}  // namespace stockpipe
