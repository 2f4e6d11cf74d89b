// `stockpipe init`: the stores a configuration names, created where missing, for a user who kept
// only their DynamoDB table (the reference pipeline's) or has no Terraform. What it created is
// its result (stdout); errors are logged.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "pipeline/backends.h"

namespace stockpipe {

int RunInit(const Config& config) {
  if (config.backends.store != "dynamodb") {
    fmt::print(
        "nothing to create: the sqlite stores live in the data folder ({}), made by the "
        "first command that writes to it; --store dynamodb creates the DynamoDB tables\n",
        config.data_dir);
    return 0;
  }
  auto created = CreateMissingStores(config);
  if (!created) {
    spdlog::error("init: {}", created.error());
    return 1;
  }
  if (created->empty()) {
    fmt::print("nothing to create: DynamoDB tables {}, {} and {} exist\n",
               config.aws.dynamodb_table, config.aws.candles_table, config.aws.state_table);
    return 0;
  }
  for (const std::string& table : *created) {
    fmt::print("created DynamoDB table {} ({})\n", table,
               table == config.aws.state_table ? "state: pk S hash key, sk S range key"
               : table == config.aws.candles_table
                   ? "candles: series S hash key, start S range key"
                   : "CLEAN: symbol S hash key, timestamp S range key");
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace stockpipe
