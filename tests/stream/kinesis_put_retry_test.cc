// KinesisStream::Put's partial-failure loop: only refused entries are resent, in order, and after
// the attempt bound the error says how many records were not accepted.
//
// kinesalite cannot refuse single entries (it emulates no per-shard write limit), so this test
// runs against a small HTTP server inside the test that speaks only PutRecords and answers in the
// documented partial-failure shape: entries keyed "HOT" are refused with
// ProvisionedThroughputExceededException for a set number of requests, as a shard over its write
// limit would. Everything else about the stream is tested on kinesalite (kinesis_stream_test.cc);
// the response parsing on real response JSON in kinesis_put_records_test.cc.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "codec/base64.h"
#include "store/sqlite/sqlite_state_store.h"
#include "stream/kinesis/kinesis_stream.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

using nlohmann::json;

// Answers PutRecords; refuses "HOT" entries in the first `refusals` requests.
class RefusingKinesis {
 public:
  explicit RefusingKinesis(int refusals) : refusals_(refusals) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(listener_, 4) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RefusingKinesis() {
    shutdown(listener_, SHUT_RDWR);  // wakes accept()
    close(listener_);
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // "<partition key>/<data>" of each PutRecords entry, per request in arrival order.
  std::vector<std::vector<std::string>> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    while (true) {
      const int connection = accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      std::string buffer;
      while (HandleOne(connection, buffer)) {
      }
      close(connection);
    }
  }

  // One request on a kept-alive connection; false when the client has gone.
  bool HandleOne(int connection, std::string& buffer) {
    std::size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!Receive(connection, buffer)) return false;
    }
    std::string head = buffer.substr(0, header_end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto length_at = head.find("content-length:");
    const std::size_t length =
        length_at == std::string::npos ? 0 : std::stoul(head.substr(length_at + 15));
    if (head.find("expect: 100-continue") != std::string::npos) {
      Send(connection, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    while (buffer.size() < header_end + 4 + length) {
      if (!Receive(connection, buffer)) return false;
    }
    const json request = json::parse(buffer.substr(header_end + 4, length));
    buffer.erase(0, header_end + 4 + length);

    std::vector<std::string> keys;
    json records = json::array();
    int failed = 0;
    std::lock_guard lock(mutex_);
    const bool refuse = static_cast<int>(requests_.size()) < refusals_;
    for (const json& entry : request["Records"]) {
      const std::string key = entry["PartitionKey"].get<std::string>();
      const auto data = Base64Decode(entry["Data"].get<std::string>());
      keys.push_back(key + "/" + (data.ok() ? *data : "?"));
      if (refuse && key == "HOT") {
        ++failed;
        records.push_back({{"ErrorCode", "ProvisionedThroughputExceededException"},
                           {"ErrorMessage",
                            "Rate exceeded for shard shardId-000000000001 in "
                            "stream ticks under account 111111111111."}});
      } else {
        records.push_back(
            {{"SequenceNumber", std::to_string(++sequence_)}, {"ShardId", "shardId-000000000000"}});
      }
    }
    requests_.push_back(std::move(keys));
    const std::string body = json{{"FailedRecordCount", failed}, {"Records", records}}.dump();
    Send(connection,
         "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n"
         "Content-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body);
    return true;
  }

  static bool Receive(int connection, std::string& buffer) {
    char chunk[65536];
    const ssize_t n = recv(connection, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  static void Send(int connection, const std::string& text) {
    std::size_t sent = 0;
    while (sent < text.size()) {
      const ssize_t n = send(connection, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  int refusals_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::vector<std::string>> requests_;
  std::uint64_t sequence_ = 0;
};

class KinesisPutRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteStateStore::Open(path_.string());
    ASSERT_TRUE(store) << store.error();
    store_ = std::move(*store);
  }
  void TearDown() override { store_.reset(); }

  KinesisStream Make(const RefusingKinesis& peer, int attempts) {
    KinesisStreamOptions options;
    options.client.region = "us-east-1";
    options.client.endpoint = peer.endpoint();
    options.client.credentials = aws::StaticCredentials({"AKIDEXAMPLE", "secret", "", "test"});
    options.stream_name = "ticks";
    options.put_attempts = attempts;
    options.put_backoff_base_us = 1'000;
    options.put_backoff_max_us = 5'000;
    return KinesisStream(options, *store_);
  }

  static std::vector<StreamRecord> Batch() {
    return {{"AAPL", "a0"}, {"HOT", "h1"}, {"MSFT", "m2"}, {"HOT", "h3"}, {"AAPL", "a4"}};
  }

  testing::TempDir temp_;
  std::filesystem::path path_ = temp_.path() / "state.db";
  std::unique_ptr<SqliteStateStore> store_;
};

TEST_F(KinesisPutRetryTest, OnlyRefusedEntriesAreResentInOrderUntilAccepted) {
  RefusingKinesis peer(2);
  KinesisStream stream = Make(peer, 5);
  const auto batch = Batch();
  Status put = stream.Put(batch);
  ASSERT_TRUE(put.ok()) << put.message();
  const auto requests = peer.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0],
            (std::vector<std::string>{"AAPL/a0", "HOT/h1", "MSFT/m2", "HOT/h3", "AAPL/a4"}));
  EXPECT_EQ(requests[1], (std::vector<std::string>{"HOT/h1", "HOT/h3"}));
  EXPECT_EQ(requests[2], (std::vector<std::string>{"HOT/h1", "HOT/h3"}));
  const auto stats = stream.client().Stats().at("PutRecords");
  EXPECT_EQ(stats.calls, 3u);
  EXPECT_EQ(stats.retries, 0u);  // whole-call retries are the client's; none were needed
}

TEST_F(KinesisPutRetryTest, AfterTheBoundTheErrorCountsWhatWasNotAccepted) {
  RefusingKinesis peer(1'000);
  KinesisStream stream = Make(peer, 3);
  Status put = stream.Put(Batch());
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.message().find("2 records were not accepted"), std::string::npos) << put.message();
  EXPECT_NE(put.message().find("after 3 attempts"), std::string::npos) << put.message();
  EXPECT_NE(put.message().find("ProvisionedThroughputExceededException"), std::string::npos)
      << put.message();
  EXPECT_EQ(peer.requests().size(), 3u);
}

}  // namespace
}  // namespace stockpipe
