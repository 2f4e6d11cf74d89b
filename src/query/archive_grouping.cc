#include "query/archive_grouping.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "query/archive_plain_reader.h"
#include "query/text_ids.h"

namespace stockpipe::query::archive {
namespace {

// Gives each group of `p` its blocks for `width` values a row; false when out of memory.
bool AllocateRows(Partial& p, std::size_t width, BlockArena& arena) {
  for (PartGroup& g : p.groups) {
    if (g.compact) {
      g.codes = static_cast<std::uint32_t*>(arena.Allocate(g.rows * 4));
      if (!g.codes) return false;
      continue;
    }
    g.bits = static_cast<std::uint64_t*>(arena.Allocate(g.rows * width * 8));
    g.types = static_cast<Slot::Type*>(arena.Allocate(g.rows * width));
    if (!g.bits || !g.types) return false;
  }
  return true;
}

// A value of `column` in row `row` of `b`; `text` is set for text (a view into `b`).
struct Value {
  Slot::Type type = Slot::Type::kNull;
  std::uint64_t bits = 0;
  std::string_view text;
};

Value ValueOf(const Layout& layout, const Batch& b, std::size_t row, int column) {
  const Column& col = layout.columns[static_cast<std::size_t>(column)];
  Value v;
  if (col.kind == Kind::kDt || col.kind == Kind::kObject) {
    const std::string& text = col.kind == Kind::kDt ? b.dt : b.key;
    if (col.kind == Kind::kDt && text.empty()) return v;
    v.type = Slot::Type::kText;
    v.text = text;
    return v;
  }
  if (b.slots.empty()) return v;
  const std::size_t index =
      col.kind == Kind::kExtra ? b.stride - 1 : static_cast<std::size_t>(column);
  const Slot& s = b.slots[row * b.stride + index];
  v.type = s.type;
  switch (s.type) {
    case Slot::Type::kNull:
      break;
    case Slot::Type::kReal:
      std::memcpy(&v.bits, &s.real, 8);
      break;
    case Slot::Type::kInteger:
      // A REAL column stays REAL when the JSON number has no fraction (`"price":100`).
      if (std::string_view(col.decl).starts_with("REAL")) {
        const double d = static_cast<double>(s.integer);
        v.type = Slot::Type::kReal;
        std::memcpy(&v.bits, &d, 8);
      } else {
        std::memcpy(&v.bits, &s.integer, 8);
      }
      break;
    case Slot::Type::kText:
      v.text = std::string_view(b.arena.data() + s.offset, s.length);
      break;
  }
  return v;
}

// Buckets the rows of `b` by the key columns (runs on the helper thread after Decode): the
// groups first, then each group's values in one exactly sized block.
bool Bucket(const Layout& layout, const GroupSpec& spec, const Batch& b, Scratch& s, Partial& p,
            BlockArena& arena) {
  p.rows = b.rows;
  TextIds key_text_ids;                     // views into `b`
  std::vector<std::int32_t> group_of_text;  // one text key column: key text id -> group
  std::unordered_map<std::string, std::uint32_t> group_of;  // encoded key -> group
  const bool one_key = spec.key_columns.size() == 1;
  std::string key;
  std::vector<Packed> key_values(spec.key_columns.size());
  s.group.resize(b.rows);
  for (std::size_t r = 0; r < b.rows; ++r) {
    std::int64_t group = -1;
    key.clear();
    for (std::size_t k = 0; k < spec.key_columns.size(); ++k) {
      const Value v = ValueOf(layout, b, r, spec.key_columns[k]);
      Packed& packed = key_values[k];
      packed.type = v.type;
      packed.bits = v.bits;
      if (v.type == Slot::Type::kText) {
        const auto [id, added] =
            key_text_ids.Find(v.text, static_cast<std::uint32_t>(p.key_texts.size()));
        if (added) p.key_texts.emplace_back(v.text);
        packed.bits = id;
        if (one_key) {
          if (group_of_text.size() <= packed.bits) group_of_text.resize(packed.bits + 1, -1);
          group = group_of_text[packed.bits];
          if (group < 0) {
            group = static_cast<std::int64_t>(p.groups.size());
            group_of_text[packed.bits] = static_cast<std::int32_t>(group);
            p.groups.emplace_back().key = key_values;
          }
          break;
        }
      }
      AppendKey(packed, key);
    }
    if (group < 0) {
      auto [it, added] = group_of.try_emplace(key, static_cast<std::uint32_t>(p.groups.size()));
      if (added) p.groups.emplace_back().key = key_values;
      group = it->second;
    }
    s.group[r] = static_cast<std::uint32_t>(group);
    ++p.groups[static_cast<std::size_t>(group)].rows;
  }
  if (spec.row_columns.empty()) return true;  // only the row counts matter
  if (!AllocateRows(p, spec.row_columns.size(), arena)) return false;
  std::vector<std::size_t> filled(p.groups.size());
  for (std::size_t r = 0; r < b.rows; ++r) {
    PartGroup& g = p.groups[s.group[r]];
    std::size_t& at = filled[s.group[r]];
    for (int col : spec.row_columns) {
      const Value v = ValueOf(layout, b, r, col);
      std::uint64_t bits = v.bits;
      if (v.type == Slot::Type::kText) {
        bits = (static_cast<std::uint64_t>(p.texts.size()) << 32) | v.text.size();
        p.texts.append(v.text);
      }
      g.bits[at] = bits;
      g.types[at++] = v.type;
    }
  }
  return true;
}

// ReadPlain's sink for a grouped scan: each record's values go to its group without a Slot batch
// in between (through the scratch rows, scattered into exactly sized group blocks at the end), its
// strings as views into the inflated text. `dt` and `object` are the same on every row of one
// object, so only the json key columns decide a row's group here.
class GroupSink {
 public:
  GroupSink(const Layout& layout, const GroupSpec& spec, const Batch& b, const char* text,
            Scratch& s, Partial& p)
      : spec_(spec), text_(text), s_(s), p_(p), key_values_(spec.key_columns.size()) {
    s.group.clear();
    s.values.clear();
    s.types.clear();
    s.codes.clear();
    for (std::size_t k = 0; k < spec.key_columns.size(); ++k) {
      const Column& col = layout.columns[static_cast<std::size_t>(spec.key_columns[k])];
      key_real_.push_back(std::string_view(col.decl).starts_with("REAL"));
      if (col.kind == Kind::kJson) {
        json_keys_.push_back(k);
      } else if (const std::string_view t = Constant(col, b); !t.empty()) {
        key_values_[k] = {Slot::Type::kText, KeyId(t, false)};
      }
    }
    for (int c : spec.row_columns) {
      const Column& col = layout.columns[static_cast<std::size_t>(c)];
      RowColumn r{c, col.kind == Kind::kJson, std::string_view(col.decl).starts_with("REAL"), {}};
      if (!r.json) {
        if (const std::string_view t = Constant(col, b); !t.empty()) {
          r.constant = {Slot::Type::kText,
                        (static_cast<std::uint64_t>(p.texts.size()) << 32) | t.size()};
          p.texts.append(t);
        }
      }
      row_columns_.push_back(r);
    }
    for (const RowColumn& r : row_columns_) {
      if (r.json) used_.push_back(static_cast<std::size_t>(r.column));
    }
    for (std::size_t k : json_keys_) used_.push_back(static_cast<std::size_t>(spec.key_columns[k]));
    compactable_ = row_columns_.size() == 1 && row_columns_[0].json && row_columns_[0].real;
  }

