// A URL split the way libcurl reads it, so what the SMTP and webhook channels check (scheme, host,
// port) is what libcurl will connect to. The port is filled in from the scheme when absent.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace stockpipe {

struct UrlParts {
  std::string scheme, host, port, path, query, user;
  // scheme://host:port: safe to show, unlike the path, query and user info that may hold secrets.
  std::string origin() const;
};

// An error whose text is `not_a_url` when libcurl cannot parse `url` at all (the URL itself is
// never quoted: it may carry a secret).
Result<UrlParts> SplitUrl(const std::string& url, std::string_view not_a_url);

}  // namespace stockpipe
