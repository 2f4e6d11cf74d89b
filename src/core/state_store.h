// StateStore: small named values that must outlive a process (alert cooldowns, watchdog state,
// the last trends run). Not for bulk data.
//
// Implementations: SQLite and DynamoDB.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace stockpipe {

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
};

}  // namespace stockpipe
