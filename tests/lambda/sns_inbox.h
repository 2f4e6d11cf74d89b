// An SNS topic on a running fauxqs with one SQS queue subscribed, so a test can read back what was
// published (fauxqs delivers SNS only to SQS subscriptions; SQS speaks JSON 1.0 there).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/client.h"

namespace stockpipe::testing {

inline aws::ClientOptions LocalClientOptions(aws::Service service, const std::string& endpoint) {
  aws::ClientOptions o;
  o.service = service;
  o.region = "eu-central-1";
  o.endpoint = endpoint;
  // s3rver insists on this key; others take any.
  o.credentials = aws::StaticCredentials({"S3RVER", "S3RVER", "", "test"});
  o.retry.max_attempts = 3;
  return o;
}

class SnsInbox {
 public:
  SnsInbox(const std::string& endpoint, const std::string& topic_name)
      : sns_(LocalClientOptions(aws::kSns, endpoint)),
        sqs_(LocalClientOptions(aws::kSqs, endpoint)) {
    auto topic = sns_.CallQuery("CreateTopic", "2010-03-31", {{"Name", topic_name}});
    if (!topic) throw std::runtime_error("CreateTopic: " + topic.error());
    const std::size_t a = topic->find("<TopicArn>"), b = topic->find("</TopicArn>");
    if (a == std::string::npos || b == std::string::npos) throw std::runtime_error(*topic);
    topic_arn_ = topic->substr(a + 10, b - a - 10);
    queue_url_ = Sqs("CreateQueue", {{"QueueName", topic_name + "-inbox"}})["QueueUrl"];
    const std::string arn =
        Sqs("GetQueueAttributes",
            {{"QueueUrl", queue_url_}, {"AttributeNames", {"QueueArn"}}})["Attributes"]["QueueArn"];
    auto sub = sns_.CallQuery("Subscribe", "2010-03-31",
                              {{"TopicArn", topic_arn_}, {"Protocol", "sqs"}, {"Endpoint", arn}});
    if (!sub) throw std::runtime_error("Subscribe: " + sub.error());
  }

  const std::string& topic_arn() const { return topic_arn_; }

  // SNS envelopes (`Subject`, `Message`, ...) waiting in the queue; SQS long polling answers as
  // soon as one is there, an empty queue after `wait_seconds`.
  std::vector<nlohmann::json> Receive(int wait_seconds = 1) {
    auto reply = Sqs(
        "ReceiveMessage",
        {{"QueueUrl", queue_url_}, {"MaxNumberOfMessages", 10}, {"WaitTimeSeconds", wait_seconds}});
    std::vector<nlohmann::json> out;
    if (reply.contains("Messages")) {
      for (const auto& m : reply["Messages"]) {
        out.push_back(nlohmann::json::parse(m["Body"].get<std::string>()));
      }
    }
    return out;
  }

 private:
  nlohmann::json Sqs(std::string_view operation, const nlohmann::json& request) {
    auto reply = sqs_.CallJson("AmazonSQS", operation, request.dump(), "1.0");
    if (!reply) throw std::runtime_error(std::string(operation) + ": " + reply.error());
    return nlohmann::json::parse(*reply);
  }

  aws::Client sns_, sqs_;
  std::string topic_arn_, queue_url_;
};

}  // namespace stockpipe::testing
