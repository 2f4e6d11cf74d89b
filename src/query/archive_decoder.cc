#include "query/archive_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "codec/gzip.h"
#include "codec/json_write.h"
#include "core/record.h"
#include "query/archive_plain_reader.h"

namespace stockpipe::query::archive {
namespace {

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

}  // namespace

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

std::optional<std::size_t> Inflate(const std::string& gz, Scratch& s, Batch& b) {
  auto inflated = InflateGzip(gz, s.text, simdjson::SIMDJSON_PADDING);
  if (!inflated) {
    b.error = Status::Error(fmt::format("{}: {}", b.key, inflated.error()));
    return std::nullopt;
  }
  return *inflated;
}

// The DOM API dispatches to the widest SIMD kernel at run time (On-Demand would be compiled for
// the baseline CPU here).
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

}  // namespace stockpipe::query::archive

namespace stockpipe::query {

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
  const archive::Layout& layout =
      area == "rejected" ? archive::RejectedLayout() : archive::RawLayout();
  archive::Need need;
  need.json_mask = (1u << layout.json_columns) - 1;
  need.extra = extra;
  archive::Scratch scratch;
  archive::Batch batch;
  batch.Reset(std::string(key));
  const std::atomic<bool> stop{false};
  archive::Decode(std::string(gz), layout, need, stop, scratch, batch);
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
