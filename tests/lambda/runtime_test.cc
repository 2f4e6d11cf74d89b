// The Runtime API loop, driven in-process against the in-test Runtime API server (no Runtime
// Interface Emulator exists here; the server speaks the documented API).
#include "lambda/runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "lambda/runtime_api_server.h"

namespace stockpipe::lambda {
namespace {

using stockpipe::testing::Invocation;
using stockpipe::testing::Posted;
using stockpipe::testing::RuntimeApiServer;

TEST(Runtime, PassesEventAndContextAndPostsEachResponseUnderItsRequestId) {
  RuntimeApiServer api;
  Invocation first{"8476a536-e9f4-11e8-9739-2dfe598c3fcd", R"({"n":1})", testing::EpochMs() + 4'000,
                   "arn:aws:lambda:eu-central-1:1:function:a", "Root=1-aaaa;Sampled=0"};
  Invocation second{"req-2", R"({"n":2,"text":"zażółć"})", testing::EpochMs() + 900'000,
                    "arn:aws:lambda:eu-central-1:1:function:b", "Root=1-bbbb;Sampled=1"};
  api.Enqueue(first);
  api.Enqueue(second);

  std::vector<InvocationContext> seen;
  std::vector<std::string> traces;
  Runtime runtime({api.address(), 2});
  Status s = runtime.Run(
      [&](std::string_view event, const InvocationContext& context) -> Result<std::string> {
        seen.push_back(context);
        const char* trace = std::getenv("_X_AMZN_TRACE_ID");
        traces.push_back(trace ? trace : "");
        auto body = nlohmann::json::parse(event);
        body["remaining_positive"] = context.RemainingMs() > 0;
        return body.dump();
      });
  ASSERT_TRUE(s.ok()) << s.message();

  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].request_id, first.request_id);
  EXPECT_EQ(seen[0].deadline_ms, first.deadline_ms);
  EXPECT_EQ(seen[0].function_arn, first.function_arn);
  EXPECT_EQ(seen[0].trace_id, first.trace_id);
  EXPECT_EQ(seen[1].request_id, "req-2");
  EXPECT_EQ(seen[1].deadline_ms, second.deadline_ms);
  EXPECT_LE(seen[0].RemainingMs(), 4'000);
  EXPECT_EQ(traces, (std::vector<std::string>{first.trace_id, second.trace_id}));

  auto results = api.WaitForResults(2);
  ASSERT_EQ(results.size(), 2u);
  std::map<std::string, Posted> by_id;
  for (const Posted& p : results) by_id[p.request_id] = p;
  ASSERT_TRUE(by_id.count(first.request_id));
  EXPECT_EQ(by_id[first.request_id].kind, Posted::Kind::kResponse);
  EXPECT_EQ(nlohmann::json::parse(by_id[first.request_id].body),
            nlohmann::json::parse(R"({"n":1,"remaining_positive":true})"));
  EXPECT_EQ(nlohmann::json::parse(by_id["req-2"].body)["text"], "zażółć");
  EXPECT_TRUE(by_id["req-2"].error_type.empty());
}

TEST(Runtime, HandlerErrorsAndExceptionsArePostedAsErrorsAndTheLoopGoesOn) {
  RuntimeApiServer api;
  api.Enqueue("{}", "fails");
  api.Enqueue("{}", "throws");
  api.Enqueue("{}", "works");
  Runtime runtime({api.address(), 3});
  Status s =
      runtime.Run([](std::string_view, const InvocationContext& context) -> Result<std::string> {
        if (context.request_id == "fails") return Status::Error("store unreachable: żółw \xFF");
        if (context.request_id == "throws") throw std::runtime_error("bad_alloc-like surprise");
        return std::string(R"({"ok":true})");
      });
  ASSERT_TRUE(s.ok()) << s.message();
  auto results = api.WaitForResults(3);
  ASSERT_EQ(results.size(), 3u);

  EXPECT_EQ(results[0].request_id, "fails");
  EXPECT_EQ(results[0].kind, Posted::Kind::kError);
  EXPECT_EQ(results[0].error_type, kHandlerErrorType);
  auto error = nlohmann::json::parse(results[0].body);
  EXPECT_EQ(error["errorType"], kHandlerErrorType);
  // Invalid UTF-8 in a message still makes valid JSON.
  EXPECT_EQ(error["errorMessage"], "store unreachable: żółw \xEF\xBF\xBD");

  EXPECT_EQ(results[1].request_id, "throws");
  EXPECT_EQ(results[1].kind, Posted::Kind::kError);
  EXPECT_EQ(results[1].error_type, kUnhandledErrorType);
  EXPECT_NE(nlohmann::json::parse(results[1].body)["errorMessage"].get<std::string>().find(
                "bad_alloc-like surprise"),
            std::string::npos);

  EXPECT_EQ(results[2].request_id, "works");
  EXPECT_EQ(results[2].kind, Posted::Kind::kResponse);
  EXPECT_EQ(results[2].body, R"({"ok":true})");
}

TEST(Runtime, InitErrorIsPostedWithItsType) {
  RuntimeApiServer api;
  Runtime runtime({api.address()});
  ASSERT_TRUE(runtime.InitError(kConfigErrorType, "RAW_DATA_BUCKET is not set").ok());
  auto posted = api.WaitForInitError();
  ASSERT_TRUE(posted.has_value());
  EXPECT_EQ(posted->error_type, kConfigErrorType);
  auto body = nlohmann::json::parse(posted->body);
  EXPECT_EQ(body["errorType"], kConfigErrorType);
  EXPECT_EQ(body["errorMessage"], "RAW_DATA_BUCKET is not set");
  EXPECT_EQ(api.next_calls(), 0u);
}

TEST(Runtime, StopsWithAnErrorWhenTheRuntimeApiGoesAway) {
  std::string address;
  {
    RuntimeApiServer api;
    address = api.address();
    api.Enqueue("{}", "only");
    api.Stop();  // the next GET is answered 500 or refused
  }
  Runtime runtime({address});
  int calls = 0;
  Status s = runtime.Run([&](std::string_view, const InvocationContext&) -> Result<std::string> {
    ++calls;
    return std::string("{}");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Runtime API"), std::string::npos) << s.message();
  EXPECT_EQ(calls, 0);
}

TEST(Runtime, ANextAnswerWithoutRequestIdIsRefused) {
  // A server that answers `next` without the mandatory header.
  httplib::Server bare;
  bare.Get("/2018-06-01/runtime/invocation/next",
           [](const httplib::Request&, httplib::Response& res) {
             res.set_content("{}", "application/json");
           });
  const int port = bare.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { bare.listen_after_bind(); });
  // Answered only once the accept loop runs, so the stop() below cannot come too early.
  EXPECT_TRUE(httplib::Client("127.0.0.1", port).Get("/2018-06-01/runtime/invocation/next"));
  Runtime runtime({"127.0.0.1:" + std::to_string(port), 1});
  Status s = runtime.Run([](std::string_view, const InvocationContext&) -> Result<std::string> {
    return std::string("{}");
  });
  bare.stop();
  serving.join();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Lambda-Runtime-Aws-Request-Id"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace stockpipe::lambda
