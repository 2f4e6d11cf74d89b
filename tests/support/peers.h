// Test peers: the npm emulators (kinesalite, dynalite, s3rver, fauxqs, smtp-server) started on
// 127.0.0.1.
//
// `Peer` runs `node tests/peers/start.mjs <name> [dir]`, which listens on a free port and prints
// "PORT <n>" once it accepts connections; the constructor blocks on that line (no sleeps, no
// port races) and the destructor stops the process by PID. The packages come from
// `tests/peers/package.json`, installed by `scripts/setup.sh`.
#pragma once
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace stockpipe::testing {

class Peer {
 public:
  // `options` follow the data dir on the command line (the smtp-server sink's --auth,
  // --starttls...).
  explicit Peer(const std::string& name, const std::string& data_dir = "",
                const std::vector<std::string>& options = {})
      : name_(name) {
    const std::string peers = STOCKPIPE_PEERS_DIR;
    if (!std::filesystem::exists(peers + "/node_modules/" + name)) {
      throw std::runtime_error("test peer " + name +
                               " is not installed: run scripts/setup.sh (npm ci in " + peers + ")");
    }
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      const std::string script = peers + "/start.mjs";
      // s3rver encrypts continuation tokens with DES, which node 20's OpenSSL 3 only has in
      // its legacy provider: without it every second page of a listing fails with HTTP 500.
      std::vector<const char*> args = {"node"};
      if (name == "s3rver") args.push_back("--openssl-legacy-provider");
      args.push_back(script.c_str());
      args.push_back(name.c_str());
      if (!data_dir.empty()) args.push_back(data_dir.c_str());
      for (const std::string& option : options) args.push_back(option.c_str());
      args.push_back(nullptr);
      execvp("node", const_cast<char* const*>(args.data()));
      _exit(127);
    }
    close(out[1]);
    stdout_ = fdopen(out[0], "r");
    char line[128] = {};
    // Blocks until the peer listens (or dies, which closes the pipe).
    if (!fgets(line, sizeof line, stdout_) || std::sscanf(line, "PORT %d", &port_) != 1) {
      Stop();
      throw std::runtime_error("test peer " + name + " did not start (is node installed?)");
    }
  }
  ~Peer() { Stop(); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (stdout_) {
      fclose(stdout_);
      stdout_ = nullptr;
    }
  }

 private:
  std::string name_;
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
  int port_ = 0;
};

}  // namespace stockpipe::testing
