#include "producers/file_producer.h"

#include <simdjson.h>

#include <vector>

namespace stockpipe {

std::string PartitionKeyOf(std::string_view line) {
  thread_local simdjson::dom::parser parser;
  if (line.size() > 1 << 20) return {};
  simdjson::dom::element root;
  if (parser.parse(line.data(), line.size()).get(root)) return {};
  std::string_view symbol;
  if (root["symbol"].get_string().get(symbol)) return {};
  std::string key(symbol);
  for (char& c : key) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return key;
}

Result<std::uint64_t> SendLines(std::istream& in, std::size_t batch_size,
                                const std::function<Status(std::span<const StreamRecord>)>& send) {
  std::vector<StreamRecord> batch;
  std::uint64_t sent = 0;
  std::string line;
  const auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    Status s = send(batch);
    if (s.ok()) sent += batch.size();
    batch.clear();
    return s;
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    batch.push_back({PartitionKeyOf(line), line});
    if (batch.size() >= batch_size) {
      if (Status s = flush(); !s.ok()) return s;
    }
  }
  if (Status s = flush(); !s.ok()) return s;
  return sent;
}

}  // namespace stockpipe
