// Test helpers: the Telegram Bot API and a Discord webhook, served on 127.0.0.1 by cpp-httplib.
//
// No real Telegram or Discord exists here, so these speak the documented protocols instead:
//  - Telegram (core.telegram.org/bots/api): POST /bot<token>/sendMessage with JSON chat_id and
//    text; {"ok":true,"result":{...}} on success; {"ok":false,"error_code":N,"description":...}
//    otherwise: 401 "Unauthorized" for another token, 400 "Bad Request: chat not found", 400
//    "Bad Request: message is too long" over 4,096 UTF-16 code units, 429 "Too Many Requests:
//    retry after N" with "parameters":{"retry_after":N}.
//  - Discord (discord.com/developers/docs/resources/webhook#execute-webhook): POST
//    /api/webhooks/<id>/<token> with JSON content; 204 on success; 404 {"message": "Unknown
//    Webhook", "code": 10015} for another path; 400 "Invalid Form Body" over 2,000 characters;
//    429 {"message": "You are being rate limited.", "retry_after": 1.5, "global": false} with a
//    Retry-After header (whole seconds, rounded up).
// Both count characters themselves (UTF-16 code units), independently of the code under test.
// Each request is recorded inside the handler, before the answer.
#pragma once

#include <fmt/format.h>
#include <httplib.h>

#include <cmath>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/loopback_http.h"

namespace stockpipe::testing {

// UTF-16 code units of well-formed UTF-8 (what both services count).
inline std::size_t CountUtf16(std::string_view text) {
  std::size_t units = 0;
  for (unsigned char b : text) {
    if ((b & 0xC0) != 0x80) units += b >= 0xF0 ? 2 : 1;
  }
  return units;
}

// A scripted answer for one coming request; status 0 lets it through as usual.
struct ChatFailure {
  int status = 429;
  double retry_after = 0;  // seconds, for 429
  std::string description;
};

class FakeTelegram {
 public:
  struct Message {
    std::string chat;  // chat_id as text, whether it came as a number or a string
    bool numeric = false;
    std::string text;
  };

  explicit FakeTelegram(std::string token) : token_(std::move(token)) {
    http_.server().Post(R"(/bot([^/]*)/sendMessage)", [this](const httplib::Request& req,
                                                             httplib::Response& res) {
      std::lock_guard lock(mutex_);
      ++requests_;
      paths_.push_back(req.path);
      if (on_request_) on_request_(requests_);
      const auto answer = [&](int status, nlohmann::json body) {
        res.status = status;
        res.set_content(body.dump(), "application/json");
      };
      const auto refuse = [&](int code, const std::string& description,
                              nlohmann::json parameters = nullptr) {
        nlohmann::json body = {{"ok", false}, {"error_code", code}, {"description", description}};
        if (!parameters.is_null()) body["parameters"] = parameters;
        answer(code, body);
      };
      if (req.matches[1].str() != token_) return refuse(401, "Unauthorized");
      const auto doc = nlohmann::json::parse(req.body, nullptr, false);
      if (!doc.is_object() || !doc.contains("chat_id") || !doc.contains("text") ||
          !doc["text"].is_string()) {
        return refuse(400, "Bad Request: message text is empty");
      }
      Message m;
      m.numeric = doc["chat_id"].is_number_integer();
      m.chat = m.numeric ? std::to_string(doc["chat_id"].get<std::int64_t>())
                         : doc["chat_id"].get<std::string>();
      m.text = doc["text"].get<std::string>();
      if (!script_.empty() && script_.front().status == 0) {
        script_.pop_front();
      } else if (!script_.empty()) {
        const ChatFailure f = script_.front();
        script_.pop_front();
        if (f.status == 429) {
          const auto seconds = static_cast<long>(std::ceil(f.retry_after));
          return refuse(429, fmt::format("Too Many Requests: retry after {}", seconds),
                        {{"retry_after", seconds}});
        }
        return refuse(f.status, f.description);
      }
      if (unknown_chats_.count(m.chat)) return refuse(400, "Bad Request: chat not found");
      if (m.text.empty()) return refuse(400, "Bad Request: message text is empty");
      if (CountUtf16(m.text) > 4096) return refuse(400, "Bad Request: message is too long");
      accepted_.push_back(m);
      answer(200, {{"ok", true},
                   {"result",
                    {{"message_id", accepted_.size()},
                     {"chat", {{"id", m.chat}}},
                     {"date", 1755182292},
                     {"text", m.text}}}});
    });
    http_.Start();
  }

