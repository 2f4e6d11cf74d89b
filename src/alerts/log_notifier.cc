#include "alerts/log_notifier.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "codec/json_write.h"

namespace stockpipe {

Status LogNotifier::Send(const AlertMessage& message) {
  std::string line = R"({"time":")" + FormatCanonical(message.created) + R"(","kind":")";
  line += KindName(message.kind);
  line += R"(","subject":)";
  AppendJsonString(message.subject, line);
  line += R"(,"body":)";
  AppendJsonString(message.body, line);
  line += "}\n";
  std::lock_guard lock(mutex_);
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error(fmt::format("cannot open {}: {}", path_, std::strerror(errno)));
  const ssize_t n = ::write(fd, line.data(), line.size());
  const bool ok = n == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok) return Status::Error(fmt::format("cannot append to {}: {}", path_, std::strerror(error)));
  return Status::Ok();
}

}  // namespace stockpipe
