#include "query/archive_grouped_scan.h"

#include <algorithm>
#include <utility>

namespace stockpipe::query::archive {

void Merge(Grouped& g, std::unique_ptr<Partial> part) {
  const auto index = static_cast<std::uint32_t>(g.parts.size());
  std::vector<std::uint32_t> text_ids;
  text_ids.reserve(part->key_texts.size());
  for (const std::string& text : part->key_texts) text_ids.push_back(g.Intern(text));
  std::string key;
  for (std::size_t i = 0; i < part->groups.size(); ++i) {
    PartGroup& local = part->groups[i];
    key.clear();
    for (Packed& value : local.key) {
      if (value.type == Slot::Type::kText) value.bits = text_ids[value.bits];
      AppendKey(value, key);
    }
    auto [it, added] = g.group_of.try_emplace(key, static_cast<std::uint32_t>(g.groups.size()));
    if (added) g.groups.emplace_back().key = local.key;
    Group& group = g.groups[it->second];
    group.chunks.push_back({index, static_cast<std::uint32_t>(i)});
    group.rows += local.rows;
  }
  part->key_texts = {};
  g.parts.push_back(std::move(part));
}

bool Order(Grouped& g, std::string_view order_terms, std::size_t table_columns) {
  const GroupSpec& spec = *g.spec;
  std::vector<std::pair<std::size_t, bool>> terms;  // key index, descending
  for (std::size_t i = 0; i + 1 < order_terms.size(); i += 2) {
    const int col = order_terms[i] - '0';
    for (std::size_t k = 0; k < spec.key_columns.size(); ++k) {
      if (spec.key_columns[k] == col) terms.emplace_back(k, order_terms[i + 1] == 'd');
    }
  }
  const auto rank = [](Slot::Type t) {
    return t == Slot::Type::kNull ? 0 : t == Slot::Type::kText ? 2 : 1;
  };
  const auto number = [](const Packed& p) {
    double d;
    if (p.type == Slot::Type::kInteger) {
      std::int64_t i;
      std::memcpy(&i, &p.bits, 8);
      return static_cast<double>(i);
    }
    std::memcpy(&d, &p.bits, 8);
    return d;
  };
  const auto compare = [&](const Packed& a, const Packed& b) {
    if (rank(a.type) != rank(b.type)) return rank(a.type) < rank(b.type) ? -1 : 1;
    if (rank(a.type) == 0) return 0;
    if (rank(a.type) == 2) {
      const int c = g.texts[a.bits].compare(g.texts[b.bits]);
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    const double x = number(a), y = number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  g.order.resize(g.groups.size());
  for (std::size_t i = 0; i < g.order.size(); ++i) g.order[i] = static_cast<std::uint32_t>(i);
  std::sort(g.order.begin(), g.order.end(), [&](std::uint32_t x, std::uint32_t y) {
    for (const auto& [k, desc] : terms) {
      const int c = compare(g.groups[x].key[k], g.groups[y].key[k]);
      if (c != 0) return desc ? c > 0 : c < 0;
    }
    return false;
  });
  g.position = 0;
  g.chunk = 0;
  g.row = 0;
  while (g.position < g.order.size() && g.groups[g.order[g.position]].rows == 0) {
    ++g.position;
  }
  const bool rows = g.position < g.order.size();
  g.width = spec.row_columns.size();
  g.source.assign(table_columns, -1);
  for (std::size_t k = 0; k < spec.key_columns.size(); ++k) {
    g.source[static_cast<std::size_t>(spec.key_columns[k])] = static_cast<int>(k);
  }
  for (std::size_t k = 0; k < spec.row_columns.size(); ++k) {
    g.source[static_cast<std::size_t>(spec.row_columns[k])] =
        Grouped::kRowColumn + static_cast<int>(k);
  }
  if (rows) {
    g.group = g.order[g.position];
    g.Enter();
  }
  return rows;
}

}  // namespace stockpipe::query::archive
