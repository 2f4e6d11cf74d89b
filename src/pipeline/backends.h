// The pipeline layer: the one place that turns a configuration into opened backends, for the
// CLI, `run` and the Lambda alike.
//
// The configuration chooses an adapter per stage (`Backends` in core/config.h): the embedded ones
// live in the data folder (pipeline/local_stores.h, each store checked against the folder's
// identity), the AWS ones are named by `AwsConfig` and reached with the standard AWS variables
// (region, credentials, `AWS_ENDPOINT_URL[_<SERVICE>]`).
//
// Commands and the Lambda open their stages through these functions only, so neither knows which
// backend it runs on, and two stages of one process never disagree about where their data is.
// Every failure is a `Status` naming what to fix; nothing here logs or exits.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "alerts/outbox/outbox.h"
#include "core/clean_store.h"
#include "core/config.h"
#include "core/notifier.h"
#include "core/query_engine.h"
#include "core/raw_archive.h"
#include "core/state_store.h"
#include "core/stream.h"
#include "serve/dashboard_data.h"

namespace stockpipe {

// ---- Stages -------------------------------------------------------------------------------------

Result<std::unique_ptr<StateStore>> OpenState(const Config& config);
// `change`: kApply for the writer (ingest, `candles rebuild`), see sqlite_clean_store.h.
Result<std::unique_ptr<CleanStore>> OpenStore(
    const Config& config, CandleIntervalsChange change = CandleIntervalsChange::kLeave);
// Creates the CLEAN store and the state store where missing: with the dynamodb store its tick
// table (DYNAMODB_TABLE) and state table (DYNAMODB_STATE_TABLE), keyed as infra/dynamodb.tf
// keys them, on demand (point-in-time recovery is Terraform's to switch on); the embedded
// stores are the data folder's, made by the first command that writes them. Idempotent: the
// names of what it created, none when everything was there.
Result<std::vector<std::string>> CreateMissingStores(const Config& config);
Result<std::unique_ptr<RawArchive>> OpenArchive(const Config& config);
// Kinesis keeps its consumer checkpoints in `checkpoints` (which must outlive the stream); the
// local stream keeps its own and ignores it.
Result<std::unique_ptr<Stream>> OpenStreamBackend(const Config& config, StateStore& checkpoints);

// The engine `stockpipe query --engine` names: "sqlite" (the data folder's RAW archive and CLEAN
// store) or "athena" (ATHENA_WORKGROUP, ATHENA_DATABASE). `timeout_seconds` 0 = no limit.
Result<std::unique_ptr<QueryEngine>> OpenQueryEngine(const Config& config, std::string_view engine,
                                                     double timeout_seconds);

// The dashboard's data (`serve`, `run`): the data folder, or with the DynamoDB store the AWS
// deployment's tables and (when KINESIS_STREAM names one and the stream is kinesis) its stream.
Result<std::unique_ptr<serve::DashboardData>> OpenDashboardData(const Config& config);

// ---- Alert channels -----------------------------------------------------------------------------

// The alert channels the configuration turns on (console, log, smtp, webhook, sns), all behind
// one outbox: the trends job and the watchdog send to `outbox` only, which queues each message
// durably and delivers it to every channel, retrying the ones that fail (see outbox.h).
struct Channels {
  std::vector<std::unique_ptr<Notifier>> channels;  // owned; the outbox delivers to these
  std::unique_ptr<Outbox> outbox;
  std::vector<Notifier*> all() const { return {outbox.get()}; }
};
Result<Channels> OpenChannels(const Config& config);

// Checks the SMTP and webhook settings as their channels will use them; the message names the
// key and never holds a secret. A failure is a configuration error (exit 2).
Status ValidateChannels(const Config& config);

// What must never reach a log or the outbox file, and what replaces it: the SMTP password, the
// webhook URL's path and query.
std::vector<std::pair<std::string, std::string>> ChannelSecrets(const Config& config);

// ---- One process, one data folder ---------------------------------------------------------------

// `run` puts every stage in one process over one data folder: its watchdog reads the local
// stream's last put, and its dashboard (like `health`) reads stream.db and clean.db. A stream or
// store elsewhere would give those readers other data than ingest and trends use, so it is refused
// (a configuration error, exit 2) with the keys to change.
Status CheckOneDataFolder(const Config& config);

}  // namespace stockpipe
