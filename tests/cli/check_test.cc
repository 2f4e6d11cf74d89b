// `stockpipe check [--deep]`: every check ok on a folder the real binary built; a damaged store,
// a missing RAW object and a truncated one are each reported as FAIL naming the file (exit 1);
// a corrupt store fails loudly in every command that opens it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;
using testing::RunStockpipe;

class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() / "data";
    auto produced = Run({"produce", "synthetic", "--count", "4000", "--rate", "max", "--seed", "3",
                         "--batch", "500"});
    ASSERT_EQ(produced.exit_code, 0) << produced.err;
    const fs::path bad = dir_.path() / "bad.jsonl";
    testing::WriteFile(bad, "{\"symbol\":\"AAPL\",\"price\":0}\n{\"price\":1}\n");
    ASSERT_EQ(Run({"produce", "file", bad.string()}).exit_code, 0);
    // Small batches: several objects per shard, so a missing one leaves a gap between others.
    auto ingested = Run({"--batch-records", "300", "ingest", "--once"});
    ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  }
  testing::ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--data-dir", data_.string()});
    return RunStockpipe(args, {.cwd = dir_.path()});
  }
  std::vector<fs::path> Objects(const std::string& area) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(data_ / area)) {
      if (e.is_regular_file()) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // The line of `out` that mentions `needle`, or "".
  static std::string LineWith(const std::string& out, const std::string& needle) {
    std::size_t at = out.find(needle);
    if (at == std::string::npos) return "";
    const std::size_t begin = out.rfind('\n', at) + 1;
    return out.substr(begin, out.find('\n', at) - begin);
  }
  testing::TempDir dir_;
  fs::path data_;
};

TEST_F(CheckTest, EveryCheckIsOkOnAFolderTheBinaryBuilt) {
  for (const char* mode : {"", "--deep"}) {
    std::vector<std::string> args = {"check"};
    if (*mode) args.push_back(mode);
    const auto r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
    for (const char* needle : {"stream.db", "clean.db", "counts", "coverage"}) {
      EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
    }
    EXPECT_NE(r.out.find("received 4002 = accepted 4000 + rejected 2"), std::string::npos) << r.out;
  }
  const auto deep = Run({"check", "--deep"});
  EXPECT_NE(deep.out.find("integrity_check"), std::string::npos) << deep.out;
  EXPECT_NE(deep.out.find("lines"), std::string::npos) << deep.out;
  const auto json = Run({"check", "--json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_TRUE(json.out.starts_with(R"([{"ok":true,)")) << json.out;
}

TEST_F(CheckTest, AMissingRawObjectIsAGapInItsShard) {
  const auto raw = Objects("raw");
  ASSERT_GE(raw.size(), 3u);
  const fs::path gone = raw[1];  // not the last of its shard (names sort by shard, then range)
  fs::remove(gone);
  const auto r = Run({"check"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const std::string fail = LineWith(r.out, "FAIL");
  EXPECT_NE(fail.find("coverage"), std::string::npos) << r.out;
  EXPECT_TRUE(r.out.find("gap") != std::string::npos ||
              r.out.find("but the checkpoint committed") != std::string::npos)
      << r.out;
}

TEST_F(CheckTest, DeepReadsEveryObjectAndNamesATruncatedOne) {
  const fs::path victim = Objects("raw").front();
  const auto size = fs::file_size(victim);
  fs::resize_file(victim, size / 2);
  EXPECT_EQ(Run({"check"}).exit_code, 0) << "the quick check does not read objects";
  const auto r = Run({"check", "--deep"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const std::string key = fs::relative(victim, data_).generic_string();
  const std::string fail = LineWith(r.out, key);
  EXPECT_TRUE(fail.starts_with("FAIL")) << r.out;
}

TEST_F(CheckTest, ADamagedStoreIsAFailAndEveryCommandOpeningItFailsLoudly) {
  // Garbage over the middle of clean.db: the file opens, its pages do not add up.
  const fs::path clean = data_ / "clean.db";
  ASSERT_GT(fs::file_size(clean), 16u * 4096);
  {
    std::fstream f(clean, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3 * 4096);
    const std::string garbage(8 * 4096, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  const auto r = Run({"check"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(LineWith(r.out, "clean.db").starts_with("FAIL")) << r.out;

  // A header that is not SQLite's: every command that opens the file says so and fails.
  {
    std::fstream f(clean, std::ios::in | std::ios::out | std::ios::binary);
    f.write("this is not a database file!", 28);
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"check"}, std::vector<std::string>{"health"},
        std::vector<std::string>{"backtest"},
        std::vector<std::string>{"query", "SELECT count(*) FROM clean.ticks"},
        std::vector<std::string>{"trends", "--once"}}) {
    const auto failed = Run(args);
    EXPECT_NE(failed.exit_code, 0) << args[0] << ": " << failed.out << failed.err;
    EXPECT_NE((failed.out + failed.err).find("clean.db"), std::string::npos)
        << args[0] << ": " << failed.out << failed.err;
  }
}

TEST_F(CheckTest, ADamagedTickChunkIsAFailNamingItsSymbol) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data_ / "clean.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE tick_chunks SET data = substr(data, 1, length(data) - 8) "
                         "WHERE rowid = (SELECT max(rowid) FROM tick_chunks WHERE symbol = 'AAPL')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  const auto r = Run({"check"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const std::string fail = LineWith(r.out, "clean rows");
  EXPECT_TRUE(fail.starts_with("FAIL")) << r.out;
  EXPECT_NE(fail.find("AAPL"), std::string::npos) << fail;
  EXPECT_NE(fail.find("damaged"), std::string::npos) << fail;
}

TEST_F(CheckTest, AMissingDataFolderIsAFailureNotAnEmptyPass) {
  const auto r =
      RunStockpipe({"--data-dir", (dir_.path() / "nope").string(), "check"}, {.cwd = dir_.path()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() / "nope"));
}

}  // namespace
}  // namespace stockpipe
