#include "ingest/quarantine_line.h"

#include <fmt/format.h>

#include "codec/base64.h"
#include "codec/json_write.h"
#include "codec/sha256.h"
#include "codec/utf8.h"

namespace stockpipe {

void AppendQuarantineLine(const QuarantineEntry& entry, std::string& out) {
  const std::string_view record = Utf8Prefix(entry.record, entry.keep);
  const bool cut = record.size() < entry.record.size();
  out += R"({"reason":)";
  AppendJsonString(entry.reason, out);
  out += R"(,"message":)";
  if (cut) {
    AppendJsonString(fmt::format("{}; kept here: its first {} bytes, with record_bytes and "
                                 "record_sha256 of the whole record",
                                 entry.message, record.size()),
                     out);
  } else {
    AppendJsonString(entry.message, out);
  }
  out += R"(,"shard":)";
  AppendJsonString(entry.shard, out);
  out += R"(,"sequence":)";
  AppendJsonString(entry.sequence, out);
  out += R"(,"arrival":")";
  out += FormatCanonical(entry.arrival);
  out += R"(","record":)";
  AppendJsonString(record, out);
  if (!IsValidUtf8(record)) {
    // The text above has U+FFFD for the bad bytes; keep the exact bytes too.
    out += R"(,"record_base64":")";
    AppendBase64(record, out);
    out += '"';
  }
  if (cut) {
    out += R"(,"record_bytes":)";
    out += std::to_string(entry.record.size());
    out += R"(,"record_sha256":")";
    out += Sha256Hex(entry.record);
    out += '"';
  }
  out += "}\n";
}

}  // namespace stockpipe
