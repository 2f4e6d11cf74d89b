// Test helper: runs the `stockpipe` binary as a child process, the way a user would.
//
// The child runs in a chosen working folder (so no stray `stockpipe.toml` is picked up) with the
// parent's environment minus every configuration and producer variable the binary reads, plus the
// ones a test sets. stdin comes from a file, stdout and stderr go to files: no pipe can fill up and
// block.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/config.h"
#include "producers/synthetic.h"

extern char** environ;

namespace stockpipe::testing {

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A fresh folder under the system temp dir, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("stockpipe-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// A started child; `Wait` reaps it and collects its output.
class Child {
 public:
  Child(pid_t pid, std::filesystem::path out, std::filesystem::path err)
      : pid_(pid), out_(std::move(out)), err_(std::move(err)) {}
  Child(Child&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)), out_(other.out_), err_(other.err_) {}
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void Signal(int sig) const { ::kill(pid_, sig); }

  ProcessResult Wait() {
    ProcessResult r;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    r.out = ReadFile(out_);
    r.err = ReadFile(err_);
    return r;
  }
  std::string StdErrSoFar() const { return ReadFile(err_); }

 private:
  pid_t pid_;
  std::filesystem::path out_, err_;
};

struct RunOptions {
  std::filesystem::path cwd{};               // required: where the child runs
  std::string stdin_text{};                  // fed on stdin (ignored when stdin_file is set)
  std::filesystem::path stdin_file{};        // a file to feed on stdin
  std::map<std::string, std::string> env{};  // extra environment
  std::uint64_t address_space_bytes = 0;     // RLIMIT_AS of the child (`ulimit -v`), 0: inherited
};

inline Child Start(const std::vector<std::string>& args, const RunOptions& options) {
  static int counter = 0;
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(++counter);
  const std::filesystem::path io = options.cwd / (".io-" + tag);
  std::filesystem::create_directories(io);
  std::filesystem::path in = options.stdin_file;
  if (in.empty()) {
    in = io / "stdin";
    WriteFile(in, options.stdin_text);
  }
  const auto out = io / "stdout";
  const auto err = io / "stderr";

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    bool drop = key == "STOCKPIPE_LOG" || options.env.count(key) > 0;
    for (std::string_view k : kEnvironmentKeys) drop = drop || key == k;
    for (std::string_view k : kSyntheticEnvKeys) drop = drop || key == k;
    if (!drop) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);

  std::vector<std::string> argv_strings{STOCKPIPE_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const std::string cwd = options.cwd.string();

  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in_fd = ::open(in.c_str(), O_RDONLY);
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(127);
    if (options.address_space_bytes > 0) {
      const rlimit limit{options.address_space_bytes, options.address_space_bytes};
      if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(127);
    }
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return Child(pid, out, err);
}

inline ProcessResult RunStockpipe(const std::vector<std::string>& args, const RunOptions& options) {
  return Start(args, options).Wait();
}

// Polls `condition` until it holds or `limit` passes; returns whether it held. The limit only
// bounds a hung test: nothing is timed.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::seconds limit = std::chrono::seconds(120)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

}  // namespace stockpipe::testing
