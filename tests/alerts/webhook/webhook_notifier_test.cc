// The webhook channel against a real HTTP server (cpp-httplib on 127.0.0.1 inside the test)
// that records what it received and answers with the status a test asks for.
#include "alerts/webhook/webhook_notifier.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "support/loopback_http.h"

namespace stockpipe {
namespace {

using nlohmann::json;

// The secret part of a Slack-style webhook URL: it must never appear in an error.
constexpr const char* kSecretPath = "/services/T000/B000/XXXXsecretXXXX";
constexpr const char* kSecretQuery = "token=hunter2";

class HookServer {
 public:
  HookServer() {
    http_.server().Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      requests_.push_back(req);
      if (!location_.empty()) res.set_header("Location", location_);
      res.status = status_;
      res.set_content(reply_, "text/plain; charset=utf-8");
    });
    http_.Start();
  }

  void Answer(int status, std::string reply, std::string location = "") {
    std::lock_guard lock(mutex_);
    status_ = status;
    reply_ = std::move(reply);
    location_ = std::move(location);
  }
  std::vector<httplib::Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int port() const { return http_.port(); }
  std::string Url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(http_.port()) + kSecretPath + "?" +
           kSecretQuery;
  }

 private:
  std::mutex mutex_;
  std::vector<httplib::Request> requests_;
  int status_ = 200;
  std::string reply_ = "ok";
  std::string location_;
  testing::LoopbackHttp http_;
};

AlertMessage Alert() {
  return {
      MessageKind::kRecovered, "Sygnały: KUP AAPL 📈 zażółć gęślą jaźń",
      "📉 Alert giełdowy — SYM1\nAkcja: SPRZEDAJ\nPowód: +6.00% \"cytat\" \\ i cena powyżej SMA20",
      1'755'182'292'000'000};
}

WebhookNotifier Notifier(const std::string& url) {
  WebhookOptions options;
  options.url = url;
  options.timeout_ms = 10'000;
  return WebhookNotifier(options);
}

void ExpectNoSecret(const std::string& message) {
  EXPECT_EQ(message.find("XXXXsecretXXXX"), std::string::npos) << message;
  EXPECT_EQ(message.find("/services"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST(WebhookNotifier, PostsTheMessageAsJsonWithUtf8Intact) {
  HookServer server;
  auto notifier = Notifier(server.Url());
  EXPECT_EQ(notifier.Name(), "webhook");
  const AlertMessage alert = Alert();
  const Status sent = notifier.Send(alert);
  ASSERT_TRUE(sent) << sent.message();

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const httplib::Request& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, kSecretPath);
  EXPECT_EQ(request.get_header_value("Content-Type"), "application/json");
  const json body = json::parse(request.body, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << request.body;
  EXPECT_EQ(body["subject"], alert.subject);
  EXPECT_EQ(body["body"], alert.body);
  EXPECT_EQ(body["text"], alert.subject + "\n\n" + alert.body);
  EXPECT_EQ(body["kind"], "recovered");
  EXPECT_EQ(body["created"], "2025-08-14T14:38:12.000000Z");
}

TEST(WebhookNotifier, ServerErrorIsAnErrorWithStatusAndShortReply) {
  HookServer server;
  server.Answer(500, "internal failure: " + std::string(400, 'z'));
  const Status sent = Notifier(server.Url()).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("HTTP 500"), std::string::npos) << sent.message();
  EXPECT_NE(sent.message().find("internal failure: zzz"), std::string::npos) << sent.message();
  EXPECT_NE(sent.message().find(std::string(180, 'z')), std::string::npos);
  EXPECT_EQ(sent.message().find(std::string(200, 'z')), std::string::npos)
      << "reply must be cut to 200 characters";
  EXPECT_NE(sent.message().find("http://127.0.0.1:" + std::to_string(server.port())),
            std::string::npos);
  ExpectNoSecret(sent.message());
}

TEST(WebhookNotifier, RateLimitIsAnError) {
  HookServer server;
  server.Answer(429, "rate_limited");
  const Status sent = Notifier(server.Url()).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("HTTP 429: rate_limited"), std::string::npos) << sent.message();
}

TEST(WebhookNotifier, RedirectIsNotFollowed) {
  HookServer server;
  server.Answer(307, "", "http://127.0.0.1:" + std::to_string(server.port()) + "/elsewhere");
  const Status sent = Notifier(server.Url()).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("HTTP 307"), std::string::npos) << sent.message();
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(WebhookNotifier, ConnectionRefusedNamesOnlySchemeHostAndPort) {
  int port = 0;
  {
    HookServer closed;  // a port that was just free and has nothing listening any more
    port = closed.port();
  }
  const std::string url =
      "http://127.0.0.1:" + std::to_string(port) + kSecretPath + "?" + kSecretQuery;
  const Status sent = Notifier(url).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("http://127.0.0.1:" + std::to_string(port)), std::string::npos)
      << sent.message();
  ExpectNoSecret(sent.message());
}

TEST(WebhookNotifier, HttpsToAPlainServerFailsWithoutFallingBack) {
  HookServer server;
  const Status sent = Notifier(server.Url("https")).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("https://127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << sent.message();
  EXPECT_TRUE(server.requests().empty()) << "no plain-text retry";
  ExpectNoSecret(sent.message());
}

TEST(ValidateWebhookOptions, PlainHttpOnlyToThisMachineUnlessAllowed) {
  WebhookOptions options;
  for (const char* url : {"https://hooks.example.com/services/T/B/secret",
                          "http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]:9000/x"}) {
    options.url = url;
    EXPECT_TRUE(ValidateWebhookOptions(options)) << url;
  }
  options.url = std::string("http://hooks.example.com") + kSecretPath + "?" + kSecretQuery;
  const Status refused = ValidateWebhookOptions(options);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.message().find("webhook.url"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("allow_insecure"), std::string::npos) << refused.message();
  ExpectNoSecret(refused.message());
  // Send refuses it too, before any connection.
  const Status sent = WebhookNotifier(options).Send(Alert());
  EXPECT_FALSE(sent);
  ExpectNoSecret(sent.message());

  options.allow_insecure = true;
  EXPECT_TRUE(ValidateWebhookOptions(options));

  options.url = "ftp://hooks.example.com/x";
  EXPECT_FALSE(ValidateWebhookOptions(options));
  options.url = "not a url";
  EXPECT_FALSE(ValidateWebhookOptions(options));
  options.url = "https://hooks.example.com/x";
  options.timeout_ms = 0;
  EXPECT_FALSE(ValidateWebhookOptions(options));
}

}  // namespace
}  // namespace stockpipe
