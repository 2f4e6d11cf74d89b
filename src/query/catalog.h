// The catalog: what the crawler (Glue's job in the AWS shape) finds in a data folder.
//
// Tables, their schema, partitions (`dt=` folders) with object, byte and record counts for the
// RAW archive and the quarantine, and the CLEAN store's row count. Records are counted by
// inflating every object; an object listed in `previous` with the same size and modification time
// keeps its count, so a second crawl only reads what is new. An object that does not inflate is
// skipped and listed in `unreadable` with its key and the reason; the crawl goes on.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/raw_archive.h"
#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe {

struct CatalogColumn {
  std::string name, type;
};

struct CatalogPartition {
  std::string dt;
  std::uint64_t objects = 0, bytes = 0, records = 0;
};

struct CatalogTable {
  std::string database, name, location, format;
  std::vector<CatalogColumn> columns;
  std::vector<std::string> partition_keys;
  std::vector<CatalogPartition> partitions;
  std::uint64_t objects = 0, bytes = 0, records = 0;
};

// Per object, so the next crawl can skip what did not change.
struct CatalogObject {
  std::uint64_t size = 0;
  std::int64_t modified_us = 0;
  std::uint64_t records = 0;
};

// An object the crawl could not read (corrupt, truncated, inflating beyond its limit): left out of
// every count and of `objects`, so the next crawl reads it again.
struct UnreadableObject {
  std::string key, error;
};

struct Catalog {
  Micros crawled = 0;
  std::vector<CatalogTable> tables;
  std::map<std::string, CatalogObject> objects;  // by key
  std::uint64_t objects_read = 0;                // objects inflated by this crawl
  std::vector<UnreadableObject> unreadable;      // skipped, each with why
};

// Crawls `archive` (areas raw/ and rejected/) and, when `clean_db` names an existing file, the
// CLEAN store.
Result<Catalog> Crawl(RawArchive& archive, const std::string& clean_db,
                      const std::map<std::string, CatalogObject>& previous = {});

std::string CatalogToJson(const Catalog& catalog);
// The per-object part of a catalog.json written before (entries lacking a field are left out, to
// be read again); an error saying why when the text is not such a document.
Result<std::map<std::string, CatalogObject>> ObjectsFromCatalogJson(std::string_view json);

}  // namespace stockpipe
