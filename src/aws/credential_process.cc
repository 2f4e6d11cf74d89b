#include "aws/credential_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

extern char** environ;

namespace stockpipe::aws {
namespace {

constexpr std::size_t kMaxOutput = 1 << 20;

struct RunOutcome {
  std::string out;
  int exit_code = -1;
  bool timed_out = false;
};

Result<RunOutcome> Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Status::Error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so a timeout kills what it started too.
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    return Status::Error("cannot start " + argv[0] + ": " + std::strerror(spawned));
  }

  RunOutcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      break;
    }
    pollfd poll_fd{fds[0], POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // the deadline check above ends the wait
    char buffer[4096];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (outcome.out.size() < kMaxOutput) outcome.out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (outcome.timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  return outcome;
}

}  // namespace

Result<std::vector<std::string>> SplitCommandLine(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
    } else if (c == '\'') {
      const auto end = command.find('\'', i + 1);
      if (end == std::string::npos) return Status::Error("unterminated ' quote");
      word += command.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < command.size() && command[j] != '"'; ++j) {
        if (command[j] == '\\' && j + 1 < command.size() &&
            std::strchr("\"\\$`", command[j + 1]) != nullptr) {
          ++j;
        }
        word += command[j];
      }
      if (j >= command.size()) return Status::Error("unterminated \" quote");
      i = j;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 < command.size()) word += command[++i];
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<Credentials> ParseProcessCredentials(const std::string& json, const std::string& what) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) return Status::Error(what + " did not print a JSON object");
  if (!doc.contains("Version") || doc["Version"] != 1) {
    return Status::Error(what + ": unsupported or missing Version (expected 1)");
  }
  const auto text = [&](const char* key) -> std::string {
    return doc.contains(key) && doc[key].is_string() ? doc[key].get<std::string>() : "";
  };
  Credentials credentials{text("AccessKeyId"), text("SecretAccessKey"), text("SessionToken"), what,
                          std::nullopt};
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status::Error(what + ": AccessKeyId or SecretAccessKey missing");
  }
  if (const std::string expiration = text("Expiration"); !expiration.empty()) {
    auto at = ParseExpiration(expiration, what);
    if (!at) return at.status();
    credentials.expiration = *at;
  }
  return credentials;
}

Result<Credentials> ProcessProvider::Fetch() {
  const std::string what = "credential_process of profile " + profile_ + " (" + command_ + ")";
  auto argv = SplitCommandLine(command_);
  if (!argv) return Status::Error(what + ": " + argv.error());
  if (argv->empty()) return Status::Error(what + ": empty command");
  auto run = Run(*argv, timeout_);
  if (!run) return Status::Error(what + ": " + run.error());
  if (run->timed_out) {
    return Status::Error(what + ": no answer within " + std::to_string(timeout_.count()) +
                         " ms; killed");
  }
  if (run->exit_code != 0) {
    return Status::Error(what + ": exited with " +
                         (run->exit_code < 0 ? std::string("a signal")
                                             : "status " + std::to_string(run->exit_code)));
  }
  return ParseProcessCredentials(run->out, what);
}

}  // namespace stockpipe::aws
