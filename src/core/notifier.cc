#include "core/notifier.h"

namespace stockpipe {

std::string_view KindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::kSignals: return "signals";
    case MessageKind::kNoData: return "no_data";
    case MessageKind::kRecovered: return "recovered";
  }
  return "signals";
}

}  // namespace stockpipe
