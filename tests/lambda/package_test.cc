// The deployment zip: what it holds, with which permissions, and that its `bootstrap` runs the
// function from the unpacked folder with only the Lambda environment (no PATH, no
// LD_LIBRARY_PATH: execve with just these variables, as `env -i` would), using only the loader and
// libraries inside the zip. The Runtime API is the in-test server (no Runtime Interface Emulator
// exists here).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ingest/ingestor.h"
#include "lambda/aws_lambda_env.h"
#include "lambda/kinesis_events.h"
#include "lambda/runtime_api_server.h"
#include "support/shell.h"
#include "support/subprocess.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Child;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint32_t Le(const std::string& b, std::size_t at, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

// Entry name -> Unix mode, from the zip's central directory (what Lambda's unzip applies).
std::map<std::string, std::uint32_t> ZipModes(const std::string& zip) {
  std::map<std::string, std::uint32_t> modes;
  std::size_t end = zip.rfind(std::string("PK\x05\x06", 4));
  if (end == std::string::npos) return modes;
  const std::uint32_t entries = Le(zip, end + 10, 2);
  std::size_t at = Le(zip, end + 16, 4);
  for (std::uint32_t i = 0; i < entries && at + 46 <= zip.size(); ++i) {
    if (Le(zip, at, 4) != 0x02014b50) break;
    const std::uint32_t name_len = Le(zip, at + 28, 2), extra = Le(zip, at + 30, 2),
                        comment = Le(zip, at + 32, 2);
    const std::uint32_t external = Le(zip, at + 38, 4);
    modes[zip.substr(at + 46, name_len)] = external >> 16;
    at += 46 + name_len + extra + comment;
  }
  return modes;
}

// Runs a command and returns its stdout.
std::string Capture(const std::string& command) {
  return testing::RunShell(command).out;
}

// The sonames `ldd` resolves for the built binary, and the loader's file name.
std::set<std::string> LddNames(std::string& loader) {
  std::set<std::string> names;
  std::istringstream lines(Capture(std::string("ldd ") + STOCKPIPE_LAMBDA_BINARY));
  for (std::string line; std::getline(lines, line);) {
    line.erase(0, line.find_first_not_of(" \t"));
    if (const auto arrow = line.find(" => /"); arrow != std::string::npos) {
      names.insert(line.substr(0, arrow));
    } else if (line.starts_with("/")) {
      loader = fs::path(line.substr(0, line.find(' '))).filename();
    }
  }
  return names;
}

class LambdaPackage : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshDir("lambda-package");
    root_ = dir_ / "task";
    fs::create_directories(root_);
    const std::string unpack = "cd '" + root_.string() + "' && '" + STOCKPIPE_CMAKE +
                               "' -E tar xf '" + STOCKPIPE_LAMBDA_ZIP + "'";
    ASSERT_EQ(std::system(unpack.c_str()), 0) << unpack;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_, root_;
};

TEST_F(LambdaPackage, HoldsBootstrapBinaryEveryLibraryAndTheLoaderWithTheirModes) {
  const auto modes = ZipModes(ReadFile(STOCKPIPE_LAMBDA_ZIP));
  ASSERT_FALSE(modes.empty());
  std::string loader;
  const std::set<std::string> libraries = LddNames(loader);
  ASSERT_FALSE(loader.empty());
  ASSERT_GT(libraries.size(), 3u);  // libc, libstdc++, libcurl at least
  EXPECT_TRUE(libraries.count("libc.so.6"));
  EXPECT_TRUE(libraries.count("libcurl.so.4"));
  for (const std::string& name : libraries) {
    EXPECT_TRUE(modes.count("lib/" + name)) << "missing lib/" << name;
  }
  for (const std::string& exe :
       std::vector<std::string>{"bootstrap", "bin/stockpipe-lambda", "lib/" + loader}) {
    ASSERT_TRUE(modes.count(exe)) << exe;
    EXPECT_EQ(modes.at(exe) & 0111, 0111u) << exe << " must be executable for everyone";
    EXPECT_NE(fs::status(root_ / exe).permissions() & fs::perms::owner_exec, fs::perms::none)
        << exe << " lost its mode when unpacked";
  }
  const std::string bootstrap = ReadFile(root_ / "bootstrap");
  EXPECT_TRUE(bootstrap.starts_with("#!/bin/sh\n"));
  EXPECT_NE(bootstrap.find("lib/" + loader + "\" --library-path \"$LAMBDA_TASK_ROOT/lib\""),
            std::string::npos)
      << bootstrap;
}

TEST_F(LambdaPackage, TheBundledLoaderResolvesEveryLibraryInsideTheZip) {
  std::string loader;
  LddNames(loader);
  // The loader's own listing of what it would map, with an empty environment.
  const std::string lib = (root_ / "lib").string();
  const std::string listing =
      Capture("env -i '" + lib + "/" + loader + "' --library-path '" + lib + "' --list '" +
              (root_ / "bin" / "stockpipe-lambda").string() + "'");
  ASSERT_NE(listing.find("=>"), std::string::npos) << listing;
  std::istringstream lines(listing);
  int resolved = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto arrow = line.find("=> ");
    if (arrow == std::string::npos) continue;
    const std::string path = line.substr(arrow + 3, line.find(" (") - arrow - 3);
    if (path.empty() || path.starts_with("(")) continue;  // linux-vdso
    EXPECT_TRUE(path.starts_with(lib + "/")) << line;
    ++resolved;
  }
  EXPECT_GT(resolved, 3);
}

TEST_F(LambdaPackage, BootstrapServesInvocationsWithOnlyTheLambdaEnvironment) {
  testing::IngestPeers peers(dir_);
  testing::RuntimeApiServer api;
  auto env = peers.Environment(api.address(), "ingest");
  env["LAMBDA_TASK_ROOT"] = root_.string();
  env["AWS_EXECUTION_ENV"] = "AWS_Lambda_provided.al2023";
  Child lambda = testing::SpawnWithExactly((root_ / "bootstrap").string(), env,
                                           (dir_ / "bootstrap.log").string());

  const std::string shard = "shardId-000000000007";
  const std::string event = testing::KinesisEvent(
      {{shard, testing::Sequence(1), testing::Tick("NVDA", "2025-08-14T09:30:00Z", 181.5)},
       {shard, testing::Sequence(2), "{oops"}});
  api.Enqueue(event, "from-zip");
  const auto results = api.WaitForResults(1);
  lambda.Stop();
  ASSERT_EQ(results.size(), 1u) << lambda.StdErrSoFar();
  EXPECT_EQ(results[0].kind, testing::Posted::Kind::kResponse) << lambda.StdErrSoFar();
  EXPECT_EQ(json::parse(results[0].body), json::parse(R"({"batchItemFailures":[]})"));

  auto raw = peers.archive().Get(
      ObjectKey("raw", "2025-08-14", shard, testing::Sequence(1), testing::Sequence(2)));
  EXPECT_TRUE(raw) << raw.error();
  auto points = peers.store().LastN("NVDA", 5);
  ASSERT_TRUE(points) << points.error();
  ASSERT_EQ(points->size(), 1u);
  EXPECT_EQ((*points)[0].price, 181.5);
}

}  // namespace
}  // namespace stockpipe
