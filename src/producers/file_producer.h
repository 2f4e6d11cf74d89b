// The file producer: JSON Lines sent as they are, bad lines included, so ingest (not the
// producer) decides what is valid and every line is accounted for.
#pragma once

#include <functional>
#include <istream>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/stream.h"

namespace stockpipe {

// The symbol of a record when it has a readable one, else "": the partition key.
std::string PartitionKeyOf(std::string_view line);

// Reads `in` line by line (a final newline does not make an empty record) and hands records to
// `send` in batches of at most `batch_size`. Stops at the first failed send.
Result<std::uint64_t> SendLines(std::istream& in, std::size_t batch_size,
                                const std::function<Status(std::span<const StreamRecord>)>& send);

}  // namespace stockpipe
