#include "query/archive_layout.h"

namespace stockpipe::query::archive {

const Layout& RawLayout() {
  static const Layout layout{"raw",
                             {{"symbol", "TEXT", Kind::kJson},
                              {"timestamp", "TEXT", Kind::kJson},
                              {"price", "REAL", Kind::kJson},
                              {"dt", "TEXT", Kind::kDt},
                              {"extra", "TEXT HIDDEN", Kind::kExtra},
                              {"object", "TEXT HIDDEN", Kind::kObject},
                              {"line", "INTEGER HIDDEN", Kind::kLine}},
                             3};
  return layout;
}

const Layout& RejectedLayout() {
  static const Layout layout{"rejected",
                             {{"reason", "TEXT", Kind::kJson},
                              {"message", "TEXT", Kind::kJson},
                              {"shard", "TEXT", Kind::kJson},
                              {"sequence", "TEXT", Kind::kJson},
                              {"arrival", "TEXT", Kind::kJson},
                              {"record", "TEXT", Kind::kJson},
                              {"dt", "TEXT", Kind::kDt},
                              {"extra", "TEXT HIDDEN", Kind::kExtra},
                              {"object", "TEXT HIDDEN", Kind::kObject},
                              {"line", "INTEGER HIDDEN", Kind::kLine}},
                             6};
  return layout;
}

std::vector<std::string_view> JsonNames(const Layout& layout) {
  std::vector<std::string_view> names;
  for (int c = 0; c < layout.json_columns; ++c) {
    names.emplace_back(layout.columns[static_cast<std::size_t>(c)].name);
  }
  return names;
}

}  // namespace stockpipe::query::archive
