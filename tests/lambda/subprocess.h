// Runs a program with exactly the given environment (what `env -i VAR=... prog` does), its
// stderr to a file, and stops it by PID.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace stockpipe::testing {

class Child {
 public:
  Child(const std::string& program, const std::map<std::string, std::string>& environment,
        const std::string& stderr_path, std::vector<std::string> args = {})
      : stderr_path_(stderr_path) {
    std::vector<std::string> env_text;
    for (const auto& [k, v] : environment) env_text.push_back(k + "=" + v);
    args.insert(args.begin(), program);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        dup2(fd, STDOUT_FILENO);
      }
      std::vector<char*> argv, envp;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      for (auto& e : env_text) envp.push_back(e.data());
      envp.push_back(nullptr);
      execve(program.c_str(), argv.data(), envp.data());
      _exit(127);
    }
  }
  ~Child() { Kill(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Waits for the exit; the exit status, or 128 + signal.
  int Wait() {
    if (pid_ <= 0) return status_;
    int raw = 0;
    waitpid(pid_, &raw, 0);
    pid_ = -1;
    status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    return status_;
  }
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      Wait();
    }
  }
  std::string Output() const {
    std::ifstream in(stderr_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::string stderr_path_;
  pid_t pid_ = -1;
  int status_ = -1;
};

}  // namespace stockpipe::testing
