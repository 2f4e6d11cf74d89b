// The DynamoDB StateStore: items `pk=state, sk=<key>, value=<S>` in the state table
// (`stockpipe-state`, see dynamodb_options.h), shared with the clean store's symbol registry.
//
// Get is a strongly consistent GetItem, so a value Put by another process (an alert cooldown, a
// Kinesis consumer checkpoint) is seen as soon as that Put returned. Put is one PutItem: the
// whole value is replaced atomically. Keys must not be empty (DynamoDB key values cannot be).
// A missing state table is an error naming it and how to create it.
//
// Thread-safe.
#pragma once

#include "aws/client.h"
#include "core/state_store.h"
#include "store/dynamodb/dynamodb_options.h"

namespace stockpipe {

class DynamoDbStateStore final : public StateStore {
 public:
  explicit DynamoDbStateStore(DynamoDbOptions options);

  // Creates the state table unless it exists; waits until it is ACTIVE.
  Status CreateTableIfMissing();

  Result<std::optional<std::string>> Get(std::string_view key) override;
  Status Put(std::string_view key, std::string_view value) override;

  aws::Client& client() { return client_; }

 private:
  Status Explained(Status status);

  DynamoDbOptions options_;
  aws::Client client_;
};

}  // namespace stockpipe
