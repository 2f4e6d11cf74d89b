// Partition pruning decides which archive folders a query lists at all, so a mistake here loses
// rows silently (SQLite re-checks only the rows it is given). The filter may keep too much, never
// too little: these tests pin what it keeps for each kind of constraint on `dt`.
#include "query/archive_partition_filter.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

namespace stockpipe::query::archive {
namespace {

// The values of one `SELECT`'s row, as xFilter receives its arguments.
class Values {
 public:
  explicit Values(const char* select) {
    sqlite3_open(":memory:", &db_);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, select, -1, &statement, nullptr), SQLITE_OK) << select;
    EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW) << select;
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      values_.push_back(sqlite3_value_dup(sqlite3_column_value(statement, i)));
    }
    sqlite3_finalize(statement);
  }
  ~Values() {
    for (sqlite3_value* v : values_) sqlite3_value_free(v);
    sqlite3_close(db_);
  }
  int count() const { return static_cast<int>(values_.size()); }
  sqlite3_value** data() { return values_.data(); }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_value*> values_;
};

using Prefixes = std::vector<std::string>;

TEST(PartitionFilterTest, EqualDaysListOnlyTheDaysEveryConstraintNames) {
  PartitionFilter filter;
  Values days("SELECT '2025-08-15', '2025-08-14'");
  ASSERT_EQ(filter.Read("ee", days.count(), days.data()), SQLITE_OK);
  EXPECT_EQ(filter.Prefixes("raw"), Prefixes{});  // dt = a AND dt = b: no day is both

  PartitionFilter one;
  Values day("SELECT '2025-08-14'");
  ASSERT_EQ(one.Read("e", day.count(), day.data()), SQLITE_OK);
  EXPECT_EQ(one.Prefixes("rejected"), Prefixes{"rejected/dt=2025-08-14/"});
  EXPECT_TRUE(one.Accepts("2025-08-14"));
  EXPECT_FALSE(one.Accepts("2025-08-15"));
}

TEST(PartitionFilterTest, RangesKeepTheirBoundsAndListTheWholeArea) {
  PartitionFilter filter;
  Values bounds("SELECT '2025-08-14', '2025-08-16', '2025-08-13'");
  // dt >= 14 AND dt < 16 AND dt > 13: the tighter lower bound wins.
  ASSERT_EQ(filter.Read("Glg", bounds.count(), bounds.data()), SQLITE_OK);
  EXPECT_EQ(filter.Prefixes("raw"), Prefixes{"raw/"});
  EXPECT_FALSE(filter.Accepts("2025-08-13"));
  EXPECT_TRUE(filter.Accepts("2025-08-14"));
  EXPECT_TRUE(filter.Accepts("2025-08-15"));
  EXPECT_FALSE(filter.Accepts("2025-08-16"));

  PartitionFilter exclusive;
  Values same("SELECT '2025-08-14', '2025-08-14'");
  ASSERT_EQ(exclusive.Read("Gg", same.count(), same.data()), SQLITE_OK);  // >= x AND > x
  EXPECT_FALSE(exclusive.Accepts("2025-08-14"));
  EXPECT_TRUE(exclusive.Accepts("2025-08-15"));
}

TEST(PartitionFilterTest, NullMatchesNothingAndABlobPrunesNothing) {
  PartitionFilter null;
  Values nothing("SELECT NULL");
  ASSERT_EQ(null.Read("e", nothing.count(), nothing.data()), SQLITE_OK);
  EXPECT_EQ(null.Prefixes("raw"), Prefixes{});
  EXPECT_FALSE(null.Accepts("2025-08-14"));

  PartitionFilter blob;
  Values bytes("SELECT x'323032352d30382d3134'");  // '2025-08-14' as a blob: SQLite compares it
  ASSERT_EQ(blob.Read("e", bytes.count(), bytes.data()), SQLITE_OK);  // as a blob, so keep all
  EXPECT_EQ(blob.Prefixes("raw"), Prefixes{"raw/"});
  EXPECT_TRUE(blob.Accepts("2025-08-15"));
}

TEST(PartitionFilterTest, ADayThatIsNotAFolderNameListsNothing) {
  PartitionFilter filter;
  filter.Equal({"../secrets", "2025/08", "2025-08-14"});
  EXPECT_EQ(filter.Prefixes("raw"), Prefixes{"raw/dt=2025-08-14/"});
}

}  // namespace
}  // namespace stockpipe::query::archive
