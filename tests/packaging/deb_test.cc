// The Debian package, as a user gets it: built by cpack from this configured build tree, then
// read with dpkg-deb (metadata, contents), unpacked into a temp root (dpkg-deb -x) and its
// binary run end to end with its own example configuration (produce -> ingest -> trends ->
// health), and its unit checked by systemd-analyze verify.
//
// Each test builds its own package (ctest runs every test in its own process); nothing is
// written to the build tree.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "support/lines.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using testing::Lines;
using testing::ProcessResult;
using testing::ReadFile;
using testing::TempDir;

// A tool with `args`, its environment the parent's minus stockpipe's variables.
ProcessResult Tool(const std::string& program, std::vector<std::string> args, const fs::path& cwd) {
  static int counter = 0;
  const fs::path out = cwd / fmt::format(".tool-{}.out", ++counter);
  const fs::path err = cwd / fmt::format(".tool-{}.err", counter);
  return testing::Spawn({.program = program,
                         .args = std::move(args),
                         .env = testing::CleanEnvironment(),
                         .cwd = cwd,
                         .stdout_file = out,
                         .stderr_file = err})
      .Wait();
}

class DebPackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // cpack -B keeps its staging folder and the package out of the build tree.
    const auto built = Tool(STOCKPIPE_CPACK,
                            {"-G", "DEB", "--config", STOCKPIPE_BUILD_DIR "/CPackConfig.cmake",
                             "-B", (dir_.path() / "out").string()},
                            dir_.path());
    ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
    deb_ = dir_.path() / "out" / fmt::format("stockpipe_{}_amd64.deb", STOCKPIPE_PROJECT_VERSION);
    ASSERT_TRUE(fs::exists(deb_)) << "cpack wrote no " << deb_ << ":\n" << built.out;
  }

  std::string Field(const std::string& name) {
    const auto r = Tool("dpkg-deb", {"-f", deb_.string(), name}, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string value = r.out;
    while (!value.empty() && value.back() == '\n') value.pop_back();
    return value;
  }

  // The package's files, as paths without the leading "." ("/usr/bin/stockpipe").
  std::set<std::string> Contents() {
    const auto r = Tool("dpkg-deb", {"-c", deb_.string()}, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> paths;
    for (const std::string& line : Lines(r.out)) {
      // drwxr-xr-x root/root 0 2026-12-06 23:50 ./usr/bin/
      const std::size_t dot = line.find(" ./");
      if (dot == std::string::npos) continue;
      std::string path = line.substr(dot + 2);
      if (path.size() > 1 && path.back() == '/') path.pop_back();
      paths.insert(path);
    }
    return paths;
  }

  fs::path Unpack() {
    const fs::path root = dir_.path() / "root";
    const auto r = Tool("dpkg-deb", {"-x", deb_.string(), root.string()}, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return root;
  }

  TempDir dir_{"stockpipe-deb"};
  fs::path deb_;
};

// The Debian packages of the shared libraries `binary` links directly (its NEEDED entries, as
// dpkg-shlibdeps reads them), found where `ldd` resolves them (dpkg -S on the path, or on its
// /usr twin under merged /usr).
std::set<std::string> LibraryPackages(const fs::path& binary, const fs::path& cwd) {
  std::set<std::string> needed;
  const auto readelf = Tool("readelf", {"-d", binary.string()}, cwd);
  EXPECT_EQ(readelf.exit_code, 0) << readelf.err;
  for (const std::string& line : Lines(readelf.out)) {
    // 0x0000000000000001 (NEEDED)             Shared library: [libsqlite3.so.0]
    const std::size_t open = line.find("(NEEDED)");
    const std::size_t bracket = line.find('[');
    if (open == std::string::npos || bracket == std::string::npos) continue;
    needed.insert(line.substr(bracket + 1, line.find(']') - bracket - 1));
  }
  EXPECT_FALSE(needed.empty()) << readelf.out;
  std::set<std::string> packages;
  const auto ldd = Tool("ldd", {binary.string()}, cwd);
  EXPECT_EQ(ldd.exit_code, 0) << ldd.err;
  for (const std::string& line : Lines(ldd.out)) {
    const std::size_t arrow = line.find("=> /");
    if (arrow == std::string::npos) continue;
    std::string_view soname(line);
    while (soname.starts_with('\t') || soname.starts_with(' ')) soname.remove_prefix(1);
    soname = soname.substr(0, soname.find(' '));
    if (!needed.count(std::string(soname))) continue;  // a library's library: its package's job
    const std::string path = line.substr(arrow + 3, line.find(' ', arrow + 3) - arrow - 3);
    std::string owner;
    for (const std::string& candidate :
         {path, path.starts_with("/lib") ? "/usr" + path : path, fs::canonical(path).string()}) {
      const auto r = Tool("dpkg", {"-S", candidate}, cwd);
      if (r.exit_code == 0) {
        owner = r.out.substr(0, r.out.find(':'));
        break;
      }
    }
    EXPECT_FALSE(owner.empty()) << "no package owns " << path;
    if (!owner.empty()) packages.insert(owner);
  }
  return packages;
}

// `package` and the names it Provides (libspdlog1.10 provides libspdlog1.10-fmt9, the name its
// shlibs file gives dpkg-shlibdeps).
std::set<std::string> NamesOf(const std::string& package, const fs::path& cwd) {
  std::set<std::string> names{package};
  const auto r = Tool("dpkg-query", {"-W", "-f=${Provides}", package}, cwd);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (std::string_view rest = r.out; !rest.empty();) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (item.starts_with(' ')) item.remove_prefix(1);
    item = item.substr(0, item.find_first_of(" ("));
    if (!item.empty()) names.emplace(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return names;
}

TEST_F(DebPackageTest, MetadataNamesTheVersionAndTheComputedDependencies) {
  EXPECT_EQ(Field("Package"), "stockpipe");
  EXPECT_EQ(Field("Version"), STOCKPIPE_PROJECT_VERSION);
  EXPECT_EQ(Field("Architecture"), "amd64");
  const std::string depends = Field("Depends");
  // dpkg-shlibdeps' names carry versions: "libsqlite3-0 (>= 3.35.0), libcurl4 (>= 7.16.2), ..."
  std::set<std::string> listed;
  for (std::string_view rest = depends; !rest.empty();) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (item.starts_with(' ')) item.remove_prefix(1);
    listed.emplace(item.substr(0, item.find_first_of(" (")));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  EXPECT_TRUE(listed.count("adduser")) << depends;  // postinst creates the user with it
  for (const char* known : {"libc6", "libsqlite3-0", "libcurl4", "libssl3", "zlib1g"}) {
    EXPECT_TRUE(listed.count(known)) << known << " missing from Depends: " << depends;
  }
  // Every package a shared library of either binary comes from, computed here the other way
  // round (ldd + dpkg -S), is listed: Depends is not a list typed once and left to rot.
  const fs::path root = Unpack();
  for (const char* binary : {"usr/bin/stockpipe", "usr/bin/stockpipe-lambda"}) {
    for (const std::string& package : LibraryPackages(root / binary, dir_.path())) {
      bool found = false;
      for (const std::string& name : NamesOf(package, dir_.path())) found |= listed.count(name) > 0;
      EXPECT_TRUE(found) << binary << " loads a library of " << package
                         << ", which Depends does not name: " << depends;
    }
  }
  // The configuration is a conffile, and the maintainer scripts are there.
  const auto control =
      Tool("dpkg-deb", {"-e", deb_.string(), (dir_.path() / "DEBIAN").string()}, dir_.path());
  ASSERT_EQ(control.exit_code, 0) << control.err;
  EXPECT_EQ(ReadFile(dir_.path() / "DEBIAN" / "conffiles"), "/etc/stockpipe/stockpipe.toml\n");
  for (const char* script : {"postinst", "prerm", "postrm"}) {
    const fs::path path = dir_.path() / "DEBIAN" / script;
    ASSERT_TRUE(fs::exists(path)) << script;
    EXPECT_NE(fs::status(path).permissions() & fs::perms::owner_exec, fs::perms::none) << script;
  }
  EXPECT_NE(ReadFile(dir_.path() / "DEBIAN" / "postinst").find("adduser --system"),
            std::string::npos);
}

TEST_F(DebPackageTest, HoldsTheBinariesUnitConfigDocsAndTerraformButNoTests) {
  const std::set<std::string> files = Contents();
  for (const char* expected :
       {"/usr/bin/stockpipe", "/usr/bin/stockpipe-lambda", "/etc/stockpipe/stockpipe.toml",
        "/usr/lib/systemd/system/stockpipe.service", "/usr/share/stockpipe/README.md",
        "/usr/share/stockpipe/docs/architecture.md", "/usr/share/stockpipe/docs/dashboard.md",
        "/usr/share/stockpipe/infra/lambda.tf", "/usr/share/stockpipe/infra/README.md",
        "/usr/share/stockpipe/infra/terraform.tfvars.example",
        "/usr/share/stockpipe/stockpipe.env.example"}) {
    EXPECT_TRUE(files.count(expected)) << expected << " is not in the package";
  }
  // Every doc and every Terraform file of the source tree.
  for (const auto& [folder, ext, target] :
       {std::tuple{"docs", ".md", "/usr/share/stockpipe/docs/"},
        std::tuple{"infra", ".tf", "/usr/share/stockpipe/infra/"}}) {
    for (const auto& entry : fs::directory_iterator(fs::path(STOCKPIPE_SOURCE_DIR) / folder)) {
      if (entry.path().extension() != ext) continue;
      EXPECT_TRUE(files.count(target + entry.path().filename().string()))
          << entry.path() << " is not in the package";
    }
  }
  // Nothing else: no test, benchmark or fuzz binary, no library, nothing outside /usr and /etc.
  const std::set<std::string> programs_and_config = {
      "/usr/bin/stockpipe", "/usr/bin/stockpipe-lambda", "/etc/stockpipe/stockpipe.toml",
      "/usr/lib/systemd/system/stockpipe.service"};
  for (const std::string& path : files) {
    if (fs::path(path).has_extension() || path == "/") {
      const std::string ext = fs::path(path).extension().string();
      const bool shared = path.starts_with("/usr/share/stockpipe/") &&
                          (ext == ".md" || ext == ".tf" || ext == ".example" || ext == ".json");
      EXPECT_TRUE(shared || programs_and_config.count(path) || path == "/") << path;
    } else {
      // A folder, or one of the programs.
      const bool folder = std::any_of(files.begin(), files.end(), [&](const std::string& other) {
        return other.starts_with(path + "/");
      });
      EXPECT_TRUE(folder || programs_and_config.count(path)) << "unexpected file " << path;
    }
  }
}

// The unpacked binary with its packaged configuration, over a fresh data folder.
TEST_F(DebPackageTest, UnpackedBinaryRunsThePipelineEndToEnd) {
  const fs::path root = Unpack();
  const fs::path binary = root / "usr/bin/stockpipe";
  const fs::path config = root / "etc/stockpipe/stockpipe.toml";
  ASSERT_TRUE(fs::exists(binary));
  ASSERT_TRUE(fs::exists(config));
  const std::string data = (dir_.path() / "data").string();
  const auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config.string(), "--data-dir", data});
    const auto r = Tool(binary.string(), std::move(args), dir_.path());
    // The example configuration is read whole: no key of it is unknown to the binary.
    EXPECT_EQ(r.err.find("unknown key"), std::string::npos) << r.err;
    return r;
  };
  constexpr int kRecords = 3000;
  const auto produced =
      cli({"produce", "synthetic", "--count", std::to_string(kRecords), "--rate", "max", "--seed",
           "3", "--SYMBOLS", "AAPL,MSFT", "--TRENDS", "AAPL:+,MSFT:-", "--SPIKE_EVERY", "40"});
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  EXPECT_NE(produced.out.find(fmt::format("sent {}", kRecords)), std::string::npos) << produced.out;
  const auto ingested = cli({"ingest", "--once"});
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  const auto trends = cli({"trends", "--once"});
  ASSERT_EQ(trends.exit_code, 0) << trends.err;

  const auto health = cli({"health", "--json"});
  ASSERT_EQ(health.exit_code, 0) << health.err;
  simdjson::dom::parser parser;
  simdjson::dom::element h;
  ASSERT_EQ(parser.parse(health.out).get(h), simdjson::SUCCESS) << health.out;
  EXPECT_EQ(uint64_t(h["ingest"]["received"]), uint64_t(kRecords));
  EXPECT_EQ(uint64_t(h["ingest"]["accepted"]), uint64_t(kRecords));
  EXPECT_EQ(uint64_t(h["stream"]["lag_records"]), 0u);
  EXPECT_EQ(uint64_t(h["clean"]["rows"]), uint64_t(kRecords));
  EXPECT_GE(uint64_t(h["raw"]["objects"]), 1u);
  ASSERT_FALSE(h["last_trends_run"].is_null()) << health.out;
  // Trends up and down with spikes over 1500 points a symbol: the rule fires.
  EXPECT_GE(uint64_t(h["last_trends_run"]["alerts_count"]), 1u) << health.out;

  const auto check = cli({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

// systemd's own reading of the unit: no unknown key, no bad value. verify insists ExecStart's
// program exists, so the copy checked starts the unpacked binary; nothing else is changed.
TEST_F(DebPackageTest, UnitPassesSystemdAnalyzeVerify) {
  if (!fs::exists("/usr/bin/systemd-analyze")) {
    GTEST_SKIP() << "systemd-analyze is not installed here (package systemd)";
  }
  const fs::path root = Unpack();
  const std::string unit = ReadFile(root / "usr/lib/systemd/system/stockpipe.service");
  const std::string exec = "ExecStart=/usr/bin/stockpipe ";
  const std::size_t at = unit.find(exec);
  ASSERT_NE(at, std::string::npos) << unit;
  EXPECT_NE(unit.find("--config /etc/stockpipe/stockpipe.toml"), std::string::npos);
  EXPECT_NE(unit.find(" run\n"), std::string::npos) << "the service runs `stockpipe run`";
  for (const char* line :
       {"User=stockpipe\n", "StateDirectory=stockpipe\n", "ProtectSystem=strict\n",
        "ReadWritePaths=/var/lib/stockpipe\n", "NoNewPrivileges=yes\n", "PrivateTmp=yes\n",
        "Restart=on-failure\n", "EnvironmentFile=-/etc/stockpipe/stockpipe.env\n"}) {
    EXPECT_NE(unit.find(line), std::string::npos) << "the unit lacks " << line;
  }
  std::string copy = unit;
  copy.replace(at, exec.size(), "ExecStart=" + (root / "usr/bin/stockpipe").string() + " ");
  const fs::path checked = dir_.path() / "verify" / "stockpipe.service";
  fs::create_directories(checked.parent_path());
  testing::WriteFile(checked, copy);
  const auto r = Tool("/usr/bin/systemd-analyze", {"verify", checked.string()}, dir_.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // verify exits 0 over unknown keys and bad values, only saying so.
  EXPECT_EQ(r.out + r.err, "") << "systemd-analyze verify complained";
}

}  // namespace
}  // namespace stockpipe
