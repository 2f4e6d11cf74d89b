// `credential_process`: a profile's command that prints credentials as JSON on stdout
// (`{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}`), as the
// AWS CLI documents it.
//
// The command line is split the way the CLI splits it (POSIX shell words: quotes and
// backslashes, no expansion) and run directly, never through a shell, so nothing in it is
// interpreted twice. stderr is passed through (a tool may prompt there); stdin is /dev/null.
// A command that cannot start, exits non-zero, prints anything but that JSON, or runs past the
// timeout (it is killed, with its process group) is an error naming the profile and the command.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "core/result.h"

namespace stockpipe::aws {

// POSIX shell word splitting without expansion: whitespace separates words; '...' keeps
// everything; "..." keeps everything but `\"`, `\\`, `\$`, `` \` `` escapes; a backslash
// outside quotes keeps the next character. An unterminated quote is an error.
Result<std::vector<std::string>> SplitCommandLine(const std::string& command);

// Reads the JSON a credential process prints; `what` names it in errors.
Result<Credentials> ParseProcessCredentials(const std::string& json, const std::string& what);

class ProcessProvider : public CredentialProvider {
 public:
  ProcessProvider(std::string profile, std::string command,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : profile_(std::move(profile)), command_(std::move(command)), timeout_(timeout) {}
  std::string Name() const override { return "profile " + profile_ + " credential_process"; }
  Result<Credentials> Fetch() override;

 private:
  std::string profile_;
  std::string command_;
  std::chrono::milliseconds timeout_;
};

}  // namespace stockpipe::aws
