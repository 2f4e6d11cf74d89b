#include "alerts/smtp/smtp_notifier.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <mutex>

#include "alerts/smtp/mime.h"
#include "alerts/url_parts.h"

namespace stockpipe {
namespace {

constexpr std::string_view kNotAUrl =
    "smtp.url is not a URL (expected smtps://host:465 or smtp://host:587)";

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// What EHLO should say: libcurl takes it from the URL path, and without one it would send the
// path's empty file name (or whatever follows the last slash), which servers reject or log.
std::string LocalHostName() {
  char name[256] = {};
  std::string out;
  if (gethostname(name, sizeof name - 1) == 0) {
    for (const char* c = name; *c; ++c) {
      if (std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' || *c == '.') out += *c;
    }
  }
  return out.empty() ? "localhost" : out;
}

// The SMTP dialogue as far as an error message may repeat it: the last command (AUTH reduced to
// its mechanism, its continuation lines never kept), the server's last reply line, and the first
// command the server refused with its reply (libcurl still says QUIT after that).
struct Transcript {
  std::string command;
  std::string reply;
  std::string refused_command;
  std::string refusal;
  bool in_auth = false;
};

std::string FirstLine(const char* data, std::size_t size) {
  std::string_view line(data, size);
  line = line.substr(0, line.find_first_of("\r\n"));
  std::string out;
  for (char c : line.substr(0, 200)) out += (c < 0x20 || c == 0x7F) ? ' ' : c;
  return out;
}

int OnDebug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  auto& transcript = *static_cast<Transcript*>(user);
  if (type == CURLINFO_HEADER_IN) {
    transcript.reply = FirstLine(data, size);
    if (transcript.refusal.empty() && (transcript.reply[0] == '4' || transcript.reply[0] == '5')) {
      transcript.refused_command = transcript.command;
      transcript.refusal = transcript.reply;
    }
    // A final reply (code and a space) ends an AUTH exchange; "334 " asks for more of it.
    if (transcript.reply.rfind("334", 0) != 0) transcript.in_auth = false;
  } else if (type == CURLINFO_HEADER_OUT) {
    const std::string line = FirstLine(data, size);
    std::string verb = line.substr(0, line.find(' '));
    std::transform(verb.begin(), verb.end(), verb.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (transcript.in_auth) return 0;  // base64 credentials: never kept
    if (verb == "AUTH") {
      const std::size_t mechanism_end = line.find(' ', 5);
      transcript.command = line.substr(0, mechanism_end);
      transcript.in_auth = true;
    } else {
      transcript.command = line;
    }
  }
  return 0;
}

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t ReadUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& upload = *static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload.data.size() - upload.offset);
  std::memcpy(buffer, upload.data.data() + upload.offset, n);
  upload.offset += n;
  return n;
}

std::string DescribeFailure(CURLcode code, const char* curl_error, const Transcript& transcript) {
  const std::string detail = *curl_error ? curl_error : curl_easy_strerror(code);
  switch (code) {
    case CURLE_USE_SSL_FAILED:
      return "the server offers no STARTTLS and TLS is required, so nothing was sent (use "
             "smtps:// or a server with STARTTLS; require_tls = false allows plain text)";
    case CURLE_LOGIN_DENIED:
      return fmt::format("{} refused: \"{}\" (check SMTP_USERNAME and SMTP_PASSWORD)",
                         transcript.refused_command, transcript.refusal);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
      return fmt::format("TLS failed: {} (is the server's CA in the system store or ca_bundle?)",
                         detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
      return detail;
    default:
      break;
  }
  if (!transcript.refusal.empty()) {
    return fmt::format("{} refused: \"{}\" ({})", transcript.refused_command, transcript.refusal,
                       detail);
  }
  return transcript.reply.empty() ? detail
                                  : fmt::format("{} (last reply \"{}\")", detail, transcript.reply);
}

}  // namespace

Status ValidateSmtpOptions(const SmtpOptions& options) {
  auto url = SplitUrl(options.url, kNotAUrl);
  if (!url) return url.status();
  if (url->scheme != "smtp" && url->scheme != "smtps") {
    return Status::Error(fmt::format(
        "smtp.url must start with smtps:// (implicit TLS) or smtp:// (STARTTLS), not {}://",
        url->scheme));
  }
  if (url->host.empty()) return Status::Error("smtp.url has no host");
  if (!url->user.empty()) {
    return Status::Error(
        "smtp.url must not carry credentials: set SMTP_USERNAME and SMTP_PASSWORD instead");
  }
  if (HasLineBreak(options.url)) return Status::Error("smtp.url may not contain a line break");
  if (auto from = smtp::ParseMailbox(options.from); !from) {
    return Status::Error(fmt::format("smtp.from: {}", from.error()));
  }
  if (options.to.empty()) return Status::Error("smtp.to needs at least one recipient");
  for (std::size_t i = 0; i < options.to.size(); ++i) {
    if (auto to = smtp::ParseMailbox(options.to[i]); !to) {
      return Status::Error(fmt::format("smtp.to[{}]: {}", i + 1, to.error()));
    }
  }
  if (HasLineBreak(options.username)) {
    return Status::Error("SMTP_USERNAME may not contain a line break");
  }
  if (HasLineBreak(options.password)) {
    return Status::Error("SMTP_PASSWORD may not contain a line break");
  }
  if (options.username.empty() != options.password.empty()) {
    return Status::Error(options.username.empty()
                             ? "SMTP_PASSWORD is set but SMTP_USERNAME is not"
                             : "SMTP_USERNAME is set but SMTP_PASSWORD is not");
  }
  if (options.timeout_ms <= 0) return Status::Error("smtp timeout must be positive");
  return Status::Ok();
}

SmtpNotifier::SmtpNotifier(SmtpOptions options) : options_(std::move(options)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Status SmtpNotifier::Send(const AlertMessage& message) {
  // Checked on every send too: options that skipped config loading still cannot inject headers.
  if (Status status = ValidateSmtpOptions(options_); !status) return status;
  smtp::MessageParts parts;
  parts.from = *smtp::ParseMailbox(options_.from);
  for (const std::string& to : options_.to) parts.to.push_back(*smtp::ParseMailbox(to));
  parts.subject = message.subject;
  parts.body = message.body;
  parts.date = message.created > 0 ? message.created : NowMicros();
  parts.message_id = smtp::NewMessageId(smtp::DomainOf(parts.from.address));
  const std::string text = smtp::BuildMessage(parts);

  const UrlParts url = *SplitUrl(options_.url, kNotAUrl);
  const std::string origin = fmt::format("{}://{}:{}", url.scheme, url.host, url.port);
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> target(curl_url(), curl_url_cleanup);
  curl_url_set(target.get(), CURLUPART_URL, options_.url.c_str(), 0);
  if (url.path.empty() || url.path == "/") {
    curl_url_set(target.get(), CURLUPART_PATH, ("/" + LocalHostName()).c_str(), 0);
  }

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::Error(fmt::format("smtp {}: cannot create a libcurl handle", origin));
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(nullptr,
                                                                         curl_slist_free_all);
  for (const smtp::Mailbox& to : parts.to) {
    curl_slist* next = curl_slist_append(recipients.get(), fmt::format("<{}>", to.address).c_str());
    if (!next) return Status::Error("smtp: out of memory building the recipient list");
    recipients.release();
    recipients.reset(next);
  }
  const std::string mail_from = fmt::format("<{}>", parts.from.address);
  Upload upload{text};
  Transcript transcript;
  char curl_error[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_CURLU, target.get());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USE_SSL, options_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  // Debian's libcurl also searches CAPATH /etc/ssl/certs, so this adds to the system store.
  if (!options_.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  if (!options_.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str());
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(options_.timeout_ms, 10'000L));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
  // The debug callback sees the dialogue (it only runs with VERBOSE on, and prints nothing).
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, OnDebug);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &transcript);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);

  const CURLcode code = curl_easy_perform(h);
  if (code == CURLE_OK) return Status::Ok();
  return Status::Error(
      fmt::format("smtp {}: {}", origin, DescribeFailure(code, curl_error, transcript)));
}

}  // namespace stockpipe
