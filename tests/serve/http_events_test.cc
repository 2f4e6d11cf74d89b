// /api/events over HTTP: a `status` event on connect and every second, a `series` event when new
// records of a symbol are ingested (by the real binary, while the client listens), an `alert`
// event when a trends run alerts, and a server that stops at once with a client still connected.
// Every wait is on an event arriving, bounded by a deadline only a hung server reaches.
#include <gtest/gtest.h>

#include "serve/http_fixture.h"

namespace stockpipe {
namespace {

using testing::json;
using Event = testing::EventReader::Event;

class HttpEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::StartServer(data_.MakeConfig());
    ASSERT_NE(server_, nullptr);
  }
  testing::PipelineData data_;
  std::unique_ptr<serve::HttpServer> server_;
};

TEST_F(HttpEventsTest, StatusThenSeriesAndAlertWhenThePipelineMoves) {
  testing::EventReader events(server_->port());
  auto status = events.WaitFor([](const Event& e) { return e.name == "status"; });
  ASSERT_TRUE(status) << "no status event";
  const json doc = json::parse(status->data, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << status->data;
  EXPECT_EQ(doc["ingest"].value("received", 0), 660);

  // 40 more rising ZZUP points, an hour after the first 60: ingested while the client listens.
  data_.Run({"produce", "file", "-"}, testing::RisingSeries("ZZUP", 40, 1'767'607'200 + 7200));
  data_.Run({"ingest", "--once"});
  auto series = events.WaitFor([](const Event& e) {
    return e.name == "series" && e.data.find("\"ZZUP\"") != std::string::npos;
  });
  ASSERT_TRUE(series) << "no series event for ZZUP";
  const json moved = json::parse(series->data, nullptr, false);
  EXPECT_EQ(moved.value("newest_ms", std::int64_t{0}), (1'767'607'200LL + 7200 + 60 * 39) * 1000);

  // A trends run with no cooldown alerts ZZUP:SELL again: the new alert message comes as an event.
  data_.Run({"trends", "--once", "--lang", "en", "--cooldown", "0"});
  auto alert = events.WaitFor([](const Event& e) { return e.name == "alert"; });
  ASSERT_TRUE(alert) << "no alert event";
  const json message = json::parse(alert->data, nullptr, false);
  EXPECT_NE(message.value("subject", "").find("ZZUP"), std::string::npos) << alert->data;
  EXPECT_GT(message.value("id", 0), 1) << "the first trends run's alert was there before";

  // And the status that follows counts the new records.
  auto later = events.WaitFor([](const Event& e) {
    return e.name == "status" &&
           json::parse(e.data, nullptr, false)["ingest"].value("received", 0) == 700;
  });
  EXPECT_TRUE(later);
}

TEST_F(HttpEventsTest, StopEndsOpenStreamsPromptly) {
  testing::EventReader first(server_->port()), second(server_->port());
  ASSERT_TRUE(first.WaitFor([](const Event& e) { return e.name == "status"; }));
  ASSERT_TRUE(second.WaitFor([](const Event& e) { return e.name == "status"; }));
  const auto started = std::chrono::steady_clock::now();
  server_->Stop();
  const auto took = std::chrono::steady_clock::now() - started;
  // The keep-alive timeout of idle connections (1 s) bounds it; a stream waiting for its next
  // tick must not hold it longer.
  EXPECT_LT(took, std::chrono::milliseconds(2500))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_TRUE(first.WaitEnded(std::chrono::seconds(10))) << "the client's stream did not end";
  EXPECT_TRUE(second.WaitEnded(std::chrono::seconds(10)));
}

TEST_F(HttpEventsTest, StreamsBeyondTheLimitAre503AndTheApiStaysUp) {
  auto options = serve::HttpServerOptions::From(data_.MakeConfig());
  options.max_event_streams = 1;
  auto server = serve::HttpServer::Start(data_.MakeConfig(), options);
  ASSERT_TRUE(server.ok()) << server.error();
  testing::EventReader held((*server)->port());
  ASSERT_TRUE(held.WaitFor([](const Event& e) { return e.name == "status"; }));
  httplib::Client client("127.0.0.1", (*server)->port());
  auto busy = client.Get("/api/events");
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(testing::Body(busy).value("error", ""), "busy");
  auto status = client.Get("/api/status");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200);
}

TEST_F(HttpEventsTest, EventStreamHasTheSseContentType) {
  httplib::Client client("127.0.0.1", server_->port());
  std::string type;
  auto r = client.Get(
      "/api/events",
      [&](const httplib::Response& res) {
        type = res.get_header_value("Content-Type");
        return true;
      },
      [](const char*, std::size_t) { return false; });  // headers are enough
  EXPECT_EQ(type, "text/event-stream");
}

}  // namespace
}  // namespace stockpipe
