#include "query/archive_partition_filter.h"

namespace stockpipe::query::archive {
namespace {

// The text SQLite would compare a dt value with (TEXT affinity), or nullopt when pruning on it
// is unsafe (a blob) or NULL (nothing matches).
std::optional<std::string> TextOf(sqlite3_value* v, bool& is_null) {
  is_null = false;
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
      is_null = true;
      return std::nullopt;
    case SQLITE_BLOB:
      return std::nullopt;
    default: {
      const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(v)));
    }
  }
}

}  // namespace

int PartitionFilter::Read(std::string_view ops, int argc, sqlite3_value** argv) {
  for (int i = 0; i < argc && static_cast<std::size_t>(i) < ops.size(); ++i) {
    bool is_null = false;
    if (ops[static_cast<std::size_t>(i)] == 'i') {
      std::set<std::string> values;
      bool prunable = true;
      sqlite3_value* v = nullptr;
      int rc = sqlite3_vtab_in_first(argv[i], &v);
      for (; rc == SQLITE_OK && v; rc = sqlite3_vtab_in_next(argv[i], &v)) {
        auto text = TextOf(v, is_null);
        if (text)
          values.insert(*text);
        else if (!is_null)
          prunable = false;
      }
      if (rc != SQLITE_OK && rc != SQLITE_DONE) return rc;
      if (prunable) Equal(std::move(values));
      continue;
    }
    auto text = TextOf(argv[i], is_null);
    if (is_null) {
      nothing = true;  // dt = NULL, dt < NULL, ... are never true
      continue;
    }
    if (!text) continue;
    switch (ops[static_cast<std::size_t>(i)]) {
      case 'e':
        Equal({*text});
        break;
      case 'g':
      case 'G':
        if (lower.empty() || *text >= lower) {
          lower_inclusive =
              ops[static_cast<std::size_t>(i)] == 'G' && (lower != *text || lower_inclusive);
          lower = *text;
        }
        break;
      case 'l':
      case 'L':
        if (upper.empty() || *text <= upper) {
          upper_inclusive =
              ops[static_cast<std::size_t>(i)] == 'L' && (upper != *text || upper_inclusive);
          upper = *text;
        }
        break;
    }
  }
  return SQLITE_OK;
}

std::vector<std::string> PartitionFilter::Prefixes(std::string_view area) const {
  const std::string folder = std::string(area) + "/";
  std::vector<std::string> prefixes;
  if (equal) {
    for (const std::string& dt : *equal) {
      if (dt.find('/') == std::string::npos && dt.find("..") == std::string::npos) {
        prefixes.push_back(folder + "dt=" + dt + "/");
      }
    }
  } else if (!nothing) {
    prefixes.push_back(folder);
  }
  return prefixes;
}

}  // namespace stockpipe::query::archive
