#include "query/archive_table.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <sys/mman.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "codec/gzip.h"
#include "codec/json_write.h"

namespace stockpipe::query {
namespace {

// ---- Table layouts ------------------------------------------------------------------------------

enum class Kind : std::uint8_t { kJson, kDt, kExtra, kObject };

struct Column {
  const char* name;
  const char* decl;
  Kind kind;
};

struct Layout {
  std::string_view area;
  std::vector<Column> columns;
  int json_columns = 0;  // the kJson columns come first, in this order
};

const Layout& RawLayout() {
  static const Layout layout{"raw",
                             {{"symbol", "TEXT", Kind::kJson},
                              {"timestamp", "TEXT", Kind::kJson},
                              {"price", "REAL", Kind::kJson},
                              {"dt", "TEXT", Kind::kDt},
                              {"extra", "TEXT HIDDEN", Kind::kExtra},
                              {"object", "TEXT HIDDEN", Kind::kObject}},
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
                              {"object", "TEXT HIDDEN", Kind::kObject}},
                             6};
  return layout;
}

// ---- Decoding one object ------------------------------------------------------------------------

// One parsed value. Text lives in the batch's arena (offsets, since the arena grows).
struct Slot {
  enum class Type : std::uint8_t { kNull, kText, kReal, kInteger };
  Type type = Type::kNull;
  std::uint32_t length = 0;  // text; a number's DecimalCode from the plain reader, or 0
  union {                    // 16 bytes a value: every row of every used column is one
    double real = 0;
    std::int64_t integer;
    std::uint32_t offset;  // text, in the arena
  };
};

// The rows of one object, for the columns the query uses. Batches are recycled by the cursor, so
// their buffers keep their capacity from one object to the next.
struct Batch {
  std::string key, dt;
  std::string arena;        // unescaped strings and extra objects
  std::vector<Slot> slots;  // rows x stride
  std::size_t stride = 0;   // json columns + extra
  std::size_t rows = 0;
  bool simdjson = false;  // read by simdjson, not the plain reader
  Status error;

  void Reset(std::string object_key) {
    key = std::move(object_key);
    dt = std::string(PartitionOf(key));
    arena.clear();
    slots.clear();
    stride = 0;
    rows = 0;
    simdjson = false;
    error = Status::Ok();
  }
};

// What a helper thread reuses from one object to the next: the parser's buffers and the inflated
// text (a fresh multi-megabyte buffer per object costs page faults and zero-filling).
struct Scratch {
  Scratch() { parser.threaded = false; }  // no stage-1 thread per object: helpers fill the cores
  simdjson::dom::parser parser;
  std::string text;                   // inflated object, padded for simdjson
  std::vector<std::uint32_t> group;   // grouped scans: each row's group
  std::vector<std::uint64_t> values;  // grouped plain reads: each row's row-column values
  std::vector<Slot::Type> types;      // and their types
  std::vector<std::uint32_t> codes;   // and their DecimalCodes (one REAL row column)
};

struct Need {
  std::uint32_t json_mask = 0;  // bit i: json column i is used
  bool extra = false;
  bool any() const { return json_mask != 0 || extra; }
};

// Stores a JSON value as a slot: numbers as numbers, strings unescaped, anything else as JSON.
void StoreValue(simdjson::dom::element value, Batch& b, Slot& slot) {
  using simdjson::dom::element_type;
  switch (value.type()) {
    case element_type::NULL_VALUE:
      slot.type = Slot::Type::kNull;
      return;
    case element_type::INT64:
      slot.type = Slot::Type::kInteger;
      slot.integer = value.get_int64().value_unsafe();
      return;
    case element_type::UINT64:
    case element_type::DOUBLE:
      slot.type = Slot::Type::kReal;
      slot.real = value.get_double().value_unsafe();
      return;
    case element_type::STRING: {
      const std::string_view s = value.get_string().value_unsafe();
      slot.type = Slot::Type::kText;
      slot.offset = static_cast<std::uint32_t>(b.arena.size());
      slot.length = static_cast<std::uint32_t>(s.size());
      b.arena.append(s);
      return;
    }
    default: {
      const std::string text = simdjson::minify(value);
      slot.type = Slot::Type::kText;
      slot.offset = static_cast<std::uint32_t>(b.arena.size());
      slot.length = static_cast<std::uint32_t>(text.size());
      b.arena.append(text);
      return;
    }
  }
}

void Fail(Batch& b, const std::string& text, std::size_t offset, std::string_view what) {
  const auto line = 1 + std::count(text.data(), text.data() + offset, '\n');
  b.error = Status::Error(fmt::format("{}: line {}: {}", b.key, line, what));
}

// Counts the non-blank lines of `data`.
std::size_t CountLines(const char* data, std::size_t length) {
  std::size_t lines = 0;
  for (std::size_t at = 0; at < length;) {
    const char* nl = static_cast<const char*>(std::memchr(data + at, '\n', length - at));
    const std::size_t end = nl ? static_cast<std::size_t>(nl - data) : length;
    for (std::size_t i = at; i < end; ++i) {
      if (data[i] != ' ' && data[i] != '\r' && data[i] != '\t') {
        ++lines;
        break;
      }
    }
    at = end + 1;
  }
  return lines;
}

// The end of a JSON string starting at `p` (just past the quote) when it is plain printable ASCII
// without escapes, nullptr otherwise. The text's zero padding stops the scan at the end.
const char* PlainStringEnd(const char* p) {
#ifdef __SSE2__
  // 16 bytes at a time: stop at a quote, a backslash, or a byte < 0x20 or >= 0x80 (both below
  // 0x20 as signed bytes). Never reads past the padding: a zero byte stops the scan.
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (true) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i stop =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmplt_epi8(v, space));
    const int mask = _mm_movemask_epi8(stop);
    if (mask != 0) {
      p += __builtin_ctz(static_cast<unsigned>(mask));
      return *p == '"' ? p : nullptr;
    }
    p += 16;
  }
#endif
  while (true) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') return p;
    if (c < 0x20 || c == '\\' || c >= 0x80) return nullptr;
    ++p;
  }
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

