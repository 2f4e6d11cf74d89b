// Test helper: runs programs as child processes, the way a user would: the `stockpipe` binary
// (`Start`, `RunStockpipe`), the Lambda binary and tools (`Spawn` with the exact environment).
//
// A stockpipe child runs in a chosen working folder (so no stray `stockpipe.toml` is picked up)
// with the parent's environment minus every configuration and producer variable the binary
// reads, plus the ones a test sets. stdin comes from a file, stdout and stderr go to files: no
// pipe can fill up and block.
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
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/config.h"
#include "producers/synthetic.h"
#include "support/temp_dir.h"

extern char** environ;

namespace stockpipe::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// How a child starts: exactly this program, arguments, environment and standard streams.
struct ProcessSpec {
  std::string program;                    // a path, or a name looked up on PATH
  std::vector<std::string> args{};        // after the program's name
  std::vector<std::string> env{};         // the child's whole environment, "NAME=value"
  std::filesystem::path cwd{};            // empty: the parent's
  std::filesystem::path stdin_file{};     // empty: /dev/null
  std::filesystem::path stdout_file{};    // empty: /dev/null
  std::filesystem::path stderr_file{};    // empty: /dev/null; may be stdout_file
  std::uint64_t address_space_bytes = 0;  // RLIMIT_AS of the child (`ulimit -v`), 0: inherited
};

// A started child; `Wait` reaps it and collects its output. Killed (SIGKILL) if still running
// when the object goes away.
class Child {
 public:
  Child(pid_t pid, std::filesystem::path out, std::filesystem::path err)
      : pid_(pid), out_(std::move(out)), err_(std::move(err)) {}
  Child(Child&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        status_(other.status_),
        out_(other.out_),
        err_(other.err_) {}
  ~Child() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_; }
  void Signal(int sig) const {
    if (running()) ::kill(pid_, sig);
  }
  // True once the child has ended (reaped without blocking).
  bool Poll() {
    int status = 0;
    if (running() && ::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
    return !running();
  }
  // The wait status (WIFEXITED, WTERMSIG...) once ended.
  std::optional<int> wait_status() const { return status_; }

  ProcessResult Wait() {
    while (running()) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, 0);
      if (r == pid_) {
        status_ = status;
      } else if (r < 0 && errno != EINTR) {
        status_ = -1;
      }
    }
    ProcessResult r;
    if (WIFEXITED(*status_)) r.exit_code = WEXITSTATUS(*status_);
    if (WIFSIGNALED(*status_)) r.signal = WTERMSIG(*status_);
    if (!out_.empty()) r.out = ReadFile(out_);
    if (!err_.empty()) r.err = ReadFile(err_);
    return r;
  }
  // SIGTERM, then Wait: how a service is stopped.
  ProcessResult Stop() {
    Signal(SIGTERM);
    return Wait();
  }
  std::string StdOutSoFar() const { return ReadFile(out_); }
  std::string StdErrSoFar() const { return ReadFile(err_); }

 private:
  pid_t pid_;
  std::optional<int> status_;
  std::filesystem::path out_, err_;
};

inline Child Spawn(const ProcessSpec& spec) {
  std::vector<std::string> argv_strings{spec.program};
  argv_strings.insert(argv_strings.end(), spec.args.begin(), spec.args.end());
  std::vector<std::string> env_strings = spec.env;
  std::vector<char*> argv, envp;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const auto or_null = [](const std::filesystem::path& p) {
    return p.empty() ? std::string("/dev/null") : p.string();
  };
  const std::string in = or_null(spec.stdin_file), out = or_null(spec.stdout_file),
                    err = or_null(spec.stderr_file), cwd = spec.cwd.string();
  const bool same_file = !spec.stdout_file.empty() && spec.stdout_file == spec.stderr_file;

  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    const int in_fd = ::open(in.c_str(), O_RDONLY);
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = same_file ? out_fd : ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0 || (!cwd.empty() && ::chdir(cwd.c_str()) != 0)) {
      ::_exit(127);
    }
    if (spec.address_space_bytes > 0) {
      const rlimit limit{spec.address_space_bytes, spec.address_space_bytes};
      if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(127);
    }
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return Child(pid, spec.stdout_file, spec.stderr_file);
}

// `program` with exactly `env` (what `env -i NAME=value... program` does) and `args`, stdout and
// stderr into `log`.
inline Child SpawnWithExactly(const std::string& program,
                              const std::map<std::string, std::string>& env,
                              const std::filesystem::path& log,
                              std::vector<std::string> args = {}) {
  ProcessSpec spec{
      .program = program, .args = std::move(args), .stdout_file = log, .stderr_file = log};
  for (const auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  return Spawn(spec);
}

// The parent's environment without the variables stockpipe reads (configuration, producers,
// STOCKPIPE_LOG, NO_COLOR) and without `also_drop`.
inline std::vector<std::string> CleanEnvironment(
    const std::map<std::string, std::string>& also_drop = {}) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    bool drop = key == "STOCKPIPE_LOG" || key == "NO_COLOR" || also_drop.count(key) > 0;
    for (std::string_view k : kEnvironmentKeys) drop = drop || key == k;
    for (std::string_view k : kSyntheticEnvKeys) drop = drop || key == k;
    if (!drop) out.push_back(entry);
  }
  return out;
}

struct RunOptions {
  std::filesystem::path cwd{};               // required: where the child runs
  std::string stdin_text{};                  // fed on stdin (ignored when stdin_file is set)
  std::filesystem::path stdin_file{};        // a file to feed on stdin
  std::map<std::string, std::string> env{};  // extra environment
  std::uint64_t address_space_bytes = 0;     // RLIMIT_AS of the child (`ulimit -v`), 0: inherited
};

// The stockpipe binary with `args`, its stdio in files under `options.cwd`.
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
  ProcessSpec spec{.program = STOCKPIPE_BINARY,
                   .args = args,
                   .env = CleanEnvironment(options.env),
                   .cwd = options.cwd,
                   .stdin_file = in,
                   .stdout_file = io / "stdout",
                   .stderr_file = io / "stderr",
                   .address_space_bytes = options.address_space_bytes};
  for (const auto& [k, v] : options.env) spec.env.push_back(k + "=" + v);
  return Spawn(spec);
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

// Waits for `serve: dashboard at http://127.0.0.1:PORT/` in a `serve` or `run` child's stderr
// (written once the port is bound); the port, or 0 when it never came.
inline int WaitForDashboardPort(const Child& child) {
  static const std::regex line(R"(serve: dashboard at http://127\.0\.0\.1:(\d+)/)");
  int port = 0;
  Eventually(
      [&] {
        std::smatch m;
        const std::string err = child.StdErrSoFar();
        if (!std::regex_search(err, m, line)) return false;
        port = std::stoi(m[1]);
        return true;
      },
      std::chrono::seconds(60));
  return port;
}

}  // namespace stockpipe::testing
