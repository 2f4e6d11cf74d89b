// SigV4 as libcurl computes it for our requests, checked by an independent verifier written from
// the AWS specification (and itself checked against AWS's published example). No emulator checks
// signatures, so this server is the only place a signing mistake would show before production.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>
#include <thread>

#include "aws/client.h"
#include "aws/encoding.h"

namespace stockpipe::aws {
namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

// The canonical query string of the spec: decode each pair, re-encode strictly, sort.
std::string CanonicalQuery(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!raw.empty()) {
    const auto amp = raw.find('&');
    const std::string_view pair = raw.substr(0, amp);
    const auto eq = pair.find('=');
    pairs.emplace_back(
        UriEncode(PercentDecode(pair.substr(0, eq))),
        eq == std::string_view::npos ? "" : UriEncode(PercentDecode(pair.substr(eq + 1))));
    raw = amp == std::string_view::npos ? "" : raw.substr(amp + 1);
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

struct Signed {
  std::string method, path, raw_query, payload_hash, amz_date, region, service;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, trimmed values
  std::string signed_headers;                                // "content-type;host;x-amz-date"
};

std::string ExpectedSignature(const Signed& s, std::string_view secret) {
  std::string canonical_headers;
  std::string names(s.signed_headers);
  std::size_t at = 0;
  while (at <= names.size()) {
    const auto semi = names.find(';', at);
    const std::string name =
        names.substr(at, semi == std::string::npos ? std::string::npos : semi - at);
    for (const auto& [k, v] : s.headers) {
      if (k == name) canonical_headers += k + ":" + v + "\n";
    }
    if (semi == std::string::npos) break;
    at = semi + 1;
  }
  const std::string canonical_request = s.method + "\n" + s.path + "\n" +
                                        CanonicalQuery(s.raw_query) + "\n" + canonical_headers +
                                        "\n" + s.signed_headers + "\n" + s.payload_hash;
  const std::string date = s.amz_date.substr(0, 8);
  const std::string scope = date + "/" + s.region + "/" + s.service + "/aws4_request";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + s.amz_date + "\n" + scope + "\n" + Sha256Hex(canonical_request);
  std::string key = Hmac("AWS4" + std::string(secret), date);
  key = Hmac(key, s.region);
  key = Hmac(key, s.service);
  key = Hmac(key, "aws4_request");
  return Hex(Hmac(key, to_sign));
}

TEST(SigV4Verifier, ReproducesTheExampleOfTheAwsDocumentation) {
  // "Create a signed AWS API request", IAM ListUsers, 2015-08-30.
  Signed s{"GET",
           "/",
           "Action=ListUsers&Version=2010-05-08",
           Sha256Hex(""),
           "20150830T123600Z",
           "us-east-1",
           "iam",
           {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
            {"host", "iam.amazonaws.com"},
            {"x-amz-date", "20150830T123600Z"}},
           "content-type;host;x-amz-date"};
  EXPECT_EQ(ExpectedSignature(s, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

class SigningServer : public ::testing::Test {
 protected:
  void SetUp() override {
    // Recorded in the handler, before the answer is written: once the client has its response,
    // the request is in `seen_` (a logger runs after the answer and would race the test).
    const auto answer = [this](const httplib::Request& request, httplib::Response& response) {
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(request);
      }
      response.set_content("{}", "application/json");
    };
    server_.Post(".*", answer);
    server_.Put(".*", answer);
    server_.Get(".*", answer);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port already listens: connections queue until the accept loop runs.
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  Client MakeClient(const Service& service, std::string token = "") {
    ClientOptions options;
    options.service = service;
    options.region = "eu-central-1";
    options.endpoint = "http://127.0.0.1:" + std::to_string(port_);
    options.credentials = StaticCredentials(
        {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", std::move(token), "test"});
    return Client(options);
  }

  // Verifies the one request the server saw as AWS would, for `service`.
  void Verify(std::string_view service, std::string_view expected_method) {
    ASSERT_EQ(seen_.size(), 1u);
    const httplib::Request& r = seen_.front();
    const std::string authorization = r.get_header_value("Authorization");
    ASSERT_TRUE(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"))
        << authorization;
    const auto field = [&](std::string_view name) {
      const auto at = authorization.find(name);
      if (at == std::string::npos) return std::string();
      const auto end = authorization.find_first_of(", ", at);
      return authorization.substr(
          at + name.size(), end == std::string::npos ? std::string::npos : end - at - name.size());
    };
    Signed s;
    s.method = r.method;
    EXPECT_EQ(s.method, expected_method);
    // The path as sent on the wire (httplib decodes `path`; the target keeps the encoding).
    s.path = r.target.substr(0, r.target.find('?'));
    s.raw_query =
        r.target.find('?') == std::string::npos ? "" : r.target.substr(r.target.find('?') + 1);
    s.amz_date = r.get_header_value("X-Amz-Date");
    s.region = "eu-central-1";
    s.service = std::string(service);
    s.signed_headers = field("SignedHeaders=");
    s.payload_hash = Sha256Hex(r.body);
    for (const auto& [name, value] : r.headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      s.headers.emplace_back(lower, value);
    }
    EXPECT_NE(s.signed_headers.find("host"), std::string::npos);
    EXPECT_NE(s.signed_headers.find("x-amz-date"), std::string::npos);
    EXPECT_EQ(field("Credential=AKIDEXAMPLE/" + s.amz_date.substr(0, 8) + "/"),
              "eu-central-1/" + std::string(service) + "/aws4_request");
    EXPECT_EQ(field("Signature="),
              ExpectedSignature(s, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<httplib::Request> seen_;
};

TEST_F(SigningServer, JsonProtocolCallIsSignedWithTargetAndContentType) {
  Client client = MakeClient(kDynamoDb);
  ASSERT_TRUE(
      client.CallJson("DynamoDB_20120810", "Query", R"({"TableName":"StockCleanedData"})", "1.0"));
  Verify("dynamodb", "POST");
  EXPECT_NE(seen_.front().get_header_value("Authorization").find("x-amz-target"),
            std::string::npos);
}

TEST_F(SigningServer, SessionTokenIsSentAndSigned) {
  Client client = MakeClient(kKinesis, "FQoGZXIvYXdzEBoaDtoken/+=");
  ASSERT_TRUE(client.CallJson("Kinesis_20131202", "ListStreams", "{}"));
  Verify("kinesis", "POST");
  EXPECT_EQ(seen_.front().get_header_value("X-Amz-Security-Token"), "FQoGZXIvYXdzEBoaDtoken/+=");
  EXPECT_NE(seen_.front().get_header_value("Authorization").find("x-amz-security-token"),
            std::string::npos);
}

TEST_F(SigningServer, QueryStringIsSortedAndEncodedBeforeSigning) {
  Client client = MakeClient(kS3);
  HttpRequest request;
  request.method = "GET";
  request.path = "/bucket";
  request.query = {
      {"prefix", "raw/dt=2025-08-14/a b"}, {"list-type", "2"}, {"continuation-token", "1/x+y=="}};
  ASSERT_TRUE(client.Send("ListObjectsV2", request));
  Verify("s3", "GET");
  const httplib::Request& r = seen_.front();
  EXPECT_EQ(r.target.substr(r.target.find('?') + 1),
            "continuation-token=1%2Fx%2By%3D%3D&list-type=2&prefix=raw%2Fdt%3D2025-08-14%2Fa%20b");
  EXPECT_EQ(r.get_header_value("x-amz-content-sha256"), Sha256Hex(""));
}

TEST_F(SigningServer, S3PutCarriesThePayloadHashOfItsBody) {
  Client client = MakeClient(kS3);
  HttpRequest request;
  request.method = "PUT";
  request.path = "/bucket/" + UriEncode("raw/dt=2025-08-14/shard-000001-1-9.jsonl.gz", true);
  request.headers = {{"Content-Type", "application/gzip"}};
  request.body = std::string("\x1f\x8b\x08\x00 binary \0 bytes", 20);
  ASSERT_TRUE(client.Send("PutObject", request));
  Verify("s3", "PUT");
  EXPECT_EQ(seen_.front().get_header_value("x-amz-content-sha256"), Sha256Hex(request.body));
  EXPECT_NE(seen_.front().get_header_value("Authorization").find("x-amz-content-sha256"),
            std::string::npos);
}

}  // namespace
}  // namespace stockpipe::aws
