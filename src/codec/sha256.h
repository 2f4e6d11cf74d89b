// SHA-256 (OpenSSL's), as the lower-case hex text that AWS signatures and quarantine entries use.
#pragma once

#include <string>
#include <string_view>

namespace stockpipe {

std::string Sha256Hex(std::string_view bytes);

}  // namespace stockpipe
