#include "serve/tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>

namespace stockpipe::serve {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's reason for the last failure ("no start line", "bad decrypt"...), its queue emptied.
std::string OpenSslReason() {
  std::string reason = "unknown OpenSSL error";
  if (const unsigned long code = ERR_peek_last_error(); code != 0) {
    if (const char* text = ERR_reason_error_string(code)) reason = text;
  }
  ERR_clear_error();
  return reason;
}

// Whether `path` can be opened for reading: a clearer message than OpenSSL's for the usual
// mistakes (a wrong path, a key only root may read).
Status Readable(std::string_view setting, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::Error(fmt::format("{} {}: no such file", setting, path));
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Status::Error(fmt::format("{} {}: is a directory, not a PEM file", setting, path));
  }
  if (!std::ifstream(path).good()) {
    return Status::Error(fmt::format("{} {}: cannot be read (permissions?)", setting, path));
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<ssl::context>> ServerTlsContext(const std::string& cert_file,
                                                       const std::string& key_file) {
  if (Status s = Readable("serve.tls_cert", cert_file); !s.ok()) return s;
  if (Status s = Readable("serve.tls_key", key_file); !s.ok()) return s;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return Status::Error(fmt::format("TLS: cannot require TLS 1.2: {}", OpenSslReason()));
  }
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Status::Error(fmt::format("serve.tls_cert {}: not a PEM certificate (chain): {}",
                                     cert_file, OpenSslReason()));
  }
  // An encrypted key fails instead of asking for its passphrase on a terminal a service lacks.
  SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares the key with the certificate as it loads it.
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return Status::Error(
          fmt::format("serve.tls_key {} is not the key of the certificate in serve.tls_cert {}",
                      key_file, cert_file));
    }
    return Status::Error(fmt::format("serve.tls_key {}: not an unencrypted PEM private key: {}",
                                     key_file, OpenSslReason()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::Error(
        fmt::format("serve.tls_key {} is not the key of the certificate in serve.tls_cert {}",
                    key_file, cert_file));
  }
  return context;
}

}  // namespace stockpipe::serve
