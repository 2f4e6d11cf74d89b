#include "query/archive_table.h"

#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <string>

#include "query/archive_decoder.h"
#include "query/archive_grouped_scan.h"
#include "query/archive_grouping.h"
#include "query/archive_layout.h"
#include "query/archive_partition_filter.h"

// The virtual table itself: SQLite's callbacks, the cursor that keeps kInFlight objects decoding on
// helper threads ahead of the one SQLite reads, and the plan (xBestIndex) that turns constraints
// on `dt` into partition pruning and GROUP BY / DISTINCT into a grouped scan. The parts it drives
// have their own files: archive_layout.h (columns), archive_decoder.h (one object into rows),
// archive_plain_reader.h, archive_grouping.h (one object into groups), archive_grouped_scan.h
// (all groups, in order) and archive_partition_filter.h (pruning).
namespace stockpipe::query::archive {
namespace {

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
  // buckets rows by key itself and SQLite skips its sorter. Not when `line` is used: a grouped
  // row has left its object's order behind.
  bool uses_line = false;
  for (std::size_t i = 0; i < layout.columns.size(); ++i) {
    if (layout.columns[i].kind == Kind::kLine && (info->colUsed & (sqlite3_uint64{1} << i))) {
      uses_line = true;
    }
  }
  const int distinct = sqlite3_vtab_distinct(info);
  if (info->nOrderBy > 0 && (distinct == 1 || distinct == 2) && !uses_line) {
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

// Reads every object of the scan; the helper threads bucket each object's rows by the GROUP BY
// key and the groups are merged here, then put in ORDER BY order.
int FillGrouped(Cursor& c, std::string_view order_terms) {
  auto g = std::make_unique<Grouped>();
  g->spec = c.spec;
  g->arena = c.arena;
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
  c.eof = !Order(*g, order_terms, c.table()->layout->columns.size());
  c.rowid = 1;
  c.grouped = std::move(g);
  return SQLITE_OK;
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
  if (int rc = filter.Read(ops, argc, argv); rc != SQLITE_OK) return rc;
  for (const std::string& prefix : filter.Prefixes(layout.area)) {
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
    case Kind::kLine:
      sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(c->row) + 1);
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
}  // namespace stockpipe::query::archive

namespace stockpipe::query {

Status RegisterArchiveModule(sqlite3* db, RawArchive& archive, ScanLog& log) {
  auto* context = new archive::ModuleContext{&archive, &log};
  const int rc =
      sqlite3_create_module_v2(db, "stockpipe_archive", &archive::kModule, context,
                               [](void* p) { delete static_cast<archive::ModuleContext*>(p); });
  if (rc != SQLITE_OK) {
    return Status::Error(fmt::format("cannot register the archive tables: {}", sqlite3_errstr(rc)));
  }
  return Status::Ok();
}

}  // namespace stockpipe::query