  std::size_t rows() const { return rows_; }
  void Row() {
    for (std::size_t c : used_) row_[c].type = Slot::Type::kNull;
    ++rows_;
  }
  Slot* At(std::size_t c) { return &row_[c]; }
  void Text(Slot* slot, const char* text, std::size_t length) {
    slot->type = Slot::Type::kText;
    slot->offset = static_cast<std::uint32_t>(text - text_);
    slot->length = static_cast<std::uint32_t>(length);
  }
  void EndRow() {
    const std::uint32_t group = GroupOfRow();
    s_.group.push_back(group);
    ++p_.groups[group].rows;
    if (compactable_) {
      const Slot& slot = row_[static_cast<std::size_t>(row_columns_[0].column)];
      const std::uint32_t code =
          slot.type == Slot::Type::kReal || slot.type == Slot::Type::kInteger ? slot.length : 0;
      if (code == 0) p_.groups[group].compact = false;
      s_.codes.push_back(code);
    }
    for (const RowColumn& r : row_columns_) {
      Packed v = r.constant;
      if (r.json) {
        const Slot& slot = row_[static_cast<std::size_t>(r.column)];
        v = Value(slot, r.real);
        if (slot.type == Slot::Type::kText) {
          v.bits = (static_cast<std::uint64_t>(p_.texts.size()) << 32) | slot.length;
          p_.texts.append(text_ + slot.offset, slot.length);
        }
      }
      s_.values.push_back(v.bits);
      s_.types.push_back(v.type);
    }
  }
  // Moves each row's values into its group's block; false when out of memory.
  bool Finish(BlockArena& arena) {
    p_.rows = rows_;
    const std::size_t n = row_columns_.size();
    if (n == 0) return true;
    if (!AllocateRows(p_, n, arena)) return false;
    std::vector<std::size_t> filled(p_.groups.size());
    const std::uint64_t* values = s_.values.data();
    const Slot::Type* types = s_.types.data();
    for (std::size_t r = 0; r < rows_; ++r, values += n, types += n) {
      const std::uint32_t group = s_.group[r];
      PartGroup& g = p_.groups[group];
      std::size_t& at = filled[group];
      if (g.compact) {
        g.codes[at++] = s_.codes[r];
        continue;
      }
      for (std::size_t i = 0; i < n; ++i, ++at) {
        g.bits[at] = values[i];
        g.types[at] = types[i];
      }
    }
    return true;
  }