static constexpr double kPowers[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// A number the plain reader got exactly as mantissa / 10^fraction (an integer: fraction 0), kept
// in 32 bits (sign, 4 bits of fraction + 1, 27 bits of mantissa) so a grouped scan stores a REAL
// column in 4 bytes a row; the same division gives back the same double. 0 means "no code".
constexpr std::int64_t kCodeMantissa = std::int64_t{1} << 27;
std::uint32_t DecimalCode(bool negative, int fraction, std::int64_t mantissa) {
  if (mantissa >= kCodeMantissa || fraction >= 15) return 0;
  return (negative ? 1u << 31 : 0u) | static_cast<std::uint32_t>(fraction + 1) << 27 |
         static_cast<std::uint32_t>(mantissa);
}
double FromDecimalCode(std::uint32_t code) {
  const double value =
      static_cast<double>(code & (kCodeMantissa - 1)) / kPowers[((code >> 27) & 15) - 1];
  return code >> 31 ? -value : value;
}

// Parses a JSON number at `p` into `slot` as simdjson's DOM would (integers of up to 18 digits as
// integers, anything with a fraction or exponent as a correctly rounded double); nullptr when the
// number is anything else (the caller falls back to simdjson).
const char* PlainNumber(const char* p, Slot* slot) {
  const char* start = p;
  const bool negative = *p == '-';
  if (negative) ++p;
  const char* digits = p;
  if (*p == '0') {
    ++p;
    if (IsDigit(*p)) return nullptr;
  } else if (IsDigit(*p)) {
    while (IsDigit(*p)) ++p;
  } else {
    return nullptr;
  }
  bool integer = true;
  if (*p == '.') {
    ++p;
    if (!IsDigit(*p)) return nullptr;
    while (IsDigit(*p)) ++p;
    integer = false;
  }
  if (*p == 'e' || *p == 'E') {
    ++p;
    if (*p == '+' || *p == '-') ++p;
    if (!IsDigit(*p)) return nullptr;
    while (IsDigit(*p)) ++p;
    integer = false;
  }
  if (integer) {
    if (p - digits > 18 || (negative && *digits == '0')) return nullptr;  // -0: simdjson decides
    std::int64_t value = 0;
    for (const char* d = digits; d < p; ++d) value = value * 10 + (*d - '0');
    if (slot) {
      slot->type = Slot::Type::kInteger;
      slot->integer = negative ? -value : value;
      slot->length = DecimalCode(negative, 0, value);  // read as a real in a REAL column
    }
    return p;
  }
  double value = 0;
  // Up to 15 digits and no exponent: mantissa and power of ten are exact doubles, so one division
  // is correctly rounded, the value any exact parser gives (Clinger's fast path).
  if (p - digits <= 16) {
    std::int64_t mantissa = 0;
    int fraction = -1, count = 0;
    bool simple = true;
    for (const char* d = digits; d < p; ++d) {
      if (*d == '.') {
        fraction = 0;
      } else if (IsDigit(*d)) {
        mantissa = mantissa * 10 + (*d - '0');
        ++count;
        if (fraction >= 0) ++fraction;
      } else {
        simple = false;  // an exponent
        break;
      }
    }
    if (simple && count <= 15 && fraction >= 0) {
      value = static_cast<double>(mantissa) / kPowers[fraction];
      if (slot) {
        slot->type = Slot::Type::kReal;
        slot->real = negative ? -value : value;
        slot->length = DecimalCode(negative, fraction, mantissa);
      }
      return p;
    }
  }
  const auto [end, ec] = std::from_chars(start, p, value);
  if (ec != std::errc() || end != p) return nullptr;  // out of range: simdjson reports it
  if (slot) {
    slot->length = 0;
    slot->type = Slot::Type::kReal;
    slot->real = value;
  }
  return p;
}

// Reads the common shape of a record without simdjson: one object per line, no whitespace,
// members whose keys and string values are plain ASCII without escapes and whose values are
// strings, numbers, true, false or null, stored exactly as the DOM path stores them. Returns false
// on anything else (nested values, escapes, non-ASCII, blank lines, malformed text); the caller
// then decodes the whole object with simdjson, which also words the errors.
//
// The values go to `sink`: Row() starts a record, At(c) is where json column c's value goes (only
// asked for columns in `need`), Text(slot, text, length) stores a string that lies in the text,
// EndRow() ends the record, rows() counts them.
template <class Sink>
bool ReadPlain(const char* p, const char* end, const std::vector<std::string_view>& names,
               Need need, const std::atomic<bool>& stop, Sink& sink) {
  // Names of up to 16 bytes compared as two masked words: the member name is read from the text,
  // whose padding makes the 16-byte load safe.
  struct Name {
    std::uint64_t lo = 0, hi = 0, lo_mask = 0, hi_mask = 0;
  };
  std::vector<Name> words(names.size());
  for (std::size_t c = 0; c < names.size(); ++c) {
    const std::size_t n = std::min<std::size_t>(names[c].size(), 16);
    char bytes[16] = {};
    std::memcpy(bytes, names[c].data(), n);
    std::memcpy(&words[c].lo, bytes, 8);
    std::memcpy(&words[c].hi, bytes + 8, 8);
    std::memset(bytes, 0, 16);
    std::memset(bytes, 0xff, n);
    std::memcpy(&words[c].lo_mask, bytes, 8);
    std::memcpy(&words[c].hi_mask, bytes + 8, 8);
  }
  while (p < end) {
    if ((sink.rows() & 1023) == 0 && stop.load(std::memory_order_relaxed)) return true;
    if (*p++ != '{') return false;
    sink.Row();
    if (*p == '}') {
      ++p;
    } else {
      while (true) {
        if (*p++ != '"') return false;
        const char* key = p;
        Slot* slot = nullptr;
        std::uint64_t lo, hi;
        std::memcpy(&lo, key, 8);
        std::memcpy(&hi, key + 8, 8);
        // A column's name followed by the closing quote is that name, unescaped: no need to scan
        // the key for escapes first.
        std::size_t column = names.size();
        for (std::size_t c = 0; c < names.size(); ++c) {
          if (names[c].size() <= 16 && (lo & words[c].lo_mask) == words[c].lo &&
              (hi & words[c].hi_mask) == words[c].hi && key[names[c].size()] == '"') {
            column = c;
            p = key + names[c].size();
            break;
          }
        }
        if (column == names.size()) {
          p = PlainStringEnd(p);
          if (!p) return false;
          const std::string_view name(key, static_cast<std::size_t>(p - key));
          for (std::size_t c = 0; c < names.size(); ++c) {
            if (names[c].size() > 16 && name == names[c]) column = c;
          }
        }
        ++p;
        if (*p++ != ':') return false;
        if (column < names.size() && (need.json_mask & (1u << column))) slot = sink.At(column);
        switch (*p) {
          case '"': {
            const char* text = ++p;
            p = PlainStringEnd(p);
            if (!p) return false;
            if (slot) sink.Text(slot, text, static_cast<std::size_t>(p - text));
            ++p;
            break;
          }
          case 't':
          case 'f': {
            const std::string_view word = *p == 't' ? "true" : "false";
            if (std::string_view(p, word.size()) != word) return false;
            if (slot) sink.Text(slot, p, word.size());  // as the DOM path: minified JSON text
            p += word.size();
            break;
          }
          case 'n':
            if (std::string_view(p, 4) != "null") return false;
            p += 4;
            if (slot) slot->type = Slot::Type::kNull;
            break;
          default:
            p = PlainNumber(p, slot);
            if (!p) return false;
            break;
        }
        if (*p == ',') {
          ++p;
          continue;
        }
        if (*p++ != '}') return false;
        break;
      }
    }
    sink.EndRow();
    if (p == end) break;
    if (*p++ != '\n') return false;
  }
  return true;
}

// ReadPlain's sink for a Batch: rows of slots, strings copied to the arena.
struct BatchSink {
  Batch& b;
  std::size_t base = 0;
  std::size_t rows() const { return b.rows; }
  void Row() {
    base = b.slots.size();
    b.slots.resize(base + b.stride);
    ++b.rows;
  }
  Slot* At(std::size_t c) { return &b.slots[base + c]; }
  void Text(Slot* slot, const char* text, std::size_t length) {
    slot->type = Slot::Type::kText;
    slot->offset = static_cast<std::uint32_t>(b.arena.size());
    slot->length = static_cast<std::uint32_t>(length);
    b.arena.append(text, length);
  }
  void EndRow() {}
};

// Inflates `gz` into s.text; the length, or nullopt with the error in `b`.
std::optional<std::size_t> Inflate(const std::string& gz, Scratch& s, Batch& b) {
  auto inflated = InflateGzip(gz, s.text, simdjson::SIMDJSON_PADDING);
  if (!inflated) {
    b.error = Status::Error(fmt::format("{}: {}", b.key, inflated.error()));
    return std::nullopt;
  }
  return *inflated;
}

std::vector<std::string_view> JsonNames(const Layout& layout) {
  std::vector<std::string_view> names;  // compared per member: no strlen per comparison
  for (int c = 0; c < layout.json_columns; ++c) {
    names.emplace_back(layout.columns[static_cast<std::size_t>(c)].name);
  }
  return names;
}

// Parses the inflated text (s.text, `length` bytes) into `b` (on a helper thread); `try_plain`
// false when the plain reader already failed on this object. The DOM API dispatches to the widest
// SIMD kernel at run time (On-Demand would be compiled for the baseline CPU here).
void Parse(std::size_t length, const Layout& layout, Need need, const std::atomic<bool>& stop,
           Scratch& s, Batch& b, bool try_plain) {
  b.stride = static_cast<std::size_t>(layout.json_columns) + 1;
  if (!need.any()) {
    b.rows = CountLines(s.text.data(), length);
    return;
  }
  const std::vector<std::string_view> names = JsonNames(layout);
  b.slots.reserve(length / 48 * b.stride);
  b.arena.reserve(length / 2);
  BatchSink sink{b};
  if (try_plain && !need.extra && length > 0 &&
      ReadPlain(s.text.data(), s.text.data() + length, names, need, stop, sink)) {
    return;
  }
  b.slots.clear();
  b.arena.clear();
  b.rows = 0;
  b.simdjson = true;
  simdjson::dom::document_stream stream;
  if (auto e = s.parser.parse_many(s.text.data(), length, 1 << 20).get(stream)) {
    return Fail(b, s.text, 0, simdjson::error_message(e));
  }
  std::string extra;
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    if ((b.rows & 1023) == 0 && stop.load(std::memory_order_relaxed)) return;
    simdjson::dom::element doc;
    if (auto e = (*it).get(doc))
      return Fail(b, s.text, it.current_index(), simdjson::error_message(e));
    simdjson::dom::object object;
    if (doc.get(object))
      return Fail(b, s.text, it.current_index(), "a record is not a JSON object");
    const std::size_t base = b.slots.size();
    b.slots.resize(base + b.stride);
    ++b.rows;
    extra.clear();
    for (const simdjson::dom::key_value_pair field : object) {
      int index = -1;
      for (int c = 0; c < layout.json_columns; ++c) {
        if (field.key == names[static_cast<std::size_t>(c)]) {
          index = c;
          break;
        }
      }
      if (index >= 0) {
        if (need.json_mask & (1u << index)) {
          StoreValue(field.value, b, b.slots[base + static_cast<std::size_t>(index)]);
        }
        continue;
      }
      if (!need.extra) continue;
      extra += extra.empty() ? '{' : ',';
      AppendJsonString(field.key, extra);
      extra += ':';
      extra += simdjson::minify(field.value);
    }
    if (need.extra && !extra.empty()) {
      extra += '}';
      Slot& slot = b.slots[base + b.stride - 1];
      slot.type = Slot::Type::kText;
      slot.offset = static_cast<std::uint32_t>(b.arena.size());
      slot.length = static_cast<std::uint32_t>(extra.size());
      b.arena += extra;
    }
  }
  if (stream.truncated_bytes() > 0) {
    return Fail(b, s.text, length - stream.truncated_bytes(), "the last record is truncated");
  }
}

