// The AWS Lambda custom runtime (`provided.al2023`): the loop that speaks the Lambda Runtime API.
//
// Each turn GETs the next invocation from `http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/
// invocation/next` (which blocks until there is one), calls the handler with the event body and
// the invocation's context, and POSTs the handler's result to `.../invocation/<id>/response`, or
// its error to `.../invocation/<id>/error` as `{"errorMessage","errorType"}` with the header
// `Lambda-Runtime-Function-Error-Type`. A set-up that fails before the loop reports itself through
// `InitError` (POST `.../runtime/init/error`) and the process exits.
//
// The Runtime API is a local, unsigned endpoint: plain libcurl, no SigV4. A handler never throws
// across the loop: an exception that escapes it becomes an invocation error
// (`Runtime.UnhandledException`), not a crash. One Runtime serves one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace stockpipe::lambda {

// What the Runtime API says about one invocation (its `Lambda-Runtime-*` headers).
struct InvocationContext {
  std::string request_id;        // Lambda-Runtime-Aws-Request-Id
  std::int64_t deadline_ms = 0;  // Lambda-Runtime-Deadline-Ms: Unix epoch milliseconds
  std::string function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;          // Lambda-Runtime-Trace-Id (also exported as _X_AMZN_TRACE_ID)

  // Milliseconds left before Lambda stops the invocation (negative once past the deadline).
  std::int64_t RemainingMs() const;
};

// Takes the event (JSON text) and returns the response body (JSON text) or an error.
using Handler =
    std::function<Result<std::string>(std::string_view event, const InvocationContext& context)>;

// `errorType` values this runtime reports ("Category.Reason", as the Runtime API recommends).
inline constexpr std::string_view kHandlerErrorType = "Handler.Failed";
inline constexpr std::string_view kUnhandledErrorType = "Runtime.UnhandledException";
inline constexpr std::string_view kResponseRefusedErrorType = "Runtime.ResponseRefused";
inline constexpr std::string_view kConfigErrorType = "Runtime.ConfigInvalid";
inline constexpr std::string_view kNoSuchHandlerErrorType = "Runtime.NoSuchHandler";

struct RuntimeOptions {
  std::string api;                  // AWS_LAMBDA_RUNTIME_API: "host:port"
  std::size_t max_invocations = 0;  // 0 serves until the Runtime API fails (as on Lambda)
  long post_timeout_ms = 30'000;    // for the POSTs; the GET of the next event waits for ever
};

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Serves invocations with `handler`. Returns once `max_invocations` were served, or with an
  // error when the Runtime API cannot be reached or refuses the runtime (the process should exit
  // then and let Lambda start a fresh one).
  Status Run(const Handler& handler);

  // Reports a set-up failure; the caller exits afterwards.
  Status InitError(std::string_view error_type, std::string_view message);

 private:
  struct Http;
  Result<std::string> Next(InvocationContext& context);
  Status Post(const std::string& path, std::string_view body, std::string_view error_type);

  RuntimeOptions options_;
  std::unique_ptr<Http> http_;
};

// `{"errorMessage":...,"errorType":...}`; invalid UTF-8 in `message` becomes U+FFFD.
std::string ErrorBody(std::string_view error_type, std::string_view message);

}  // namespace stockpipe::lambda