 private:
  struct RowColumn {
    int column;
    bool json, real;  // real: a REAL column, where integers read as reals
    Packed constant;  // dt / object: the same on every row
  };

  static std::string_view Constant(const Column& col, const Batch& b) {
    return col.kind == Kind::kDt       ? std::string_view(b.dt)
           : col.kind == Kind::kObject ? std::string_view(b.key)
                                       : std::string_view();
  }
  // A json value as ValueOf gives it (text handled by the caller).
  static Packed Value(const Slot& slot, bool real) {
    Packed v{slot.type, 0};
    if (slot.type == Slot::Type::kReal) {
      std::memcpy(&v.bits, &slot.real, 8);
    } else if (slot.type == Slot::Type::kInteger) {
      if (real) {
        const double d = static_cast<double>(slot.integer);
        v.type = Slot::Type::kReal;
        std::memcpy(&v.bits, &d, 8);
      } else {
        std::memcpy(&v.bits, &slot.integer, 8);
      }
    }
    return v;
  }
  std::uint64_t KeyId(std::string_view text, bool padded) {
    const auto [id, added] =
        ids_.Find(text, static_cast<std::uint32_t>(p_.key_texts.size()), padded);
    if (added) p_.key_texts.emplace_back(text);
    return id;
  }
  std::uint32_t NewGroup() {
    PartGroup& g = p_.groups.emplace_back();
    g.key = key_values_;
    g.compact = compactable_;
    return static_cast<std::uint32_t>(p_.groups.size() - 1);
  }
  std::uint32_t GroupOfRow() {
    if (json_keys_.empty()) return p_.groups.empty() ? NewGroup() : 0;
    if (json_keys_.size() == 1) {
      const std::size_t k = json_keys_[0];
      const Slot& v = row_[static_cast<std::size_t>(spec_.key_columns[k])];
      if (v.type == Slot::Type::kText) {
        const std::uint64_t id = KeyId(std::string_view(text_ + v.offset, v.length), true);
        if (group_of_text_.size() <= id) group_of_text_.resize(id + 1, -1);
        if (group_of_text_[id] < 0) {
          key_values_[k] = {Slot::Type::kText, id};
          group_of_text_[id] = static_cast<std::int32_t>(NewGroup());
        }
        return static_cast<std::uint32_t>(group_of_text_[id]);
      }
    }
    // Other keys (numbers, NULL, several json columns): encoded, in a map.
    key_.clear();
    for (std::size_t k : json_keys_) {
      const Slot& v = row_[static_cast<std::size_t>(spec_.key_columns[k])];
      Packed packed = Value(v, key_real_[k]);
      if (v.type == Slot::Type::kText)
        packed.bits = KeyId(std::string_view(text_ + v.offset, v.length), true);
      key_values_[k] = packed;
      AppendKey(packed, key_);
    }
    const auto [it, added] =
        group_of_.try_emplace(key_, static_cast<std::uint32_t>(p_.groups.size()));
    if (added) NewGroup();
    return it->second;
  }

