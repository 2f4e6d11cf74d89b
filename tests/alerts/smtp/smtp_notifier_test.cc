// The SMTP channel against a real SMTP server: the `smtp-server` npm package (3.21.6) run as a
// sink by tests/peers/start.mjs, which stores each accepted message (raw DATA bytes + envelope)
// before it answers 250. So a Send that returned OK finds its files at once, and a failed one
// must have left none. The e-mail is read back and decoded here independently of the sender
// (RFC 2047 words and the body through Base64Decode).
#include "alerts/smtp/smtp_notifier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "alerts/smtp/test_pki.h"
#include "codec/base64.h"
#include "support/peers.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Peer;

const std::string kPolishSubject = "Sygnały: KUP AAPL 📈 zażółć gęślą jaźń";
const std::string kPassword = "s3cret-Pa55word";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A real alert text in Polish (from the shared pct_sma fixtures), LF line ends.
std::string AlertBody() {
  return ReadFile(fs::path(STOCKPIPE_TESTS_DIR) / "alerts" / "smtp" / "data" / "alert_pl.txt");
}

std::string WithCrlf(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
  return out;
}

struct Mail {
  std::string raw;
  json envelope;
  std::vector<std::string> lines;                   // raw lines, CRLF removed
  std::multimap<std::string, std::string> headers;  // unfolded, name lower-case
  std::string body;                                 // raw body part (base64 text)
};

// Splits the message as a mail reader would: header lines unfolded, then the body.
Mail ParseMail(const std::string& raw) {
  Mail mail;
  mail.raw = raw;
  std::size_t at = 0;
  bool in_headers = true;
  std::string current;
  while (at < raw.size()) {
    const std::size_t end = raw.find("\r\n", at);
    const std::string line =
        raw.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? raw.size() : end + 2;
    mail.lines.push_back(line);
    if (!in_headers) {
      mail.body += line;
      continue;
    }
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      current += line;  // unfolding removes only the CRLF
      continue;
    }
    if (!current.empty()) {
      const std::size_t colon = current.find(':');
      std::string name = current.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = current.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      mail.headers.emplace(name, value);
    }
    current = line;
    if (line.empty()) in_headers = false;
  }
  return mail;
}

std::string Header(const Mail& mail, const std::string& name) {
  const auto it = mail.headers.find(name);
  return it == mail.headers.end() ? "<missing>" : it->second;
}

// RFC 2047: each =?UTF-8?B?...?= word decoded; whitespace between two words is dropped, other
// text is kept as is.
std::string DecodeWords(const std::string& value, std::vector<std::string>* words = nullptr) {
  static const std::regex kWord(R"(=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=)", std::regex::icase);
  std::string out;
  std::size_t last = 0;
  bool previous_was_word = false;
  for (auto it = std::sregex_iterator(value.begin(), value.end(), kWord);
       it != std::sregex_iterator(); ++it) {
    const std::string between = value.substr(last, it->position() - last);
    if (!(previous_was_word && between.find_first_not_of(" \t") == std::string::npos)) {
      out += between;
    }
    const auto decoded = Base64Decode((*it)[1].str());
    EXPECT_TRUE(decoded.ok()) << "bad base64 in " << it->str();
    if (decoded.ok()) out += *decoded;
    if (words) words->push_back(it->str());
    last = it->position() + it->length();
    previous_was_word = true;
  }
  return out + value.substr(last);
}

// True when `bytes` is complete UTF-8 on its own (no sequence cut at either end).
bool IsWholeUtf8(const std::string& bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    const std::size_t n = b < 0x80             ? 1
                          : (b & 0xE0) == 0xC0 ? 2
                          : (b & 0xF0) == 0xE0 ? 3
                          : (b & 0xF8) == 0xF0 ? 4
                                               : 0;
    if (n == 0 || i + n > bytes.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// This host's name as an EHLO argument may carry it (letters, digits, '-' and '.').
std::string LocalHostName() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  std::string out;
  for (const char* c = name; *c; ++c) {
    if (std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' || *c == '.') out += *c;
  }
  return out;
}

class SmtpNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mail_dir_ = root_ / "mail";
    fs::create_directories(mail_dir_);
  }

  // The sink with `options` (see tests/peers/start.mjs), writing into mail_dir_.
  std::unique_ptr<Peer> StartSink(const std::vector<std::string>& options = {}) {
    return std::make_unique<Peer>("smtp-server", mail_dir_.string(), options);
  }
  testing::TestPki Pki() { return testing::MakeTestPki(root_.string()); }

  SmtpOptions Options(const Peer& sink, bool require_tls = false) {
    SmtpOptions options;
    options.url = "smtp://127.0.0.1:" + std::to_string(sink.port());
    options.from = "Stockpipe <alerts@example.com>";
    options.to = {"ops@example.com"};
    options.require_tls = require_tls;
    options.timeout_ms = 20'000;
    return options;
  }

  std::size_t Delivered() const {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(mail_dir_)) {
      n += entry.path().extension() == ".eml";
    }
    return n;
  }
  Mail Read(int n) const {
    Mail mail = ParseMail(ReadFile(mail_dir_ / (std::to_string(n) + ".eml")));
    mail.envelope = json::parse(ReadFile(mail_dir_ / (std::to_string(n) + ".json")));
    return mail;
  }

  AlertMessage Alert() const {
    return AlertMessage{MessageKind::kSignals, kPolishSubject, AlertBody(),
                        1'755'182'292'000'000};  // 2025-08-14T14:38:12Z
  }

  testing::TempDir temp_;
  fs::path root_ = temp_.path();
  fs::path mail_dir_;
};

