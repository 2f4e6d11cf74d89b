#include "query/archive_table.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <set>

#include "core/record.h"

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
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  double real = 0;
  std::int64_t integer = 0;
};

// The rows of one object, for the columns the query uses.
struct Batch {
  std::string key, dt;
  std::string text;         // inflated object, padded for simdjson
  std::string arena;        // unescaped strings and extra objects
  std::vector<Slot> slots;  // rows x stride
  std::size_t stride = 0;   // json columns + extra
  std::size_t rows = 0;
  Status error;
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

void Fail(Batch& b, std::size_t offset, std::string_view what) {
  const auto line = 1 + std::count(b.text.data(), b.text.data() + offset, '\n');
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

// Inflates and parses `gz` into `b` (runs on a helper thread). The DOM API dispatches to the
// widest SIMD kernel at run time (On-Demand would be compiled for the baseline CPU here).
void Decode(const std::string& gz, const Layout& layout, Need need, const std::atomic<bool>& stop,
            Batch& b) {
  auto inflated = InflateGzip(gz, b.text, simdjson::SIMDJSON_PADDING);
  if (!inflated) {
    b.error = Status::Error(fmt::format("{}: {}", b.key, inflated.error()));
    return;
  }
  const std::size_t length = *inflated;
  b.stride = static_cast<std::size_t>(layout.json_columns) + 1;
  if (!need.any()) {
    b.rows = CountLines(b.text.data(), length);
    return;
  }
  b.slots.reserve(length / 48 * b.stride);
  b.arena.reserve(length / 2);
  thread_local simdjson::dom::parser parser;
  simdjson::dom::document_stream stream;
  if (auto e = parser.parse_many(b.text.data(), length, 1 << 20).get(stream)) {
    return Fail(b, 0, simdjson::error_message(e));
  }
  std::string extra;
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    if ((b.rows & 1023) == 0 && stop.load(std::memory_order_relaxed)) return;
    simdjson::dom::element doc;
    if (auto e = (*it).get(doc)) return Fail(b, it.current_index(), simdjson::error_message(e));
    simdjson::dom::object object;
    if (doc.get(object)) return Fail(b, it.current_index(), "a record is not a JSON object");
    const std::size_t base = b.slots.size();
    b.slots.resize(base + b.stride);
    ++b.rows;
    extra.clear();
    for (const simdjson::dom::key_value_pair field : object) {
      int index = -1;
      for (int c = 0; c < layout.json_columns; ++c) {
        if (field.key == layout.columns[static_cast<std::size_t>(c)].name) {
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
    return Fail(b, length - stream.truncated_bytes(), "the last record is truncated");
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

struct Cursor : sqlite3_vtab_cursor {
  std::vector<ObjectInfo> objects;
  std::size_t next_object = 0;
  std::deque<std::future<std::unique_ptr<Batch>>> pending;
  std::unique_ptr<Batch> current;
  std::size_t row = 0;
  sqlite3_int64 rowid = 0;
  bool eof = true;
  Need need;
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);

  Table* table() const { return static_cast<Table*>(pVtab); }
  void Drain() {
    stop->store(true);
    for (auto& f : pending) f.wait();
    pending.clear();
    stop = std::make_shared<std::atomic<bool>>(false);
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
  for (std::size_t i = 0; i < layout.columns.size() && i < 62; ++i) {
    if (info->colUsed & (sqlite3_uint64{1} << i)) mask |= 1 << i;
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
    auto batch = std::make_unique<Batch>();
    batch->key = info.key;
    batch->dt = std::string(PartitionOf(info.key));
    auto bytes = t.context->archive->Get(info.key);
    t.context->log->objects.push_back(info.key);
    if (!bytes) {
      batch->error = bytes.status();
      std::promise<std::unique_ptr<Batch>> done;
      done.set_value(std::move(batch));
      c.pending.push_back(done.get_future());
      continue;
    }
    t.context->log->bytes += bytes->size();
    c.pending.push_back(
        std::async(std::launch::async, [gz = std::move(*bytes), layout = t.layout, need = c.need,
                                        stop = c.stop, batch = std::move(batch)]() mutable {
          Decode(gz, *layout, need, *stop, *batch);
          return std::move(batch);
        }));
  }
}

// Moves to the next row, loading objects as needed.
int Advance(Cursor& c) {
  ++c.row;
  while (!c.current || c.row >= c.current->rows) {
    c.current.reset();
    TopUp(c);
    if (c.pending.empty()) {
      c.eof = true;
      return SQLITE_OK;
    }
    c.current = c.pending.front().get();
    c.pending.pop_front();
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

int xFilter(sqlite3_vtab_cursor* cursor, int idx_num, const char* idx_str, int argc,
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
  const std::string_view ops = idx_str ? idx_str : "";
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
  // Advance() increments row first, so start "before" the first row of no batch.
  return Advance(*c);
}

int xNext(sqlite3_vtab_cursor* cursor) {
  return Advance(*static_cast<Cursor*>(cursor));
}

int xEof(sqlite3_vtab_cursor* cursor) {
  return static_cast<Cursor*>(cursor)->eof ? 1 : 0;
}

int xColumn(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int column) {
  auto* c = static_cast<Cursor*>(cursor);
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

Result<std::size_t> InflateGzip(std::string_view gz, std::string& out, std::size_t padding) {
  // The gzip trailer holds the (last member's) length mod 2^32: a good first guess.
  std::size_t guess = gz.size() * 4;
  if (gz.size() >= 18) {
    std::uint32_t isize = 0;
    std::memcpy(&isize, gz.data() + gz.size() - 4, 4);  // little-endian on every target we build
    if (isize >= gz.size()) guess = isize;
  }
  out.resize(guess + padding + 1);
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return Status::Error("gzip: cannot initialise inflate");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::size_t length = 0;
  int rc = Z_OK;
  while (true) {
    if (out.size() - length < padding + 4096) out.resize(out.size() * 2);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + length);
    z.avail_out = static_cast<uInt>(out.size() - length - padding);
    const uInt before = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    length += before - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      inflateReset(&z);  // another gzip member follows
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // truncated
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return Status::Error(fmt::format("gzip: data is corrupt or truncated ({})", rc));
  }
  std::memset(out.data() + length, 0, std::min(padding, out.size() - length));
  return length;
}

Result<std::uint64_t> CountGzipLines(std::string_view gz) {
  std::string text;
  auto length = InflateGzip(gz, text, 0);
  if (!length) return length.status();
  return static_cast<std::uint64_t>(CountLines(text.data(), *length));
}

std::string_view PartitionOf(std::string_view key) {
  const auto at = key.find("/dt=");
  if (at == std::string_view::npos) return {};
  key.remove_prefix(at + 4);
  const auto slash = key.find('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
}

}  // namespace stockpipe::query
