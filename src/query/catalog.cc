#include "query/catalog.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <filesystem>

#include "codec/json_write.h"
#include "query/archive_table.h"
#include "sqlite/database.h"
#include "store/sqlite/ticks_table.h"

namespace stockpipe {
namespace {

Result<CatalogTable> CrawlArea(RawArchive& archive, std::string_view area, CatalogTable table,
                               const std::map<std::string, CatalogObject>& previous,
                               Catalog& catalog) {
  auto listed = archive.List(std::string(area) + "/");
  if (!listed) return listed.status();
  std::map<std::string, CatalogPartition> partitions;
  for (const ObjectInfo& o : *listed) {
    if (!o.key.ends_with(".jsonl.gz")) continue;
    const std::string dt(query::PartitionOf(o.key));
    if (dt.empty()) continue;
    CatalogObject object{o.size, o.modified_us, 0};
    const auto known = previous.find(o.key);
    if (known != previous.end() && known->second.size == o.size &&
        known->second.modified_us == o.modified_us) {
      object.records = known->second.records;
    } else {
      auto bytes = archive.Get(o.key);
      if (!bytes) return bytes.status();
      auto lines = query::CountGzipLines(*bytes);
      if (!lines) {  // corrupt, truncated or a bomb: named and skipped, tried again next crawl
        catalog.unreadable.push_back({o.key, lines.error()});
        continue;
      }
      object.records = *lines;
      ++catalog.objects_read;
    }
    CatalogPartition& p = partitions[dt];
    p.dt = dt;
    ++p.objects;
    p.bytes += o.size;
    p.records += object.records;
    catalog.objects[o.key] = object;
  }
  for (auto& [dt, p] : partitions) {
    table.objects += p.objects;
    table.bytes += p.bytes;
    table.records += p.records;
    table.partitions.push_back(p);
  }
  return table;
}

void AppendKey(std::string_view key, std::string& out) {
  AppendJsonString(key, out);
  out += ':';
}

}  // namespace

Result<Catalog> Crawl(RawArchive& archive, const std::string& clean_db,
                      const std::map<std::string, CatalogObject>& previous) {
  Catalog catalog;
  catalog.crawled = NowMicros();
  CatalogTable raw{"stock_raw_db",
                   "raw",
                   "raw/",
                   "gzip JSON Lines",
                   {{"symbol", "string"}, {"timestamp", "string"}, {"price", "double"}},
                   {"dt"},
                   {},
                   0,
                   0,
                   0};
  CatalogTable rejected{"stock_raw_db",
                        "rejected",
                        "rejected/",
                        "gzip JSON Lines",
                        {{"reason", "string"},
                         {"message", "string"},
                         {"shard", "string"},
                         {"sequence", "string"},
                         {"arrival", "string"},
                         {"record", "string"},
                         {"record_bytes", "bigint"},
                         {"record_sha256", "string"}},
                        {"dt"},
                        {},
                        0,
                        0,
                        0};
  for (CatalogTable* t : {&raw, &rejected}) {
    auto crawled = CrawlArea(archive, t->name, *t, previous, catalog);
    if (!crawled) return crawled.status();
    catalog.tables.push_back(std::move(*crawled));
  }
  std::error_code ec;
  if (!clean_db.empty() && std::filesystem::exists(clean_db, ec)) {
    auto db = sqlite::Database::Open(clean_db, false, sqlite::Sync::kNormal, true);
    if (!db) return db.status();
    if (Status s = RegisterTicksTable((*db)->handle()); !s.ok()) return s;
    auto count = (*db)->Prepare("SELECT count(*) FROM ticks");
    if (!count) return count.status();
    if (Status s = (*db)->Check(count->Step(), "counting CLEAN rows"); !s.ok()) return s;
    CatalogTable clean{"clean",
                       "ticks",
                       "clean.db",
                       "SQLite",
                       {{"symbol", "string"},
                        {"timestamp", "string"},
                        {"price", "double"},
                        {"volume", "double"},
                        {"open", "double"},
                        {"high", "double"},
                        {"low", "double"}},
                       {},
                       {},
                       0,
                       std::filesystem::file_size(clean_db, ec),
                       static_cast<std::uint64_t>(count->Int(0))};
    catalog.tables.push_back(std::move(clean));
  }
  return catalog;
}

std::string CatalogToJson(const Catalog& catalog) {
  std::string out = "{\n  \"crawled\": \"" + FormatCanonical(catalog.crawled) + "\",\n";
  out += "  \"tables\": [";
  for (std::size_t t = 0; t < catalog.tables.size(); ++t) {
    const CatalogTable& table = catalog.tables[t];
    out += t ? ",\n    {" : "\n    {";
    AppendKey("database", out);
    AppendJsonString(table.database, out);
    out += ", ";
    AppendKey("name", out);
    AppendJsonString(table.name, out);
    out += ", ";
    AppendKey("location", out);
    AppendJsonString(table.location, out);
    out += ", ";
    AppendKey("format", out);
    AppendJsonString(table.format, out);
    out += ",\n     \"columns\": [";
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (i) out += ", ";
      out += "{\"name\": ";
      AppendJsonString(table.columns[i].name, out);
      out += ", \"type\": ";
      AppendJsonString(table.columns[i].type, out);
      out += '}';
    }
    out += "],\n     \"partition_keys\": [";
    for (std::size_t i = 0; i < table.partition_keys.size(); ++i) {
      if (i) out += ", ";
      AppendJsonString(table.partition_keys[i], out);
    }
    out += fmt::format("],\n     \"objects\": {}, \"bytes\": {}, \"records\": {},", table.objects,
                       table.bytes, table.records);
    out += "\n     \"partitions\": [";
    for (std::size_t i = 0; i < table.partitions.size(); ++i) {
      const CatalogPartition& p = table.partitions[i];
      out += fmt::format(
          "{}\n       {{\"dt\": \"{}\", \"objects\": {}, \"bytes\": {}, "
          "\"records\": {}}}",
          i ? "," : "", p.dt, p.objects, p.bytes, p.records);
    }
    out += table.partitions.empty() ? "]}" : "\n     ]}";
  }
  out += "\n  ],\n  \"objects\": {";
  bool first = true;
  for (const auto& [key, o] : catalog.objects) {
    out += first ? "\n    " : ",\n    ";
    first = false;
    AppendKey(key, out);
    out += fmt::format(" {{\"size\": {}, \"modified_us\": {}, \"records\": {}}}", o.size,
                       o.modified_us, o.records);
  }
  out += first ? "}" : "\n  }";
  out += ",\n  \"unreadable\": [";
  for (std::size_t i = 0; i < catalog.unreadable.size(); ++i) {
    out += i ? ",\n    {" : "\n    {";
    AppendKey("key", out);
    AppendJsonString(catalog.unreadable[i].key, out);
    out += ", ";
    AppendKey("error", out);
    AppendJsonString(catalog.unreadable[i].error, out);
    out += '}';
  }
  out += catalog.unreadable.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

Result<std::map<std::string, CatalogObject>> ObjectsFromCatalogJson(std::string_view json) {
  std::map<std::string, CatalogObject> objects;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(simdjson::padded_string(json)).get(root)) {
    return Status::Error(std::string("not valid JSON (") + simdjson::error_message(error) + ")");
  }
  simdjson::dom::object list;
  if (root["objects"].get(list)) return Status::Error("it has no \"objects\" object");
  for (auto [key, value] : list) {
    CatalogObject o;
    std::uint64_t size = 0, records = 0;
    std::int64_t modified = 0;
    if (value["size"].get(size) || value["modified_us"].get(modified) ||
        value["records"].get(records)) {
      continue;
    }
    o.size = size;
    o.modified_us = modified;
    o.records = records;
    objects[std::string(key)] = o;
  }
  return objects;
}

}  // namespace stockpipe
