// The process metrics' /proc parsing (proc(5) layouts, including a command name with spaces and
// parentheses) and the families' text: HELP and TYPE for each, values of this very process.
// The families on a served /metrics are checked through the binary in
// tests/packaging/grafana/dashboard_test.cc.
#include "serve/process_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>

namespace stockpipe::serve {
namespace {

TEST(ProcStat, ReadsTheFieldsAfterACommandNameWithSpacesAndParentheses) {
  // Fields 14/15 utime/stime, 22 starttime, 23 vsize, 24 rss.
  const std::string line =
      "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 3 0 "
      "987654 123456789 4321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto stat = ParseProcStat(line);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->utime_ticks, 250u);
  EXPECT_EQ(stat->stime_ticks, 75u);
  EXPECT_EQ(stat->start_ticks, 987654u);
  EXPECT_EQ(stat->vsize_bytes, 123456789u);
  EXPECT_EQ(stat->rss_pages, 4321u);
}

TEST(ProcStat, RefusesTruncatedOrGarbledLines) {
  EXPECT_FALSE(ParseProcStat(""));
  EXPECT_FALSE(ParseProcStat("4242 (name) S 1 2 3"));
  EXPECT_FALSE(ParseProcStat("4242 name S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75"));
  EXPECT_FALSE(ParseProcStat(
      "1 (x) S 1 1 1 0 -1 0 0 0 0 0 ten 75 0 0 20 0 3 0 9 9 9 0 1 1 0 0 0 0 0 0 0 0 0 0 17"));
}

TEST(BootTime, ReadsBtimeFromProcStat) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1765000000\nprocesses 9\n"), 1765000000u);
  EXPECT_FALSE(ParseBootTime("cpu  1 2 3\n"));
  EXPECT_FALSE(ParseBootTime("btime soon\n"));
}

// name -> value of the samples in `text`; each family with its HELP and TYPE lines.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::map<std::string, int> help, type;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first, name;
    if (line.starts_with("# HELP ")) {
      words >> first >> first >> name;
      ++help[name];
    } else if (line.starts_with("# TYPE ")) {
      words >> first >> first >> name;
      ++type[name];
    } else {
      const std::size_t space = line.rfind(' ');
      std::string key = line.substr(0, space);
      out[key] = std::stod(line.substr(space + 1));
      const std::string family = key.substr(0, key.find('{'));
      EXPECT_EQ(help[family], 1) << family;
      EXPECT_EQ(type[family], 1) << family;
    }
  }
  return out;
}

TEST(ProcessMetrics, DescribeThisProcess) {
  const auto samples = Samples(ProcessMetricsText());
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds"}) {
    ASSERT_TRUE(samples.count(name)) << name;
  }
  EXPECT_GT(samples.at("process_resident_memory_bytes"), 0);
  EXPECT_GE(samples.at("process_virtual_memory_bytes"),
            samples.at("process_resident_memory_bytes"));
  EXPECT_GE(samples.at("process_open_fds"), 3);  // stdin, stdout, stderr at least
  EXPECT_GE(samples.at("process_max_fds"), samples.at("process_open_fds"));
  EXPECT_GE(samples.at("process_cpu_seconds_total"), 0);
  // Started before now and after the machine booted (no timing: only the order of events).
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(samples.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(samples.at("process_start_time_seconds"), 1.0e9);
}

TEST(ProcessMetrics, OpenFdsCountsADescriptorOpenedHere) {
  const double before = Samples(ProcessMetricsText()).at("process_open_fds");
  const int fd = ::dup(STDERR_FILENO);
  ASSERT_GE(fd, 0);
  const double during = Samples(ProcessMetricsText()).at("process_open_fds");
  ::close(fd);
  EXPECT_EQ(during, before + 1);
}

TEST(BuildInfo, OneSampleOfValueOneWithVersionAndCommit) {
  const std::string text = BuildInfoText();
  EXPECT_NE(text.find("# TYPE stockpipe_build_info gauge\n"), std::string::npos) << text;
  const auto samples = Samples(text);
  ASSERT_EQ(samples.size(), 1u) << text;
  EXPECT_TRUE(samples.begin()->first.starts_with("stockpipe_build_info{version=\""))
      << samples.begin()->first;
  EXPECT_NE(samples.begin()->first.find(",commit=\""), std::string::npos);
  EXPECT_EQ(samples.begin()->second, 1.0);
}

}  // namespace
}  // namespace stockpipe::serve
