// The adapters a configuration chooses for each stage (`Backends` in core/config.h): the
// embedded ones live in the data folder, the AWS ones are named by `AwsConfig` and reached with
// the standard AWS variables (region, credentials, `AWS_ENDPOINT_URL[_<SERVICE>]`).
//
// Commands open their stages through these functions only, so a command never knows which
// backend it runs on.
#pragma once

#include <memory>

#include "core/clean_store.h"
#include "core/config.h"
#include "core/notifier.h"
#include "core/raw_archive.h"
#include "core/state_store.h"
#include "core/stream.h"

namespace stockpipe {

Result<std::unique_ptr<StateStore>> OpenState(const Config& config);
Result<std::unique_ptr<CleanStore>> OpenStore(const Config& config);
Result<std::unique_ptr<RawArchive>> OpenArchive(const Config& config);
// Kinesis keeps its consumer checkpoints in `checkpoints` (which must outlive the stream); the
// local stream keeps its own and ignores it.
Result<std::unique_ptr<Stream>> OpenStreamBackend(const Config& config, StateStore& checkpoints);
// The SNS channel when `SNS_TOPIC_ARN` is set, else null.
Result<std::unique_ptr<Notifier>> OpenSns(const Config& config);

}  // namespace stockpipe
