// AlertQueue: a durable queue of alert messages that takes a keyed message at most once.
//
// Streaming signals queue each batch's message under a key made of its alerts, before the batch
// is checkpointed: a crash after the message is queued replays the batch, which reaches the
// same alerts and so the same key, and the queue does not take the message twice. The outbox
// (alerts/outbox/outbox.h) is the implementation; this header names no storage so that the trends
// library does not depend on SQLite.
#pragma once

#include <string_view>

#include "core/notifier.h"
#include "core/result.h"

namespace stockpipe {

class AlertQueue {
 public:
  virtual ~AlertQueue() = default;
  // Queues `message` unless a message with `key` is already queued; durable when it returns ok.
  // Returns true when it was queued by this call.
  virtual Result<bool> EnqueueOnce(const AlertMessage& message, std::string_view key) = 0;
  // Hands what is due to the channels now. A channel failing is the queue's to retry: it is
  // logged, never returned.
  virtual void DeliverQueued() = 0;
};

}  // namespace stockpipe