TEST_F(SmtpNotifierTest, HeadersAreWellFormedAndPolishTextArrivesIntact) {
  auto sink = StartSink();
  SmtpNotifier notifier(Options(*sink));
  EXPECT_EQ(notifier.Name(), "smtp");
  const AlertMessage alert = Alert();
  const Status sent = notifier.Send(alert);
  ASSERT_TRUE(sent) << sent.message();
  const Mail mail = Read(1);

  // Lines: CRLF only (the split above leaves no CR behind), none over 76 characters.
  EXPECT_EQ(mail.raw.substr(mail.raw.size() - 2), "\r\n");
  for (const std::string& line : mail.lines) {
    EXPECT_EQ(line.find_first_of("\r\n"), std::string::npos);
    EXPECT_LE(line.size(), 76u) << line;
  }
  EXPECT_EQ(Header(mail, "date"), "Thu, 14 Aug 2025 14:38:12 +0000");
  EXPECT_EQ(Header(mail, "from"), "Stockpipe <alerts@example.com>");
  EXPECT_EQ(Header(mail, "to"), "ops@example.com");
  EXPECT_TRUE(
      std::regex_match(Header(mail, "message-id"), std::regex(R"(<[^<>@\s]+@example\.com>)")))
      << Header(mail, "message-id");
  EXPECT_EQ(Header(mail, "mime-version"), "1.0");
  EXPECT_EQ(Header(mail, "content-type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(Header(mail, "content-transfer-encoding"), "base64");

  // Subject: only encoded-words of at most 75 characters, each holding whole characters.
  std::vector<std::string> words;
  EXPECT_EQ(DecodeWords(Header(mail, "subject"), &words), kPolishSubject);
  ASSERT_FALSE(words.empty());
  for (const std::string& word : words) {
    EXPECT_LE(word.size(), 75u);
    EXPECT_TRUE(IsWholeUtf8(DecodeWords(word))) << word;
  }

  // Body: the alert's UTF-8 bytes, line breaks in text/plain's canonical CRLF.
  const auto body = Base64Decode(mail.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, WithCrlf(alert.body));

  // Envelope: bare address, and EHLO carries this host's name (libcurl's default would not).
  EXPECT_EQ(mail.envelope["mailFrom"], "alerts@example.com");
  EXPECT_EQ(mail.envelope["rcptTo"], json::array({"ops@example.com"}));
  EXPECT_EQ(mail.envelope["ehlo"], LocalHostName());
  EXPECT_EQ(mail.envelope["secure"], false);

  ASSERT_TRUE(notifier.Send(alert));
  EXPECT_NE(Header(Read(2), "message-id"), Header(mail, "message-id"));
}

TEST_F(SmtpNotifierTest, LongSubjectFoldsIntoWordsThatNeverSplitACharacter) {
  auto sink = StartSink();
  SmtpNotifier notifier(Options(*sink));
  // 100 characters (the subject cap) of 1-, 2-, 3- and 4-byte sequences: words must cut somewhere.
  std::string subject;
  const std::vector<std::string> pieces = {"a", "ż", "€", "📈", " ", "ł", "🚀", "Q"};
  for (int i = 0; i < 100; ++i) subject += pieces[i % pieces.size()];
  ASSERT_TRUE(notifier.Send({MessageKind::kSignals, subject, "x", 0}));
  const Mail mail = Read(1);
  std::vector<std::string> words;
  EXPECT_EQ(DecodeWords(Header(mail, "subject"), &words), subject);
  EXPECT_GT(words.size(), 3u);
  for (const std::string& word : words) {
    EXPECT_LE(word.size(), 75u);
    EXPECT_TRUE(IsWholeUtf8(DecodeWords(word))) << word;
  }
  for (const std::string& line : mail.lines) EXPECT_LE(line.size(), 76u) << line;
}

TEST_F(SmtpNotifierTest, AsciiSubjectGoesAsIs) {
  auto sink = StartSink();
  SmtpNotifier notifier(Options(*sink));
  ASSERT_TRUE(notifier.Send({MessageKind::kNoData, "Alerts: SYM0:BUY", "body", 0}));
  EXPECT_EQ(Header(Read(1), "subject"), "Alerts: SYM0:BUY");
}

TEST_F(SmtpNotifierTest, LineBreaksInTheSubjectCannotAddHeaders) {
  auto sink = StartSink();
  SmtpNotifier notifier(Options(*sink));
  ASSERT_TRUE(notifier.Send({MessageKind::kSignals, "Hi\r\nBcc: evil@example.net", "body", 0}));
  const Mail mail = Read(1);
  EXPECT_EQ(mail.headers.count("bcc"), 0u);
  EXPECT_EQ(mail.raw.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(DecodeWords(Header(mail, "subject")), "Hi  Bcc: evil@example.net");
  EXPECT_EQ(mail.envelope["rcptTo"], json::array({"ops@example.com"}));
}

TEST_F(SmtpNotifierTest, EveryRecipientIsInTheEnvelopeAndTheToHeader) {
  auto sink = StartSink();
  SmtpOptions options = Options(*sink);
  options.from = "alerts@example.com";
  options.to = {"Zażółć Gęślą <trader@example.com>", "ops@example.org",
                "\"Risk, Desk\" <risk@example.net>"};
  SmtpNotifier notifier(options);
  ASSERT_TRUE(notifier.Send(Alert()));
  const Mail mail = Read(1);
  EXPECT_EQ(mail.envelope["rcptTo"],
            json::array({"trader@example.com", "ops@example.org", "risk@example.net"}));
  EXPECT_EQ(Header(mail, "from"), "alerts@example.com");
  EXPECT_EQ(
      DecodeWords(Header(mail, "to")),
      "Zażółć Gęślą <trader@example.com>, ops@example.org, \"Risk, Desk\" <risk@example.net>");
  EXPECT_TRUE(std::regex_match(Header(mail, "message-id"), std::regex(R"(<\S+@example\.com>)")));
}

TEST_F(SmtpNotifierTest, LogsInOverStartTlsVerifiedAgainstTheGivenCa) {
  const auto pki = Pki();
  auto sink = StartSink({"--auth", "trader:" + kPassword, "--starttls", pki.cert, pki.key});
  SmtpOptions options = Options(*sink, /*require_tls=*/true);
  options.ca_bundle = pki.ca;
  options.username = "trader";
  options.password = kPassword;
  SmtpNotifier notifier(options);
  const Status sent = notifier.Send(Alert());
  ASSERT_TRUE(sent) << sent.message();
  const Mail mail = Read(1);
  EXPECT_EQ(mail.envelope["secure"], true);
  EXPECT_EQ(mail.envelope["user"], "trader");
  EXPECT_EQ(DecodeWords(Header(mail, "subject")), kPolishSubject);
}

TEST_F(SmtpNotifierTest, WrongPasswordIsAClearErrorThatNeverShowsThePassword) {
  const auto pki = Pki();
  auto sink = StartSink({"--auth", "trader:" + kPassword, "--starttls", pki.cert, pki.key});
  SmtpOptions options = Options(*sink, /*require_tls=*/true);
  options.ca_bundle = pki.ca;
  options.username = "trader";
  options.password = "wrong-Pa55word";
  const Status sent = SmtpNotifier(options).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("535"), std::string::npos) << sent.message();
  EXPECT_NE(sent.message().find("SMTP_PASSWORD"), std::string::npos) << sent.message();
  EXPECT_NE(sent.message().find("smtp://127.0.0.1:" + std::to_string(sink->port())),
            std::string::npos)
      << sent.message();
  EXPECT_EQ(sent.message().find("wrong-Pa55word"), std::string::npos) << sent.message();
  EXPECT_EQ(sent.message().find(Base64Encode(std::string("\0trader\0wrong-Pa55word", 21))),
            std::string::npos);
  EXPECT_EQ(Delivered(), 0u);
}

TEST_F(SmtpNotifierTest, UnknownCaFailsTheHandshakeBecauseVerificationStaysOn) {
  const auto pki = Pki();
  auto sink = StartSink({"--starttls", pki.cert, pki.key});
  const Status sent = SmtpNotifier(Options(*sink, /*require_tls=*/true)).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("TLS"), std::string::npos) << sent.message();
  EXPECT_EQ(Delivered(), 0u);
}

TEST_F(SmtpNotifierTest, ImplicitTlsWithSmtps) {
  const auto pki = Pki();
  auto sink = StartSink({"--implicit-tls", pki.cert, pki.key});
  SmtpOptions options = Options(*sink, /*require_tls=*/true);
  options.url = "smtps://127.0.0.1:" + std::to_string(sink->port()) + "/";
  options.ca_bundle = pki.ca;
  const Status sent = SmtpNotifier(options).Send(Alert());
  ASSERT_TRUE(sent) << sent.message();
  EXPECT_EQ(Read(1).envelope["secure"], true);
  EXPECT_EQ(Read(1).envelope["ehlo"], LocalHostName());
}

TEST_F(SmtpNotifierTest, RequiredTlsAgainstAPlainServerSendsNothing) {
  auto sink = StartSink({"--auth", "trader:" + kPassword});
  SmtpOptions options = Options(*sink, /*require_tls=*/true);
  options.username = "trader";
  options.password = kPassword;
  const Status sent = SmtpNotifier(options).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("STARTTLS"), std::string::npos) << sent.message();
  EXPECT_EQ(sent.message().find(kPassword), std::string::npos);
  EXPECT_EQ(Delivered(), 0u);
}

