// The dashboard's HTTPS: a server TLS context from the PEM files of `[serve] tls_cert` and
// `tls_key`. TLS 1.2 and later only (OpenSSL's default ciphers for them); the key must match the
// certificate. Errors name the setting and the file, never any of its contents.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "core/result.h"

namespace stockpipe::serve {

Result<std::shared_ptr<boost::asio::ssl::context>> ServerTlsContext(const std::string& cert_file,
                                                                    const std::string& key_file);

}  // namespace stockpipe::serve
