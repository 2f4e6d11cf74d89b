// The README's SQL that tests run as written: the ```sql block between `<!-- NAME -->` and
// `<!-- /NAME -->` in README.md, read from the file so the README and its tests cannot drift.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "support/temp_dir.h"

namespace stockpipe::testing {

// Empty when the README has no such block.
inline std::string ReadmeSql(std::string_view name) {
  const std::string text =
      ReadFile(std::filesystem::path(STOCKPIPE_TESTS_DIR).parent_path() / "README.md");
  const std::string begin = fmt::format("<!-- {} -->", name),
                    end = fmt::format("<!-- /{} -->", name);
  const std::size_t from = text.find(begin), to = text.find(end);
  if (from == std::string::npos || to == std::string::npos || to < from) return "";
  const std::string block = text.substr(from + begin.size(), to - from - begin.size());
  const std::string fence = "```sql\n";
  const std::size_t open = block.find(fence), close = block.rfind("```");
  if (open == std::string::npos || close <= open) return "";
  return block.substr(open + fence.size(), close - open - fence.size());
}

// The README's bars-over-RAW query (`raw-bars-sql`) at an interval of `seconds`: the number its
// first line sets (`VALUES (60)`) replaced. Empty when the README has no such query.
inline std::string RawBarsSql(int seconds) {
  std::string sql = ReadmeSql("raw-bars-sql");
  const std::string placeholder = "VALUES (60)";
  const std::size_t at = sql.find(placeholder);
  if (at == std::string::npos) return "";
  return sql.replace(at, placeholder.size(), fmt::format("VALUES ({})", seconds));
}

}  // namespace stockpipe::testing