void Decode(const std::string& gz, const Layout& layout, Need need, const std::atomic<bool>& stop,
            Scratch& s, Batch& b) {
  if (const auto length = Inflate(gz, s, b)) Parse(*length, layout, need, stop, s, b, true);
}

// ---- Grouping one object ------------------------------------------------------------------------

// A value of a grouped scan: numbers as their bits; text as an index into a text table (key
// columns) or as offset << 32 | length into a Partial's `texts` (other columns).
struct Packed {
  Slot::Type type = Slot::Type::kNull;
  std::uint64_t bits = 0;
};

// Which columns a grouped scan buckets by and which it keeps per row (table column numbers).
struct GroupSpec {
  std::vector<int> key_columns, row_columns;
};

// The rows of one group within one object: the row columns' values, rows x row_columns.
struct PartGroup {
  std::vector<Packed> key;        // the group's first row; text as an index into Partial::key_texts
  std::uint64_t* bits = nullptr;  // in the scan's BlockArena
  Slot::Type* types = nullptr;
  std::uint32_t* codes = nullptr;  // instead of bits/types: one REAL column, all DecimalCodes
                                   // (read as reals, integers too)
  bool compact = false;            // while bucketing: every value so far has a DecimalCode
  std::size_t rows = 0;
};

// Where a grouped scan keeps its rows until SQLite has read them: large blocks asking for
// transparent huge pages. The rows are written once and read once, and on a VM a 4 KiB page fault
// costs more than writing the page: 10M rows in 4 KiB pages took 24,000 faults, 0.4 s of CPU.
class BlockArena {
 public:
  BlockArena() = default;
  BlockArena(const BlockArena&) = delete;
  BlockArena& operator=(const BlockArena&) = delete;
  ~BlockArena() {
    for (const auto& [block, size] : blocks_) munmap(block, size);
  }
  // `bytes` aligned to 8; nullptr when the memory is exhausted. Thread-safe.
  void* Allocate(std::size_t bytes) {
    bytes = (bytes + 7) & ~std::size_t{7};
    std::lock_guard<std::mutex> lock(mutex_);
    if (bytes > left_) {
      const std::size_t size = std::max<std::size_t>(kBlock, (bytes + kHuge - 1) & ~(kHuge - 1));
      void* block = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (block == MAP_FAILED) return nullptr;
#ifdef MADV_HUGEPAGE
      madvise(block, size, MADV_HUGEPAGE);  // advice: without it the kernel uses small pages
#endif
      blocks_.emplace_back(block, size);
      next_ = static_cast<char*>(block);
      left_ = size;
    }
    void* out = next_;
    next_ += bytes;
    left_ -= bytes;
    return out;
  }

