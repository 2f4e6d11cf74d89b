// The command line's conventions, through the binary: `--version` / `version` print
// `stockpipe <semver> (<commit>)` and exit 0, every usage error exits 2 with CLI11's message
// (--help still 0), and colour is on only on a terminal without NO_COLOR (https://no-color.org).
//
// Colour needs a terminal: the child's stderr is the slave side of a pseudo-terminal the test
// opens (openpty), read back from the master side once the child has exited.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

using testing::RunStockpipe;

TEST(Version, FlagAndCommandPrintTheSameLineAndExitZero) {
  testing::TempDir dir;
  const auto flag = RunStockpipe({"--version"}, {.cwd = dir.path()});
  const auto command = RunStockpipe({"version"}, {.cwd = dir.path()});
  EXPECT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_EQ(command.exit_code, 0) << command.err;
  // semver from project() in CMake, then the short commit of the source tree or "unknown".
  static const std::regex line(R"(stockpipe \d+\.\d+\.\d+ \(([0-9a-f]{4,40}|unknown)\)\n)");
  EXPECT_TRUE(std::regex_match(flag.out, line)) << flag.out;
  EXPECT_EQ(command.out, flag.out);
  EXPECT_EQ(flag.err, "");
  // Neither reads a configuration: a broken one does not stop them.
  testing::WriteFile(dir.path() / "stockpipe.toml", "[trends\n");
  EXPECT_EQ(RunStockpipe({"version"}, {.cwd = dir.path()}).out, flag.out);
  EXPECT_EQ(RunStockpipe({"--version"}, {.cwd = dir.path()}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data"));
}

TEST(Version, CommitIsACommitOfTheSourceTreeUpToHead) {
  testing::TempDir dir;
  const auto version = testing::RunStockpipe({"version"}, {.cwd = dir.path()});
  const auto git = [&](std::vector<std::string> args) {
    testing::ProcessSpec spec{.program = "git",
                              .args = std::move(args),
                              .env = testing::CleanEnvironment(),
                              .stdout_file = dir.path() / "git.out",
                              .stderr_file = dir.path() / "git.err"};
    return testing::Spawn(spec).Wait();
  };
  // The source tree of this test is the one the binary was built from.
  const std::filesystem::path source =
      std::filesystem::canonical(std::filesystem::path(STOCKPIPE_TESTS_DIR).parent_path());
  const auto top = git({"-C", source.string(), "rev-parse", "--show-toplevel"});
  std::string top_path = top.out.substr(0, top.out.find('\n'));
  if (top.exit_code != 0 || top_path.empty() || std::filesystem::canonical(top_path) != source) {
    EXPECT_NE(version.out.find("(unknown)"), std::string::npos) << version.out;
    GTEST_SKIP() << "the source tree is not a git checkout of its own";
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_search(version.out, m, std::regex(R"(\(([0-9a-f]{4,40})\))")))
      << version.out;
  const std::string commit = m[1];
  // HEAD when built; a commit made since (without a rebuild) has it as an ancestor.
  const auto head = git({"-C", source.string(), "rev-parse", "--short", "HEAD"});
  const auto ancestor =
      git({"-C", source.string(), "merge-base", "--is-ancestor", commit + "^{commit}", "HEAD"});
  EXPECT_EQ(ancestor.exit_code, 0)
      << commit << " is not HEAD (" << head.out << ") or one of its ancestors";
}

TEST(Version, HelpStillExitsZeroAndListsVersion) {
  testing::TempDir dir;
  const auto r = RunStockpipe({"--help"}, {.cwd = dir.path()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--version"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("version"), std::string::npos);
}

// ---- usage errors: exit 2 and CLI11's message on stderr ----

struct UsageError {
  std::string name;
  std::vector<std::string> args;
  std::string message;  // CLI11's words, on stderr
};

class UsageErrorTest : public ::testing::TestWithParam<UsageError> {};

TEST_P(UsageErrorTest, ExitsTwoWithTheParsersMessage) {
  const UsageError& c = GetParam();
  testing::TempDir dir;
  std::vector<std::string> args = {"--data-dir", (dir.path() / "data").string()};
  args.insert(args.end(), c.args.begin(), c.args.end());
  const auto r = RunStockpipe(args, {.cwd = dir.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--help"), std::string::npos) << "points at --help: " << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data")) << "nothing ran";
}

INSTANTIATE_TEST_SUITE_P(
    Table, UsageErrorTest,
    ::testing::Values(
        UsageError{"NoCommand", {}, "A subcommand is required"},
        UsageError{"UnknownCommand", {"frobnicate"}, "unknown command \"frobnicate\""},
        UsageError{"UnknownFlag", {"health", "--no-such-flag"}, "--no-such-flag"},
        UsageError{"UnknownTopLevelFlag", {"--colour", "health"}, "--colour"},
        UsageError{"MissingPositional", {"query"}, "sql is required"},
        UsageError{"MissingRequiredOption", {"produce", "yahoo"}, "--symbols is required"},
        UsageError{"MissingOptionValue", {"query", "--format"}, "--format"},
        UsageError{"MissingProduceSource", {"produce"}, "A subcommand is required"},
        UsageError{"NotANumber", {"--shards", "many", "health"}, "--shards"},
        UsageError{"NotInTheList", {"query", "--format", "xml", "SHOW TABLES"}, "xml"},
        UsageError{"OutOfRange", {"produce", "file", "-", "--batch", "0"}, "--batch"},
        UsageError{"NegativeTimeout", {"query", "--timeout", "-1", "SHOW TABLES"}, "--timeout"},
        UsageError{"BadResetStore", {"repair", "--reset", "everything"}, "everything"},
        UsageError{"ExtraPositional", {"health", "extra"}, "extra"}),
    [](const ::testing::TestParamInfo<UsageError>& info) { return info.param.name; });

// ---- colour ----

struct TerminalRun {
  int exit_code = -1;
  std::string err;
};

// Runs the binary with stderr on a pseudo-terminal; stdout goes to a file. The master side is
// read while the child runs (a full terminal buffer would block it), then drained.
TerminalRun RunOnTerminal(const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env,
                          const std::filesystem::path& cwd) {
  int master = -1, slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) return {};
  testing::ProcessSpec spec{.program = STOCKPIPE_BINARY,
                            .args = args,
                            .env = testing::CleanEnvironment(env),
                            .cwd = cwd,
                            .stdout_file = cwd / "stdout",
                            .stderr_file = ::ptsname(master)};
  for (const auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  testing::Child child = testing::Spawn(spec);
  TerminalRun out;
  char buf[4096];
  const auto read_available = [&](int timeout_ms) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) return false;
    out.err.append(buf, static_cast<std::size_t>(n));
    return true;
  };
  // The 100 ms only paces the check of the child between reads; the loop ends when it exits.
  while (!child.Poll()) read_available(100);
  ::close(slave);  // the child's copy is gone too: the master reads what is left, then EIO
  while (read_available(0)) {
  }
  ::close(master);
  const std::optional<int> status = child.wait_status();
  if (status && WIFEXITED(*status)) out.exit_code = WEXITSTATUS(*status);
  return out;
}

// A configuration error: one error line on stderr, whose level is coloured on a terminal.
const std::vector<std::string> kErrorArgs = {"health"};
const std::map<std::string, std::string> kErrorEnv = {{"THRESH_PCT", "abc"},
                                                      {"TERM", "xterm-256color"}};

TEST(Colour, OnATerminalTheLevelIsColoured) {
  testing::TempDir dir;
  const auto r = RunOnTerminal(kErrorArgs, kErrorEnv, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("THRESH_PCT"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\x1b["), std::string::npos) << "colour on a terminal: " << r.err;
}

TEST(Colour, NoColorTurnsItOffEvenOnATerminal) {
  testing::TempDir dir;
  auto env = kErrorEnv;
  env["NO_COLOR"] = "1";
  const auto r = RunOnTerminal(kErrorArgs, env, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("THRESH_PCT"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
}

TEST(Colour, AnEmptyNoColorDoesNotCount) {
  // no-color.org: "when present and not an empty string".
  testing::TempDir dir;
  auto env = kErrorEnv;
  env["NO_COLOR"] = "";
  const auto r = RunOnTerminal(kErrorArgs, env, dir.path());
  EXPECT_NE(r.err.find("\x1b["), std::string::npos) << r.err;
}

TEST(Colour, NotATerminalMeansNoColour) {
  testing::TempDir dir;
  const auto r = RunStockpipe(kErrorArgs, {.cwd = dir.path(), .env = kErrorEnv});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("THRESH_PCT"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
}

TEST(Colour, JsonLogsAreNeverColoured) {
  testing::TempDir dir;
  auto env = kErrorEnv;
  env["STOCKPIPE_LOG_FORMAT"] = "json";
  const auto r = RunOnTerminal(kErrorArgs, env, dir.path());
  EXPECT_NE(r.err.find("THRESH_PCT"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
}

}  // namespace
}  // namespace stockpipe
