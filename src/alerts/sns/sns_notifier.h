// SNS channel: publishes each alert message to one topic (the reference pipeline's e-mail path).
//
// `Send` is one SNS `Publish` (Query protocol, version 2010-03-31) through the signed
// `aws::Client`, so throttling and 5xx are retried there. SNS refuses what it cannot mail, so the
// text is made acceptable first, never refused here:
//  - Subject: ASCII printable only, no line breaks, at most 100 characters. Polish and other Latin
//    letters are transliterated (ł -> l, ż -> z), typographic dashes and quotes become ASCII,
//    whitespace runs and control characters become one space, anything else (emoji) is dropped.
//    It never starts with a space and never ends in one unless the given subject ended in a
//    plain space (the reference's cut subjects can: "..., Alerts: "). It is never empty.
//  - Message: valid UTF-8 (bad bytes become U+FFFD) of at most 262,144 bytes; a longer one is cut
//    on a character boundary and ends with a visible marker saying how long it was.
// Thread-safe (the client is).
#pragma once

#include <string>
#include <string_view>

#include "aws/client.h"
#include "core/notifier.h"

namespace stockpipe {

struct SnsOptions {
  aws::ClientOptions client;  // service aws::kSns (see aws::OptionsFromEnvironment)
  std::string topic_arn;
};

inline constexpr std::size_t kSnsMaxSubjectChars = 100;
inline constexpr std::size_t kSnsMaxMessageBytes = 262'144;

class SnsNotifier final : public Notifier {
 public:
  explicit SnsNotifier(SnsOptions options);

  std::string_view Name() const override { return "sns"; }
  Status Send(const AlertMessage& message) override;

  const aws::Client& client() const { return client_; }

 private:
  std::string topic_arn_;
  aws::Client client_;
};

// What Send puts in `Subject` and `Message`; exposed for tests.
std::string SnsSubject(std::string_view subject);
std::string SnsMessage(std::string_view body);

}  // namespace stockpipe