 private:
  static constexpr std::size_t kHuge = 2 << 20, kBlock = 16 * kHuge;
  std::mutex mutex_;
  std::vector<std::pair<void*, std::size_t>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

// One object's rows bucketed by the group key, built on the helper thread that decoded it, so the
// query thread merges a few groups per object instead of touching every row.
struct Partial {
  std::string texts;  // text values of the row columns
  std::vector<std::string> key_texts;
  std::vector<PartGroup> groups;  // in order of first appearance
  std::size_t rows = 0;
};

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

// Appends one key value to `key` as SQLite groups it: 1 and 1.0 are the same group.
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

// Dense ids for the key texts of one object (views into its batch): an open-addressing table with
// a cheap hash, since every row of a grouped scan looks one up.
class TextIds {
 public:
  TextIds() : slots_(64) {}
  // The id of `text`, `next` (and added) when it is new. `padded`: 16 bytes from text.data() may
  // be read (the inflated text's padding), so a short text is two masked loads.
  std::pair<std::uint32_t, bool> Find(std::string_view text, std::uint32_t next,
                                      bool padded = false) {
    std::uint64_t lo = 0, hi = 0, hash;
    const std::size_t n = text.size();
    if (n <= 16) {
      if (padded) {
        std::memcpy(&lo, text.data(), 8);
        std::memcpy(&hi, text.data() + 8, 8);
        lo &= n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
        hi &= n >= 16 ? ~std::uint64_t{0} : n <= 8 ? 0 : (std::uint64_t{1} << (8 * (n - 8))) - 1;
      } else {
        char bytes[16] = {};
        std::memcpy(bytes, text.data(), n);
        std::memcpy(&lo, bytes, 8);
        std::memcpy(&hi, bytes + 8, 8);
      }
      hash = (lo ^ (hi * 0xC2B2AE3D27D4EB4Full) ^ n) * 0x9E3779B97F4A7C15ull;
      hash ^= hash >> 29;
    } else {
      hash = Hash(text);
    }
    std::size_t at = hash & (slots_.size() - 1);
    while (slots_[at].used) {
      const Slot& e = slots_[at];
      if (e.hash == hash && e.text.size() == n &&
          (n <= 16 ? e.lo == lo && e.hi == hi : e.text == text)) {
        return {e.id, false};
      }
      at = (at + 1) & (slots_.size() - 1);
    }
    slots_[at] = {hash, lo, hi, text, next, true};
    if (++count_ * 2 > slots_.size()) Grow();
    return {next, true};
  }

 private:
  struct Slot {
    std::uint64_t hash = 0, lo = 0, hi = 0;  // lo/hi: a short text's bytes, zero past its end
    std::string_view text;
    std::uint32_t id = 0;
    bool used = false;
  };
  static std::uint64_t Hash(std::string_view text) {
    std::uint64_t h = text.size();
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      h = (h ^ word) * 0x9E3779B97F4A7C15ull;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, text.data() + i, text.size() - i);
    h = (h ^ tail) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& e : old) {
      if (!e.used) continue;
      std::size_t at = e.hash & (slots_.size() - 1);
      while (slots_[at].used) at = (at + 1) & (slots_.size() - 1);
      slots_[at] = e;
    }
  }
  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

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

