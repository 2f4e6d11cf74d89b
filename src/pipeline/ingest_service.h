// The ingest service: stream -> RAW archive + CLEAN store + quarantine, batch after batch, with
// the stream's retention applied now and then and, when `[trends] streaming` is on, the rules
// evaluated per tick on what each batch made durable (alerts through the outbox).
//
// One per data folder at a time: Open takes the folder's ingest lock and holds it while the
// service lives. `stockpipe ingest` and `stockpipe run` both run this; it opens every backend
// through pipeline/backends.h, so it never knows which adapters it drives.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/ingest_counts.h"
#include "core/result.h"

namespace stockpipe {

// "received=.. accepted=.. rejected=.." and each reject reason with its count.
std::string DescribeCounts(const IngestCounts& counts);

class IngestService {
 public:
  // Takes the ingest lock, then opens the stream, the archive, the CLEAN store (and for streaming
  // the channels); an error names the part that could not be opened.
  static Result<std::unique_ptr<IngestService>> Open(const Config& config);
  ~IngestService();

  // Polls until `stopping()` turns true, then drains what waits in a batch window; with `once`,
  // drains what the stream holds now and returns. A sink failing is retried on the next pass
  // (nothing was committed), except with `once`, where it is returned. Errors are logged as they
  // happen. Returns the counts of everything ingested.
  Result<IngestCounts> Run(bool once, const std::function<bool()>& stopping);

 private:
  struct Parts;
  explicit IngestService(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace stockpipe
