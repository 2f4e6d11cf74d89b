// The SNS channel: what it makes of subjects and bodies, and what arrives through a real SNS
// emulator (fauxqs), read back from an SQS queue subscribed to the topic.
#include "alerts/sns/sns_notifier.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <nlohmann/json.hpp>

#include "support/peers.h"

namespace stockpipe {
namespace {

bool IsSnsSubject(const std::string& s) {
  if (s.empty() || s.size() > kSnsMaxSubjectChars || s.front() == ' ') return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

bool ValidUtf8(const std::string& s) {
  return simdjson::validate_utf8(s.data(), s.size());
}

// Polish text with every diacritic, repeated to `bytes` or a little more.
std::string PolishText(std::size_t bytes) {
  const std::string line =
      "Zażółć gęślą jaźń — ĄĆĘŁŃÓŚŹŻ ąćęłńóśźż: kurs spadł o 2,07%, cena poniżej SMA20.\n";
  std::string out;
  while (out.size() < bytes) out += line;
  return out;
}

TEST(SnsSubject, TransliteratesPolishAndKeepsAsciiPrintable) {
  EXPECT_EQ(SnsSubject("Alerty: ŻÓŁĆ zażółć gęślą jaźń"), "Alerty: ZOLC zazolc gesla jazn");
  EXPECT_EQ(SnsSubject("Alerts: AAPL:BUY, MSFT:SELL"), "Alerts: AAPL:BUY, MSFT:SELL");
  EXPECT_EQ(SnsSubject("Straße — „Grüße” … Œuvre"), "Strasse - \"Grusse\" ... OEuvre");
}

TEST(SnsSubject, AReferenceSubjectCutAfterItsCommaKeepsItsTrailingSpace) {
  // The reference publishes subject[:100] as it is, and its joined subjects can be cut right
  // after ", " (3 of the 120 golden runs in tests/fixtures/trends_run_vectors.jsonl).
  const std::string cut = "Alerts: AAPL:SELL, Alerts: ";
  EXPECT_EQ(SnsSubject(cut), cut);
  EXPECT_EQ(SnsSubject("Alerts: AAPL:SELL,  "), "Alerts: AAPL:SELL, ");
}

TEST(SnsSubject, LineBreaksAndControlsBecomeOneSpaceAndOthersAreDropped) {
  EXPECT_EQ(SnsSubject("  \n📉 Stock\r\n\tAlert\x01 — AAPL  \n"), "Stock Alert - AAPL");
  EXPECT_EQ(SnsSubject("bad \xC3\x28 utf8 \xFF!"), "bad ( utf8 !");
  for (const char* s : {"", "   ", "📉📈", "\n\r\t", "\xFF\xFE"}) {
    const std::string subject = SnsSubject(s);
    EXPECT_TRUE(IsSnsSubject(subject)) << subject;
  }
}

TEST(SnsSubject, CutToOneHundredCharactersEvenWhenTransliterationGrows) {
  std::string long_ascii(250, 'x');
  EXPECT_EQ(SnsSubject(long_ascii), std::string(kSnsMaxSubjectChars, 'x'));
  // 'ß' -> "ss": 80 of them are 160 ASCII characters.
  std::string sharp_s;
  for (int i = 0; i < 80; ++i) sharp_s += "ß";
  const std::string cut = SnsSubject(sharp_s);
  EXPECT_EQ(cut, std::string(kSnsMaxSubjectChars, 's'));
  // A word boundary at the limit leaves no trailing space.
  const std::string spaced = SnsSubject(std::string(99, 'a') + " bcd");
  EXPECT_EQ(spaced, std::string(99, 'a'));
  EXPECT_TRUE(IsSnsSubject(spaced));
}

TEST(SnsMessage, KeepsValidTextAndRepairsInvalidBytes) {
  const std::string polish = PolishText(1000);
  EXPECT_EQ(SnsMessage(polish), polish);
  EXPECT_EQ(SnsMessage("a\xFF"
                       "b\xC3"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_FALSE(SnsMessage("").empty());
}

TEST(SnsMessage, CutsOnACharacterBoundaryWithAVisibleMarker) {
  const std::string polish = PolishText(400'000);
  const std::string cut = SnsMessage(polish);
  EXPECT_LE(cut.size(), kSnsMaxMessageBytes);
  EXPECT_GT(cut.size(), kSnsMaxMessageBytes - 200);
  EXPECT_TRUE(ValidUtf8(cut));
  const std::size_t marker = cut.find("truncated");
  ASSERT_NE(marker, std::string::npos);
  EXPECT_NE(cut.find(std::to_string(polish.size())), std::string::npos);
  const std::size_t kept = cut.rfind("\n\n[", marker);
  ASSERT_NE(kept, std::string::npos);
  EXPECT_EQ(cut.substr(0, kept), polish.substr(0, kept));
  // Exactly at the limit nothing is cut.
  std::string exact(kSnsMaxMessageBytes, 'z');
  EXPECT_EQ(SnsMessage(exact), exact);
}

// A topic with one SQS queue subscribed, on a fresh fauxqs. fauxqs delivers SNS only to SQS
// subscriptions and speaks SQS' JSON protocol (x-amz-json-1.0, `AmazonSQS.<Op>`).
class SnsOnFauxqs : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto options = [&](aws::Service service) {
      aws::ClientOptions o;
      o.service = service;
      o.region = "us-east-1";
      o.endpoint = peer_.endpoint();
      o.credentials = aws::StaticCredentials({"test", "test", "", "test"});
      o.retry.max_attempts = 2;
      return o;
    };
    sns_options_ = options(aws::kSns);
    sns_ = std::make_unique<aws::Client>(sns_options_);
    sqs_ = std::make_unique<aws::Client>(options(aws::kSqs));

    auto topic = sns_->CallQuery("CreateTopic", "2010-03-31", {{"Name", "stock-alerts"}});
    ASSERT_TRUE(topic) << topic.error();
    topic_arn_ = Between(*topic, "<TopicArn>", "</TopicArn>");
    ASSERT_FALSE(topic_arn_.empty()) << *topic;

    auto queue = Sqs("CreateQueue", {{"QueueName", "alerts-inbox"}});
    queue_url_ = queue["QueueUrl"];
    auto attributes =
        Sqs("GetQueueAttributes", {{"QueueUrl", queue_url_}, {"AttributeNames", {"QueueArn"}}});
    const std::string queue_arn = attributes["Attributes"]["QueueArn"];
    auto subscribed =
        sns_->CallQuery("Subscribe", "2010-03-31",
                        {{"TopicArn", topic_arn_}, {"Protocol", "sqs"}, {"Endpoint", queue_arn}});
    ASSERT_TRUE(subscribed) << subscribed.error();
  }

  static std::string Between(const std::string& text, std::string_view open,
                             std::string_view close) {
    const std::size_t a = text.find(open);
    const std::size_t b = text.find(close);
    if (a == std::string::npos || b == std::string::npos || b < a) return "";
    return text.substr(a + open.size(), b - a - open.size());
  }

  nlohmann::json Sqs(std::string_view operation, const nlohmann::json& request) {
    auto reply = sqs_->CallJson("AmazonSQS", operation, request.dump(), "1.0");
    EXPECT_TRUE(reply) << reply.error();
    return reply ? nlohmann::json::parse(*reply) : nlohmann::json::object();
  }

  // The SNS envelope of the one message in the queue (WaitTimeSeconds is SQS long polling: the
  // server answers as soon as a message is there).
  nlohmann::json ReceiveOne() {
    auto reply =
        Sqs("ReceiveMessage",
            {{"QueueUrl", queue_url_}, {"MaxNumberOfMessages", 10}, {"WaitTimeSeconds", 2}});
    if (!reply.contains("Messages") || reply["Messages"].size() != 1) {
      ADD_FAILURE() << "expected one message, got " << reply.dump().substr(0, 500);
      return nlohmann::json::object();
    }
    return nlohmann::json::parse(reply["Messages"][0]["Body"].get<std::string>());
  }

  SnsNotifier Notifier(std::string topic_arn) {
    return SnsNotifier(SnsOptions{sns_options_, std::move(topic_arn)});
  }

  testing::Peer peer_{"fauxqs"};
  aws::ClientOptions sns_options_;
  std::unique_ptr<aws::Client> sns_, sqs_;
  std::string topic_arn_, queue_url_;
};

TEST_F(SnsOnFauxqs, PolishBodyArrivesByteExactWithItsSubject) {
  SnsNotifier notifier = Notifier(topic_arn_);
  const std::string body = PolishText(3000) + "📉 Stock Alert — AAPL\n";
  AlertMessage message{MessageKind::kSignals, "Alerty: AAPL:KUPUJ, MSFT:SPRZEDAJ", body, 0};
  ASSERT_TRUE(notifier.Send(message).ok());
  const auto envelope = ReceiveOne();
  EXPECT_EQ(envelope.value("TopicArn", ""), topic_arn_);
  EXPECT_EQ(envelope.value("Subject", ""), "Alerty: AAPL:KUPUJ, MSFT:SPRZEDAJ");
  EXPECT_EQ(envelope.value("Message", ""), body);
  EXPECT_EQ(notifier.client().Stats().at("Publish").calls, 1u);
}

TEST_F(SnsOnFauxqs, LongAndNonAsciiSubjectArrivesCutAndTransliterated) {
  SnsNotifier notifier = Notifier(topic_arn_);
  std::string subject = "Alerty: ";
  for (int i = 0; i < 30; ++i) subject += "ŻÓŁW:KUPUJ, ";
  ASSERT_TRUE(notifier.Send({MessageKind::kSignals, subject, "treść", 0}).ok());
  const auto envelope = ReceiveOne();
  const std::string arrived = envelope.value("Subject", "");
  EXPECT_EQ(arrived.size(), kSnsMaxSubjectChars);
  EXPECT_TRUE(IsSnsSubject(arrived)) << arrived;
  EXPECT_EQ(arrived.substr(0, 24), "Alerty: ZOLW:KUPUJ, ZOLW");
  EXPECT_EQ(envelope.value("Message", ""), "treść");
}

TEST_F(SnsOnFauxqs, HugeBodyIsCutUnderTheLimitSnsEnforces) {
  SnsNotifier notifier = Notifier(topic_arn_);
  const std::string body = PolishText(600'000);
  // fauxqs, like SNS, refuses a Message over 262,144 bytes: the cut is what lets it through.
  ASSERT_TRUE(notifier.Send({MessageKind::kSignals, "Alerts: big", body, 0}).ok());
  const std::string arrived = ReceiveOne().value("Message", "");
  EXPECT_LE(arrived.size(), kSnsMaxMessageBytes);
  EXPECT_GT(arrived.size(), kSnsMaxMessageBytes - 200);
  EXPECT_TRUE(ValidUtf8(arrived));
  const std::size_t kept = arrived.rfind("\n\n[");
  ASSERT_NE(kept, std::string::npos);
  EXPECT_EQ(arrived.substr(0, kept), body.substr(0, kept));
  EXPECT_NE(arrived.find("truncated", kept), std::string::npos);

  // Sent as is, the same body is refused by the emulator: the limit is real.
  auto raw =
      sns_->CallQuery("Publish", "2010-03-31", {{"TopicArn", topic_arn_}, {"Message", body}});
  EXPECT_FALSE(raw);
}

TEST_F(SnsOnFauxqs, UnknownTopicIsAnErrorNamingIt) {
  const std::string missing = "arn:aws:sns:us-east-1:000000000000:no-such-topic";
  SnsNotifier notifier = Notifier(missing);
  Status s = notifier.Send({MessageKind::kSignals, "Alerts: X", "body", 0});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no-such-topic"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("NotFound"), std::string::npos) << s.message();
  EXPECT_FALSE(Notifier("").Send({MessageKind::kSignals, "s", "b", 0}).ok());
}

}  // namespace
}  // namespace stockpipe