  const GroupSpec& spec_;
  const char* text_;
  Scratch& s_;
  Partial& p_;
  std::vector<Packed> key_values_;      // the current row's key; constants filled in once
  std::vector<std::size_t> json_keys_;  // indexes into spec.key_columns
  std::vector<bool> key_real_;          // per key column: REAL (integers read as reals)
  std::vector<RowColumn> row_columns_;
  std::vector<std::size_t> used_;  // json columns read per row
  std::array<Slot, 32> row_{};
  std::size_t rows_ = 0;
  bool compactable_ = false;  // one REAL row column: groups may keep DecimalCodes
  TextIds ids_;
  std::vector<std::int32_t> group_of_text_;  // one json key column: key text id -> group
  std::unordered_map<std::string, std::uint32_t> group_of_;
  std::string key_;
};

Status OutOfMemory(const Batch& b) {
  return Status::Error(fmt::format("{}: out of memory while grouping the rows", b.key));
}

}  // namespace

void AppendKey(Packed p, std::string& key) {
  if (p.type == Slot::Type::kReal) {
    double d;
    std::memcpy(&d, &p.bits, 8);
    if (d == std::floor(d) && std::fabs(d) < 9e18) {
      const auto i = static_cast<std::int64_t>(d);
      p.type = Slot::Type::kInteger;
      std::memcpy(&p.bits, &i, 8);
    }
  }
  key += static_cast<char>(p.type);
  key.append(reinterpret_cast<const char*>(&p.bits), 8);
}

void DecodeGrouped(const std::string& gz, const Layout& layout, Need need, const GroupSpec& spec,
                   const std::atomic<bool>& stop, Scratch& s, Batch& b, Partial& p,
                   BlockArena& arena) {
  const auto length = Inflate(gz, s, b);
  if (!length) return;
  if (!need.any()) {  // no json column: every row of the object is in one group
    GroupSink sink(layout, spec, b, s.text.data(), s, p);
    const std::size_t rows = CountLines(s.text.data(), *length);
    for (std::size_t r = 0; r < rows; ++r) {
      sink.Row();
      sink.EndRow();
    }
    b.rows = rows;
    if (!sink.Finish(arena)) b.error = OutOfMemory(b);
    return;
  }
  const bool plain = !need.extra && *length > 0;
  if (plain) {
    GroupSink sink(layout, spec, b, s.text.data(), s, p);
    if (ReadPlain(s.text.data(), s.text.data() + *length, JsonNames(layout), need, stop, sink)) {
      b.rows = sink.rows();
      if (!sink.Finish(arena)) b.error = OutOfMemory(b);
      return;
    }
    p = Partial();
  }
  Parse(*length, layout, need, stop, s, b, !plain);
  if (b.error.ok() && !stop.load() && !Bucket(layout, spec, b, s, p, arena)) {
    b.error = OutOfMemory(b);
  }
}

}  // namespace stockpipe::query::archive