// Reads and buckets one object of a grouped scan (on a helper thread): plain objects straight into
// their groups, others through a Batch (simdjson) and Bucket.
Status OutOfMemory(const Batch& b) {
  return Status::Error(fmt::format("{}: out of memory while grouping the rows", b.key));
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

// ---- The virtual table --------------------------------------------------------------------------

struct ModuleContext {
  RawArchive* archive;
  ScanLog* log;
};

struct Table : sqlite3_vtab {
  ModuleContext* context;
  const Layout* layout;
};

constexpr int kInFlight = 2;  // objects being decoded ahead of the one SQLite reads

// What a helper thread hands back for one object.
struct Job {
  std::unique_ptr<Batch> batch;
  std::unique_ptr<Scratch> scratch;
  std::unique_ptr<Partial> partial;  // grouped scans only
};

// A group of a grouped scan: its rows are those of its chunks, in object order.
struct Group {
  struct Chunk {
    std::uint32_t part, group;  // Grouped::parts[part]->groups[group]
  };
  std::vector<Packed> key;  // the first row's key values; text as an index into Grouped::texts
  std::vector<Chunk> chunks;
  std::size_t rows = 0;
};

// All rows of a grouped scan (GROUP BY / DISTINCT on archive columns), bucketed by the group key
// so rows of one group come out adjacent and SQLite aggregates without sorting. Only the columns
// the query uses are kept; the group columns once per group.
struct Grouped {
  std::shared_ptr<const GroupSpec> spec;
  std::shared_ptr<BlockArena> arena;  // the parts' rows
  std::vector<std::unique_ptr<Partial>> parts;
  std::vector<std::string> texts;  // key texts
  std::unordered_map<std::string, std::uint32_t> interned;
  std::unordered_map<std::string, std::uint32_t> group_of;  // encoded key -> group
  std::vector<Group> groups;
  std::vector<std::uint32_t> order;           // groups in output order
  std::size_t position = 0;                   // in `order`
  std::size_t group = 0, chunk = 0, row = 0;  // the current row while emitting

  std::uint32_t Intern(std::string_view text) {
    auto [it, added] = interned.try_emplace(std::string(text), 0);
    if (added) {
      it->second = static_cast<std::uint32_t>(texts.size());
      texts.emplace_back(text);
    }
    return it->second;
  }
  // What xColumn reads, set by Enter() for the current chunk: SQLite asks for every column of
  // every row, so each answer is one or two loads.
  static constexpr int kRowColumn = 1 << 16;  // source: kRowColumn + index in row_columns
  std::vector<int> source;                    // per table column: key index, row column or -1
  const Packed* key = nullptr;
  const std::uint64_t* bits = nullptr;
  const Slot::Type* types = nullptr;
  const std::uint32_t* codes = nullptr;
  const char* row_texts = nullptr;
  std::size_t chunk_rows = 0, width = 0;

  void Enter() {
    const Group& g = groups[group];
    const Group::Chunk& c = g.chunks[chunk];
    const Partial& part = *parts[c.part];
    const PartGroup& pg = part.groups[c.group];
    key = g.key.data();
    bits = pg.bits;
    types = pg.types;
    codes = pg.codes;
    row_texts = part.texts.data();
    chunk_rows = pg.rows;
  }
};

struct Cursor : sqlite3_vtab_cursor {
  std::unique_ptr<Grouped> grouped;       // set in grouped mode
  std::shared_ptr<const GroupSpec> spec;  // set while filling a grouped scan
  std::shared_ptr<BlockArena> arena;      // likewise
  std::vector<ObjectInfo> objects;
  std::size_t next_object = 0;
  std::deque<std::future<Job>> pending;
  std::unique_ptr<Batch> current;
  std::vector<std::unique_ptr<Batch>> spare_batches;
  std::vector<std::unique_ptr<Scratch>> spare_scratch;
  std::size_t row = 0;
  sqlite3_int64 rowid = 0;
  bool eof = true;
  Need need;
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);

  Table* table() const { return static_cast<Table*>(pVtab); }
  void Drain() {
    stop->store(true);
    for (auto& f : pending) Recycle(f.get());
    pending.clear();
    stop = std::make_shared<std::atomic<bool>>(false);
  }
  // Keeps a finished job's buffers for the next object.
  void Recycle(Job job) {
    if (job.batch) spare_batches.push_back(std::move(job.batch));
    if (job.scratch) spare_scratch.push_back(std::move(job.scratch));
  }
};

int SetError(sqlite3_vtab* vtab, const std::string& message) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", message.c_str());
  return SQLITE_ERROR;
}

int xConnect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
             char** error) {
  // argv: module, database, table, then our argument (the area).
  const std::string_view area = argc > 3 ? std::string_view(argv[3]) : std::string_view("raw");
  const Layout* layout = area == "raw"        ? &RawLayout()
                         : area == "rejected" ? &RejectedLayout()
                                              : nullptr;
  if (!layout) {
    *error = sqlite3_mprintf("stockpipe_archive: unknown area '%s' (raw or rejected)", argv[3]);
    return SQLITE_ERROR;
  }
  std::string decl = "CREATE TABLE x(";
  for (std::size_t i = 0; i < layout->columns.size(); ++i) {
    if (i) decl += ", ";
    decl += fmt::format("\"{}\" {}", layout->columns[i].name, layout->columns[i].decl);
  }
  decl += ")";
  if (int rc = sqlite3_declare_vtab(db, decl.c_str()); rc != SQLITE_OK) return rc;
  auto* table = new Table{};
  table->context = static_cast<ModuleContext*>(aux);
  table->layout = layout;
  *out = table;
  return SQLITE_OK;
}

int xDisconnect(sqlite3_vtab* vtab) {
  delete static_cast<Table*>(vtab);
  return SQLITE_OK;
}

// idxNum: bits 0-11 columns used, bits 12-23 GROUP BY key columns, bit 24 grouped scan.
constexpr int kKeyShift = 12;
constexpr int kGroupedFlag = 1 << 24;

// idxStr: one letter per filter argument: = e, > g, >= G, < l, <= L, IN (all at once) i.
int xBestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  const Layout& layout = *static_cast<Table*>(vtab)->layout;
  int dt_column = -1;
  for (std::size_t i = 0; i < layout.columns.size(); ++i) {
    if (layout.columns[i].kind == Kind::kDt) dt_column = static_cast<int>(i);
  }
  std::string ops;
  bool equality = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn != dt_column) continue;
    const char* collation = sqlite3_vtab_collation(info, i);
    if (collation && sqlite3_stricmp(collation, "BINARY") != 0) continue;
    char op = 0;
    switch (c.op) {
      case SQLITE_INDEX_CONSTRAINT_EQ:
        op = sqlite3_vtab_in(info, i, -1) && sqlite3_vtab_in(info, i, 1) ? 'i' : 'e';
        equality = true;
        break;
      case SQLITE_INDEX_CONSTRAINT_GT:
        op = 'g';
        break;
      case SQLITE_INDEX_CONSTRAINT_GE:
        op = 'G';
        break;
      case SQLITE_INDEX_CONSTRAINT_LT:
        op = 'l';
        break;
      case SQLITE_INDEX_CONSTRAINT_LE:
        op = 'L';
        break;
      default:
        continue;
    }
    ops += op;
    // SQLite still checks every row (omit = 0): pruning only has to keep a superset.
    info->aConstraintUsage[i].argvIndex = static_cast<int>(ops.size());
    info->aConstraintUsage[i].omit = 0;
  }
  // Columns used -> which values to parse.
  int mask = 0;
  for (std::size_t i = 0; i < layout.columns.size() && i < kKeyShift; ++i) {
    if (info->colUsed & (sqlite3_uint64{1} << i)) mask |= 1 << i;
  }
  // GROUP BY / DISTINCT only needs equal keys adjacent (sqlite3_vtab_distinct 1 or 2): the table
  // buckets rows by key itself and SQLite skips its sorter.
  const int distinct = sqlite3_vtab_distinct(info);
  if (info->nOrderBy > 0 && (distinct == 1 || distinct == 2)) {
    int key_mask = 0;
    for (int i = 0; i < info->nOrderBy; ++i) {
      const int col = info->aOrderBy[i].iColumn;
      if (col < 0 || static_cast<std::size_t>(col) >= layout.columns.size() ||
          (layout.columns[static_cast<std::size_t>(col)].kind != Kind::kJson &&
           layout.columns[static_cast<std::size_t>(col)].kind != Kind::kDt)) {
        key_mask = 0;
        break;
      }
      key_mask |= 1 << col;
    }
    if (key_mask != 0) {
      // Groups come out sorted by the terms too: the result is right even when SQLite relies on
      // the order (3.40 reports GROUP BY this way also when an equal ORDER BY follows).
      info->orderByConsumed = 1;
      mask |= key_mask | (key_mask << kKeyShift) | kGroupedFlag;
      ops += '/';
      for (int i = 0; i < info->nOrderBy; ++i) {
        ops += static_cast<char>('0' + info->aOrderBy[i].iColumn);
        ops += info->aOrderBy[i].desc ? 'd' : 'a';
      }
    }
  }
  info->idxNum = mask;
  if (!ops.empty()) {
    info->idxStr = sqlite3_mprintf("%s", ops.c_str());
    info->needToFreeIdxStr = 1;
  }
  info->estimatedCost = equality ? 1e6 : ops.empty() ? 1e9 : 1e8;
  info->estimatedRows = equality ? 100'000 : ops.empty() ? 10'000'000 : 1'000'000;
  return SQLITE_OK;
}

