// What a test keeps of a stream entry once its batch is gone: a StreamEntry views text its batch
// keeps (core/stream.h), this owns a copy.
#pragma once

#include <string>

#include "core/stream.h"

namespace stockpipe::testing {

struct OwnedEntry {
  std::string sequence;
  Micros arrival = 0;
  std::string data;
};

inline OwnedEntry Own(const StreamEntry& entry) {
  return {std::string(entry.sequence), entry.arrival, std::string(entry.data)};
}

}  // namespace stockpipe::testing