TEST_F(SmtpNotifierTest, ARefusedRecipientFailsTheSendAndIsNamed) {
  auto sink = StartSink({"--refuse", "gone@example.com"});
  SmtpOptions options = Options(*sink);
  options.to = {"ops@example.com", "Gone <gone@example.com>", "risk@example.com"};
  const Status sent = SmtpNotifier(options).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("RCPT TO:<gone@example.com>"), std::string::npos) << sent.message();
  EXPECT_NE(sent.message().find("550"), std::string::npos) << sent.message();
  EXPECT_EQ(Delivered(), 0u);
}

TEST_F(SmtpNotifierTest, ServerDownIsAnErrorNamingTheServer) {
  auto sink = StartSink();
  const SmtpOptions options = Options(*sink);
  sink->Stop();  // the port was just free, and nothing listens there now
  const Status sent = SmtpNotifier(options).Send(Alert());
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find(options.url), std::string::npos) << sent.message();
}

TEST(ValidateSmtpOptions, NamesTheFieldAtFault) {
  SmtpOptions good;
  good.url = "smtps://mail.example.com:465";
  good.from = "Stockpipe <alerts@example.com>";
  good.to = {"ops@example.com", "Zażółć <z@example.pl>"};
  EXPECT_TRUE(ValidateSmtpOptions(good)) << ValidateSmtpOptions(good).message();

  const auto error = [&](auto change) {
    SmtpOptions options = good;
    change(options);
    const Status status = ValidateSmtpOptions(options);
    EXPECT_FALSE(status);
    return status.message();
  };
  EXPECT_NE(error([](auto& o) { o.url = "https://mail.example.com"; }).find("smtp.url"),
            std::string::npos);
  EXPECT_NE(error([](auto& o) { o.url = "not a url"; }).find("smtp.url"), std::string::npos);
  const std::string with_credentials =
      error([](auto& o) { o.url = "smtp://me:hunter2@mail.example.com:587"; });
  EXPECT_NE(with_credentials.find("SMTP_PASSWORD"), std::string::npos);
  EXPECT_EQ(with_credentials.find("hunter2"), std::string::npos);
  EXPECT_NE(error([](auto& o) { o.from = "alerts@example.com\r\nBcc: x@y.z"; }).find("smtp.from"),
            std::string::npos);
  EXPECT_NE(error([](auto& o) { o.from = "no-at-sign"; }).find("smtp.from"), std::string::npos);
  EXPECT_NE(error([](auto& o) { o.to.push_back("x@y.z\nBcc: evil@x.y"); }).find("smtp.to[3]"),
            std::string::npos);
  EXPECT_NE(error([](auto& o) { o.to[1] = "Name <a b@example.com>"; }).find("smtp.to[2]"),
            std::string::npos);
  EXPECT_NE(error([](auto& o) { o.to.clear(); }).find("smtp.to"), std::string::npos);
  EXPECT_NE(error([](auto& o) { o.username = "me"; }).find("SMTP_PASSWORD"), std::string::npos);
  EXPECT_NE(error([](auto& o) { o.timeout_ms = 0; }).find("timeout"), std::string::npos);
}

TEST(SmtpNotifier, InvalidOptionsAreRefusedAtSendWithoutAConnection) {
  SmtpOptions options;
  options.url = "smtp://127.0.0.1:1";
  options.from = "alerts@example.com";
  options.to = {"ops@example.com\r\nBcc: evil@example.net"};
  const Status sent = SmtpNotifier(options).Send({MessageKind::kSignals, "s", "b", 0});
  ASSERT_FALSE(sent);
  EXPECT_NE(sent.message().find("smtp.to[1]"), std::string::npos) << sent.message();
}

}  // namespace
}  // namespace stockpipe