int xOpen(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = new Cursor{};
  return SQLITE_OK;
}

int xClose(sqlite3_vtab_cursor* cursor) {
  auto* c = static_cast<Cursor*>(cursor);
  c->Drain();
  delete c;
  return SQLITE_OK;
}

// Starts decoding objects until kInFlight are pending.
void TopUp(Cursor& c) {
  Table& t = *c.table();
  while (static_cast<int>(c.pending.size()) < kInFlight && c.next_object < c.objects.size()) {
    const ObjectInfo& info = c.objects[c.next_object++];
    Job job;
    if (c.spare_batches.empty()) {
      job.batch = std::make_unique<Batch>();
    } else {
      job.batch = std::move(c.spare_batches.back());
      c.spare_batches.pop_back();
    }
    job.batch->Reset(info.key);
    auto bytes = t.context->archive->Get(info.key);
    t.context->log->objects.push_back(info.key);
    if (!bytes) {
      job.batch->error = bytes.status();
      std::promise<Job> done;
      done.set_value(std::move(job));
      c.pending.push_back(done.get_future());
      continue;
    }
    if (c.spare_scratch.empty()) {
      job.scratch = std::make_unique<Scratch>();
    } else {
      job.scratch = std::move(c.spare_scratch.back());
      c.spare_scratch.pop_back();
    }
    t.context->log->bytes += bytes->size();
    // Nothing may escape a helper: an exception would come out of future::get() inside SQLite's
    // C frames (an abort). Every failure becomes the batch's error, which names the object.
    auto work = [gz = std::move(*bytes), layout = t.layout, need = c.need, stop = c.stop,
                 spec = c.spec, arena = c.arena, job = std::move(job)]() mutable {
      try {
        if (spec) {
          job.partial = std::make_unique<Partial>();
          DecodeGrouped(gz, *layout, need, *spec, *stop, *job.scratch, *job.batch, *job.partial,
                        *arena);
        } else {
          Decode(gz, *layout, need, *stop, *job.scratch, *job.batch);
        }
      } catch (const std::bad_alloc&) {
        job.batch->error = Status::Error(
            fmt::format("{}: out of memory while reading the object ({} bytes compressed)",
                        job.batch->key, gz.size()));
      } catch (const std::exception& e) {
        job.batch->error = Status::Error(fmt::format("{}: {}", job.batch->key, e.what()));
      }
      return std::move(job);
    };
    try {
      c.pending.push_back(std::async(std::launch::async, std::move(work)));
    } catch (const std::exception& e) {  // no thread to be had (std::system_error)
      Job failed;
      failed.batch = std::make_unique<Batch>();
      failed.batch->Reset(info.key);
      failed.batch->error =
          Status::Error(fmt::format("{}: cannot start a helper thread: {}", info.key, e.what()));
      std::promise<Job> done;
      done.set_value(std::move(failed));
      c.pending.push_back(done.get_future());
    }
  }
}

// Moves to the next row, loading objects as needed.
int Advance(Cursor& c) {
  ++c.row;
  while (!c.current || c.row >= c.current->rows) {
    if (c.current) c.spare_batches.push_back(std::move(c.current));
    TopUp(c);
    if (c.pending.empty()) {
      c.eof = true;
      return SQLITE_OK;
    }
    Job job = c.pending.front().get();
    c.pending.pop_front();
    c.current = std::move(job.batch);
    if (c.current->simdjson) ++c.table()->context->log->simdjson_objects;
    c.Recycle(std::move(job));
    TopUp(c);
    if (!c.current->error.ok()) {
      const std::string message = c.current->error.message();
      c.current.reset();
      c.eof = true;
      return SetError(c.pVtab, message);
    }
    c.row = 0;
  }
  ++c.rowid;
  ++c.table()->context->log->records;
  return SQLITE_OK;
}

// Adds one object's groups to `g`: a few look-ups per object, the rows stay where they are.
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

// Reads every object of the scan; the helper threads bucket each object's rows by the GROUP BY
// key and the groups are merged here, then put in ORDER BY order.
int FillGrouped(Cursor& c, std::string_view order_terms) {
  auto g = std::make_unique<Grouped>();
  g->spec = c.spec;
  g->arena = c.arena;
  const GroupSpec& spec = *g->spec;
  while (true) {
    if (std::chrono::steady_clock::now() > c.table()->context->log->deadline) {
      c.eof = true;
      return SQLITE_INTERRUPT;  // the query's time limit, as the progress handler would
    }
    TopUp(c);
    if (c.pending.empty()) break;
    Job job = c.pending.front().get();
    c.pending.pop_front();
    TopUp(c);
    if (!job.batch->error.ok()) {
      c.eof = true;
      const std::string message = job.batch->error.message();
      c.Recycle(std::move(job));
      return SetError(c.pVtab, message);
    }
    c.table()->context->log->records += job.partial->rows;
    if (job.batch->simdjson) ++c.table()->context->log->simdjson_objects;
    Merge(*g, std::move(job.partial));
    c.Recycle(std::move(job));
  }
  // Groups in ORDER BY order, compared as SQLite does: NULL < numbers < text (bytes).
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
      const int c = g->texts[a.bits].compare(g->texts[b.bits]);
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    const double x = number(a), y = number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  g->order.resize(g->groups.size());
  for (std::size_t i = 0; i < g->order.size(); ++i) g->order[i] = static_cast<std::uint32_t>(i);
  std::sort(g->order.begin(), g->order.end(), [&](std::uint32_t x, std::uint32_t y) {
    for (const auto& [k, desc] : terms) {
      const int c = compare(g->groups[x].key[k], g->groups[y].key[k]);
      if (c != 0) return desc ? c > 0 : c < 0;
    }
    return false;
  });
  g->position = 0;
  g->chunk = 0;
  g->row = 0;
  while (g->position < g->order.size() && g->groups[g->order[g->position]].rows == 0) {
    ++g->position;
  }
  c.eof = g->position >= g->order.size();
  g->width = spec.row_columns.size();
  g->source.assign(c.table()->layout->columns.size(), -1);
  for (std::size_t k = 0; k < spec.key_columns.size(); ++k) {
    g->source[static_cast<std::size_t>(spec.key_columns[k])] = static_cast<int>(k);
  }
  for (std::size_t k = 0; k < spec.row_columns.size(); ++k) {
    g->source[static_cast<std::size_t>(spec.row_columns[k])] =
        Grouped::kRowColumn + static_cast<int>(k);
  }
  if (!c.eof) {
    g->group = g->order[g->position];
    g->Enter();
  }
  c.rowid = 1;
  c.grouped = std::move(g);
  return SQLITE_OK;
}

