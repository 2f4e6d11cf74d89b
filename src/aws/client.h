// A signed HTTP client for AWS services: libcurl with its own SigV4 (`CURLOPT_AWS_SIGV4`), no SDK.
//
// One `Client` talks to one service at one endpoint. `Send` signs every attempt afresh, retries
// transport failures, HTTP 5xx, 429 and the services' throttling errors with exponential backoff
// and full jitter (a random wait in [0, min(max_delay, base_delay * 2^attempt)]), at most
// `max_attempts` tries, each retry logged with its reason. Query strings are sorted and
// percent-encoded before signing, as SigV4 requires; TLS peers are always verified. Credentials
// come from a shared `CredentialChain` asked before every attempt, so temporary credentials are
// renewed under a long-running client; a client without a chain sends unsigned requests (the
// metadata endpoints, the SSO portal, STS AssumeRoleWithWebIdentity).
//
// Thread-safe: requests from several threads share a small pool of libcurl handles, so
// connections are reused. Secrets go to libcurl only; they are never logged or put in errors.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "core/result.h"

namespace stockpipe::aws {

// How a service is named: for signing, in `AWS_ENDPOINT_URL_<env_name>`, and in its default host.
struct Service {
  std::string_view signing_name;
  std::string_view env_name;
  std::string_view host_prefix;
};
inline constexpr Service kKinesis{"kinesis", "KINESIS", "kinesis"};
inline constexpr Service kDynamoDb{"dynamodb", "DYNAMODB", "dynamodb"};
inline constexpr Service kS3{"s3", "S3", "s3"};
inline constexpr Service kSns{"sns", "SNS", "sns"};
inline constexpr Service kSqs{"sqs", "SQS", "sqs"};
inline constexpr Service kAthena{"athena", "ATHENA", "athena"};
inline constexpr Service kCloudWatch{"monitoring", "CLOUDWATCH", "monitoring"};
// The credential sources' services (sts_credentials.h, sso_credentials.h).
inline constexpr Service kSts{"sts", "STS", "sts"};
inline constexpr Service kSso{"awsssoportal", "SSO", "portal.sso"};

struct RetryPolicy {
  int max_attempts = 8;  // the first try included
  std::int64_t base_delay_us = 50'000;
  std::int64_t max_delay_us = 5'000'000;
};

struct ClientOptions {
  Service service = kKinesis;
  std::string region;
  std::string endpoint;  // scheme://host[:port], no trailing slash
  // Asked on every attempt, so temporary credentials are renewed under a long-running client.
  // Null: requests go unsigned (the STS web-identity call, the SSO portal, metadata endpoints).
  std::shared_ptr<CredentialChain> credentials;
  long connect_timeout_ms = 5'000;
  long request_timeout_ms = 30'000;  // per attempt
  RetryPolicy retry;
  std::string ca_bundle;  // `AWS_CA_BUNDLE`: the CA file to verify TLS peers with, else libcurl's
};

// Region and credentials from the environment (see credentials.h); the endpoint from
// `EndpointFor`; the CA bundle from `AWS_CA_BUNDLE` (the Lambda zip carries Debian's libcurl,
// whose default path Amazon Linux lacks). The credential chain is resolved once here, so a
// set-up without credentials fails at start with the chain's message; errors name the missing
// variable. The first form builds a default chain of its own; the second shares `chain`.
Result<ClientOptions> OptionsFromEnvironment(const Service& service, const GetEnv& getenv);
Result<ClientOptions> OptionsFromEnvironment(const Service& service, const GetEnv& getenv,
                                             std::shared_ptr<CredentialChain> chain);

// `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then the service's public endpoint
// `https://<prefix>.<region>.amazonaws.com`; no trailing slash.
std::string EndpointFor(const Service& service, const std::string& region, const GetEnv& getenv);

struct HttpRequest {
  std::string method = "POST";
  std::string path = "/";  // already URI-encoded (see UriEncode with keep_slash)
  std::vector<std::pair<std::string, std::string>> query;    // raw; the client encodes and sorts
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Host/X-Amz-Date/signature
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  // The first header named `name` (lower case), or empty.
  std::string Header(std::string_view name) const;
};

// What one operation cost: logical calls, HTTP requests sent (attempts) and retries among them.
struct OperationStats {
  std::uint64_t calls = 0;
  std::uint64_t attempts = 0;
  std::uint64_t retries = 0;
  std::uint64_t failures = 0;  // calls that ended in an error after all attempts
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` (signed, retried). Returns the last response whatever its status once it is
  // not retryable or attempts run out; an error only when no response came back at all.
  // `operation` names the call in logs and stats.
  Result<HttpResponse> Send(std::string_view operation, const HttpRequest& request);

  // The JSON protocol (Kinesis `Kinesis_20131202`, DynamoDB `DynamoDB_20120810`, Athena
  // `AmazonAthena`): POST / with `X-Amz-Target: <target_prefix>.<operation>`. Returns the body of
  // a 2xx answer; otherwise an error "<operation>: <error type>: <message> (HTTP n)".
  Result<std::string> CallJson(std::string_view target_prefix, std::string_view operation,
                               std::string body, std::string_view json_version = "1.1");

  // The Query protocol (SNS, SQS): form-encoded `Action`, `Version` and `params`; returns the XML
  // body of a 2xx answer, otherwise an error with the service's `<Code>` and `<Message>`.
  Result<std::string> CallQuery(std::string_view action, std::string_view version,
                                const std::vector<std::pair<std::string, std::string>>& params);

  std::map<std::string, OperationStats> Stats() const;
  const ClientOptions& options() const { return options_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  ClientOptions options_;
  std::string sigv4_;  // "aws:amz:<region>:<service>"
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;
  std::map<std::string, OperationStats> stats_;
};

// Whether an answer deserves another try: 5xx, 429, or a throttling error code in the body.
bool IsRetryable(long status, std::string_view body);

// "<Code>X</Code>"-style or JSON "__type" error code found in a response body, or empty.
std::string ErrorCode(std::string_view body);

// Form encoding of the Query protocol (keys sorted, SigV4 percent-encoding).
std::string FormEncode(std::vector<std::pair<std::string, std::string>> params);

}  // namespace stockpipe::aws