  // The next requests (after any already scripted) get these answers, in order: taken as
  // usual, refused with a status and description, or 429 with retry_after.
  void PassNext() { Script({0, 0, ""}); }
  void RefuseNext(int status, std::string description) {
    Script({status, 0, std::move(description)});
  }
  void RateLimitNext(double seconds) { Script({429, seconds, ""}); }
  // Called inside the handler with the request's number (1, 2, ...), before it is answered.
  void OnRequest(std::function<void(int)> hook) {
    std::lock_guard lock(mutex_);
    on_request_ = std::move(hook);
  }
  void UnknownChat(std::string chat) {
    std::lock_guard lock(mutex_);
    unknown_chats_.insert(std::move(chat));
  }
  std::vector<Message> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  // What `chat` received, concatenated in order.
  std::string TextOf(const std::string& chat) {
    std::string out;
    for (const Message& m : accepted()) {
      if (m.chat == chat) out += m.text;
    }
    return out;
  }
  int requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::vector<std::string> paths() {
    std::lock_guard lock(mutex_);
    return paths_;
  }
  int port() const { return http_.port(); }
  std::string api_url() const { return http_.url(); }

 private:
  void Script(ChatFailure failure) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(failure));
  }

  const std::string token_;
  std::mutex mutex_;
  int requests_ = 0;
  std::vector<std::string> paths_;
  std::deque<ChatFailure> script_;
  std::function<void(int)> on_request_;
  std::set<std::string> unknown_chats_;
  std::vector<Message> accepted_;
  LoopbackHttp http_;
};

class FakeDiscord {
 public:
  explicit FakeDiscord(std::string path) : path_(std::move(path)) {
    http_.server().Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      ++requests_;
      bodies_.push_back(req.body);
      const auto answer = [&](int status, const nlohmann::json& body) {
        res.status = status;
        res.set_content(body.dump(), "application/json");
      };
      if (req.path != path_) return answer(404, {{"message", "Unknown Webhook"}, {"code", 10015}});
      const auto doc = nlohmann::json::parse(req.body, nullptr, false);
      if (!doc.is_object() || !doc.contains("content") || !doc["content"].is_string()) {
        return answer(400, {{"message", "Cannot send an empty message"}, {"code", 50006}});
      }
      const std::string content = doc["content"].get<std::string>();
      if (!script_.empty() && script_.front().status == 0) {
        script_.pop_front();
      } else if (!script_.empty()) {
        const ChatFailure f = script_.front();
        script_.pop_front();
        if (f.status == 429) {
          res.set_header("Retry-After",
                         std::to_string(static_cast<long>(std::ceil(f.retry_after))));
          return answer(429, {{"message", "You are being rate limited."},
                              {"retry_after", f.retry_after},
                              {"global", false}});
        }
        return answer(f.status, {{"message", f.description}, {"code", 0}});
      }
      if (content.empty()) {
        return answer(400, {{"message", "Cannot send an empty message"}, {"code", 50006}});
      }
      if (CountUtf16(content) > 2000) {
        nlohmann::json error = {{"code", "BASE_TYPE_MAX_LENGTH"},
                                {"message", "Must be 2000 or fewer in length."}};
        nlohmann::json body = {{"message", "Invalid Form Body"}, {"code", 50035}};
        body["errors"]["content"]["_errors"] = nlohmann::json::array({error});
        return answer(400, body);
      }
      accepted_.push_back(content);
      allowed_mentions_.push_back(doc.value("allowed_mentions", nlohmann::json()));
      res.status = 204;
    });
    http_.Start();
  }

  void PassNext() { Script({0, 0, ""}); }
  void RefuseNext(int status, std::string description) {
    Script({status, 0, std::move(description)});
  }
  void RateLimitNext(double seconds) { Script({429, seconds, ""}); }
  std::vector<std::string> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<nlohmann::json> allowed_mentions() {
    std::lock_guard lock(mutex_);
    return allowed_mentions_;
  }
  std::string Text() {
    std::string out;
    for (const std::string& part : accepted()) out += part;
    return out;
  }
  int requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int port() const { return http_.port(); }
  std::string url(std::string_view path) const { return http_.url(path); }
  std::string url() const { return http_.url(path_); }

 private:
  void Script(ChatFailure failure) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(failure));
  }

  const std::string path_;
  std::mutex mutex_;
  int requests_ = 0;
  std::vector<std::string> bodies_;
  std::deque<ChatFailure> script_;
  std::vector<std::string> accepted_;
  std::vector<nlohmann::json> allowed_mentions_;
  LoopbackHttp http_;
};

}  // namespace stockpipe::testing