// The partition filter from xFilter's arguments.
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
};

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

int Filter(sqlite3_vtab_cursor* cursor, int idx_num, const char* idx_str, int argc,
           sqlite3_value** argv) {
  auto* c = static_cast<Cursor*>(cursor);
  Table& t = *c->table();
  const Layout& layout = *t.layout;
  c->Drain();
  c->current.reset();
  c->objects.clear();
  c->next_object = 0;
  c->rowid = 0;
  c->need = Need{};
  for (std::size_t i = 0; i < layout.columns.size(); ++i) {
    if (!(idx_num & (1 << i))) continue;
    if (layout.columns[i].kind == Kind::kJson) c->need.json_mask |= 1u << i;
    if (layout.columns[i].kind == Kind::kExtra) c->need.extra = true;
  }

  PartitionFilter filter;
  const std::string_view all_ops = idx_str ? idx_str : "";
  const std::string_view ops = all_ops.substr(0, all_ops.find('/'));
  const std::string_view order_terms =
      all_ops.find('/') == std::string_view::npos ? "" : all_ops.substr(all_ops.find('/') + 1);
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
      if (prunable) filter.Equal(std::move(values));
      continue;
    }
    auto text = TextOf(argv[i], is_null);
    if (is_null) {
      filter.nothing = true;  // dt = NULL, dt < NULL, ... are never true
      continue;
    }
    if (!text) continue;
    switch (ops[static_cast<std::size_t>(i)]) {
      case 'e':
        filter.Equal({*text});
        break;
      case 'g':
      case 'G':
        if (filter.lower.empty() || *text >= filter.lower) {
          filter.lower_inclusive = ops[static_cast<std::size_t>(i)] == 'G' &&
                                   (filter.lower != *text || filter.lower_inclusive);
          filter.lower = *text;
        }
        break;
      case 'l':
      case 'L':
        if (filter.upper.empty() || *text <= filter.upper) {
          filter.upper_inclusive = ops[static_cast<std::size_t>(i)] == 'L' &&
                                   (filter.upper != *text || filter.upper_inclusive);
          filter.upper = *text;
        }
        break;
    }
  }

  // List only the named partitions when there are any, the whole area otherwise.
  const std::string area = std::string(layout.area) + "/";
  std::vector<std::string> prefixes;
  if (filter.equal) {
    for (const std::string& dt : *filter.equal) {
      if (dt.find('/') == std::string::npos && dt.find("..") == std::string::npos) {
        prefixes.push_back(area + "dt=" + dt + "/");
      }
    }
  } else if (!filter.nothing) {
    prefixes.push_back(area);
  }
  for (const std::string& prefix : prefixes) {
    auto listed = t.context->archive->List(prefix);
    if (!listed) return SetError(c->pVtab, listed.error());
    for (ObjectInfo& o : *listed) {
      if (!o.key.ends_with(".jsonl.gz")) continue;
      if (!filter.Accepts(PartitionOf(o.key))) continue;
      c->objects.push_back(std::move(o));
    }
  }
  c->eof = false;
  c->row = 0;
  c->current.reset();
  c->grouped.reset();
  c->spec.reset();
  c->arena.reset();
  if (idx_num & kGroupedFlag) {
    auto spec = std::make_shared<GroupSpec>();
    for (std::size_t i = 0; i < layout.columns.size(); ++i) {
      const int col = static_cast<int>(i);
      if (idx_num & (1 << (col + kKeyShift)))
        spec->key_columns.push_back(col);
      else if (idx_num & (1 << col))
        spec->row_columns.push_back(col);
    }
    c->spec = std::move(spec);
    c->arena = std::make_shared<BlockArena>();
    ++t.context->log->grouped_scans;
    return FillGrouped(*c, order_terms);
  }
  // Advance() increments row first, so start "before" the first row of no batch.
  return Advance(*c);
}

int Next(sqlite3_vtab_cursor* cursor) {
  auto* c = static_cast<Cursor*>(cursor);
  if (!c->grouped) return Advance(*c);
  Grouped& g = *c->grouped;
  ++c->rowid;
  if (++g.row < g.chunk_rows) return SQLITE_OK;
  g.row = 0;
  if (++g.chunk < g.groups[g.group].chunks.size()) {  // chunks are never empty
    g.Enter();
    return SQLITE_OK;
  }
  g.chunk = 0;
  do {
    ++g.position;
  } while (g.position < g.order.size() && g.groups[g.order[g.position]].rows == 0);
  c->eof = g.position >= g.order.size();
  if (!c->eof) {
    g.group = g.order[g.position];
    g.Enter();
  }
  return SQLITE_OK;
}

void ResultPacked(sqlite3_context* ctx, Slot::Type type, std::uint64_t bits,
                  std::string_view text) {
  switch (type) {
    case Slot::Type::kNull:
      sqlite3_result_null(ctx);
      break;
    case Slot::Type::kReal: {
      double d;
      std::memcpy(&d, &bits, 8);
      sqlite3_result_double(ctx, d);
      break;
    }
    case Slot::Type::kInteger: {
      std::int64_t i;
      std::memcpy(&i, &bits, 8);
      sqlite3_result_int64(ctx, i);
      break;
    }
    case Slot::Type::kText:
      sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      break;
  }
}

