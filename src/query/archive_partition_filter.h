// Partition pruning for the archive tables: the constraints a query puts on `dt` (=, <, <=, >, >=,
// IN) turned into the partitions (`<area>/dt=YYYY-MM-DD/`) worth listing, so a query on one day
// opens only that day's objects. SQLite still checks every row, so the filter only has to keep a
// superset: a value it cannot compare as SQLite would (a blob) prunes nothing. Internal to the
// archive table.
#pragma once

#include <sqlite3.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace stockpipe::query::archive {

// Which `dt` values can match.
struct PartitionFilter {
  std::optional<std::set<std::string>> equal;  // dt must be one of these
  std::string lower, upper;                    // empty = unbounded
  bool lower_inclusive = true, upper_inclusive = true;
  bool nothing = false;  // a constraint no dt can meet

  void Equal(std::set<std::string> values) {
    if (!equal) {
      equal = std::move(values);
      return;
    }
    std::set<std::string> both;
    for (const auto& v : values) {
      if (equal->count(v)) both.insert(v);
    }
    equal = std::move(both);
  }
  bool Accepts(std::string_view dt) const {
    if (nothing) return false;
    if (equal && !equal->count(std::string(dt))) return false;
    if (!lower.empty() && (lower_inclusive ? dt < lower : dt <= lower)) return false;
    if (!upper.empty() && (upper_inclusive ? dt > upper : dt >= upper)) return false;
    return true;
  }

  // Narrows the filter by xFilter's arguments: `ops` holds one letter per argument, as xBestIndex
  // wrote them (= e, > g, >= G, < l, <= L, IN i). SQLITE_OK, or SQLite's error reading an IN list.
  int Read(std::string_view ops, int argc, sqlite3_value** argv);
  // The key prefixes to list in `area` (raw, rejected): only the named partitions when there are
  // any, the whole area otherwise, none when no dt can match.
  std::vector<std::string> Prefixes(std::string_view area) const;
};

}  // namespace stockpipe::query::archive