int GroupedColumn(const Grouped& g, sqlite3_context* ctx, int column) {
  const int source = g.source[static_cast<std::size_t>(column)];
  if (source >= Grouped::kRowColumn && g.codes) {
    sqlite3_result_double(ctx, FromDecimalCode(g.codes[g.row]));
  } else if (source >= Grouped::kRowColumn) {
    const std::size_t at = g.row * g.width + static_cast<std::size_t>(source - Grouped::kRowColumn);
    const std::uint64_t bits = g.bits[at];
    std::string_view text;
    if (g.types[at] == Slot::Type::kText) {
      text = std::string_view(g.row_texts + (bits >> 32), bits & 0xffffffffu);
    }
    ResultPacked(ctx, g.types[at], bits, text);
  } else if (source >= 0) {
    const Packed& p = g.key[source];
    ResultPacked(ctx, p.type, p.bits,
                 p.type == Slot::Type::kText ? std::string_view(g.texts[p.bits]) : "");
  } else {
    sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

// SQLite calls these from C: what the query thread throws (std::bad_alloc while merging the
// groups of a huge scan) ends the statement with an error instead of unwinding through SQLite.
template <class F>
int Guarded(sqlite3_vtab_cursor* cursor, F&& body) {
  auto* c = static_cast<Cursor*>(cursor);
  try {
    return body();
  } catch (const std::bad_alloc&) {
    c->eof = true;
    SetError(c->pVtab, "out of memory while reading the archive");
    return SQLITE_NOMEM;
  } catch (const std::exception& e) {
    c->eof = true;
    return SetError(c->pVtab, fmt::format("reading the archive failed: {}", e.what()));
  }
}

int xFilter(sqlite3_vtab_cursor* cursor, int idx_num, const char* idx_str, int argc,
            sqlite3_value** argv) {
  return Guarded(cursor, [&] { return Filter(cursor, idx_num, idx_str, argc, argv); });
}

int xNext(sqlite3_vtab_cursor* cursor) {
  return Guarded(cursor, [&] { return Next(cursor); });
}

int xEof(sqlite3_vtab_cursor* cursor) {
  return static_cast<Cursor*>(cursor)->eof ? 1 : 0;
}

int xColumn(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int column) {
  auto* c = static_cast<Cursor*>(cursor);
  if (c->grouped) return GroupedColumn(*c->grouped, ctx, column);
  const Batch& b = *c->current;
  const Column& col = c->table()->layout->columns[static_cast<std::size_t>(column)];
  switch (col.kind) {
    case Kind::kDt:
      if (b.dt.empty())
        sqlite3_result_null(ctx);
      else
        sqlite3_result_text(ctx, b.dt.data(), static_cast<int>(b.dt.size()), SQLITE_TRANSIENT);
      return SQLITE_OK;
    case Kind::kObject:
      sqlite3_result_text(ctx, b.key.data(), static_cast<int>(b.key.size()), SQLITE_TRANSIENT);
      return SQLITE_OK;
    case Kind::kJson:
    case Kind::kExtra:
      break;
  }
  if (b.slots.empty()) {
    sqlite3_result_null(ctx);
    return SQLITE_OK;
  }
  const std::size_t index =
      col.kind == Kind::kExtra ? b.stride - 1 : static_cast<std::size_t>(column);
  const Slot& s = b.slots[c->row * b.stride + index];
  switch (s.type) {
    case Slot::Type::kNull:
      sqlite3_result_null(ctx);
      break;
    case Slot::Type::kReal:
      sqlite3_result_double(ctx, s.real);
      break;
    case Slot::Type::kInteger:
      // A REAL column stays REAL when the JSON number has no fraction (`"price":100`).
      if (std::string_view(col.decl).starts_with("REAL")) {
        sqlite3_result_double(ctx, static_cast<double>(s.integer));
      } else {
        sqlite3_result_int64(ctx, s.integer);
      }
      break;
    case Slot::Type::kText:
      sqlite3_result_text(ctx, b.arena.data() + s.offset, static_cast<int>(s.length),
                          SQLITE_TRANSIENT);
      break;
  }
  return SQLITE_OK;
}

int xRowid(sqlite3_vtab_cursor* cursor, sqlite3_int64* rowid) {
  *rowid = static_cast<Cursor*>(cursor)->rowid;
  return SQLITE_OK;
}

sqlite3_module MakeModule() {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = xConnect;
  m.xConnect = xConnect;
  m.xBestIndex = xBestIndex;
  m.xDisconnect = xDisconnect;
  m.xDestroy = xDisconnect;
  m.xOpen = xOpen;
  m.xClose = xClose;
  m.xFilter = xFilter;
  m.xNext = xNext;
  m.xEof = xEof;
  m.xColumn = xColumn;
  m.xRowid = xRowid;
  return m;
}

const sqlite3_module kModule = MakeModule();

}  // namespace

Status RegisterArchiveModule(sqlite3* db, RawArchive& archive, ScanLog& log) {
  auto* context = new ModuleContext{&archive, &log};
  const int rc = sqlite3_create_module_v2(db, "stockpipe_archive", &kModule, context,
                                          [](void* p) { delete static_cast<ModuleContext*>(p); });
  if (rc != SQLITE_OK) {
    return Status::Error(fmt::format("cannot register the archive tables: {}", sqlite3_errstr(rc)));
  }
  return Status::Ok();
}

Result<std::uint64_t> CountGzipLines(std::string_view gz) {
  // Streamed through one 64 KiB buffer: the catalog needs the count, not the text. A line counts
  // as in CountLines: it holds a byte other than blank, tab or CR.
  std::uint64_t lines = 0;
  bool content = false;  // the current (unfinished) line has counted content
  Status s = GzipInflateChunks(gz, InflateLimit(gz.size()), [&](std::string_view chunk) {
    const char* p = chunk.data();
    const char* const end = p + chunk.size();
    while (p < end) {
      const char* nl =
          static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* stop = nl ? nl : end;
      for (; !content && p < stop; ++p) content = *p != ' ' && *p != '\r' && *p != '\t';
      if (!nl) break;
      lines += content;
      content = false;
      p = nl + 1;
    }
  });
  if (!s.ok()) return s;
  return lines + content;
}

Result<std::uint64_t> DecodeObject(std::string_view key, std::string_view gz, std::string_view area,
                                   bool extra) {
  const Layout& layout = area == "rejected" ? RejectedLayout() : RawLayout();
  Need need;
  need.json_mask = (1u << layout.json_columns) - 1;
  need.extra = extra;
  Scratch scratch;
  Batch batch;
  batch.Reset(std::string(key));
  const std::atomic<bool> stop{false};
  Decode(std::string(gz), layout, need, stop, scratch, batch);
  if (!batch.error.ok()) return batch.error;
  return static_cast<std::uint64_t>(batch.rows);
}

std::string_view PartitionOf(std::string_view key) {
  const auto at = key.find("/dt=");
  if (at == std::string_view::npos) return {};
  key.remove_prefix(at + 4);
  const auto slash = key.find('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
}

}  // namespace stockpipe::query
