// The Grafana dashboard (packaging/grafana/stockpipe-dashboard.json) against what the code
// exports: data goes through the real binary (produce -> ingest -> trends with an alert), then
// `stockpipe serve` is scraped on /metrics, and every metric name in every panel query and
// variable query of the dashboard must be a family of that scrape. The name extraction is
// checked on its own, including that a misspelt name is caught.
//
// No family is a histogram today, so names are compared as they are (no _bucket/_sum/_count
// stripping); a histogram added later would need it here.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace stockpipe {
namespace {

using nlohmann::json;

const std::filesystem::path kDashboard = std::filesystem::path(STOCKPIPE_TESTS_DIR).parent_path() /
                                         "packaging" / "grafana" / "stockpipe-dashboard.json";

// The metric names a PromQL expression reads: identifiers that are not functions, aggregation
// operators, keywords, label names (inside {...} or after by/without/on/ignoring/group_*),
// durations ([...]), strings or Grafana variables ($name).
std::set<std::string> MetricNames(std::string_view expr) {
  static const std::set<std::string, std::less<>> kWords = {
      "sum",   "min",          "max",     "avg",      "group",      "stddev",      "stdvar",
      "count", "count_values", "bottomk", "topk",     "quantile",   "limitk",      "limit_ratio",
      "by",    "without",      "on",      "ignoring", "group_left", "group_right", "bool",
      "and",   "or",           "unless",  "offset",   "atan2",      "inf",         "nan"};
  static const std::set<std::string, std::less<>> kLabelLists = {
      "by", "without", "on", "ignoring", "group_left", "group_right"};
  std::set<std::string> out;
  const auto is_start = [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  const auto is_part = [&](char c) {
    return is_start(c) || std::isdigit(static_cast<unsigned char>(c));
  };
  const auto skip_to = [&](std::size_t i, char open, char close) {
    int depth = 0;
    for (; i < expr.size(); ++i) {
      if (expr[i] == '"' || expr[i] == '\'' || expr[i] == '`') {
        const char quote = expr[i];
        for (++i; i < expr.size() && expr[i] != quote; ++i) {
          if (expr[i] == '\\') ++i;
        }
        continue;
      }
      if (expr[i] == open) ++depth;
      if (expr[i] == close && --depth == 0) return i + 1;
    }
    return i;
  };
  for (std::size_t i = 0; i < expr.size();) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      std::size_t j = i + 1;
      for (; j < expr.size() && expr[j] != c; ++j) {
        if (expr[j] == '\\') ++j;
      }
      i = j + 1;
    } else if (c == '{') {
      i = skip_to(i, '{', '}');
    } else if (c == '[') {
      i = skip_to(i, '[', ']');
    } else if (c == '$') {
      for (++i; i < expr.size() && (is_part(expr[i]) || expr[i] == '{' || expr[i] == '}'); ++i) {
      }
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      for (++i; i < expr.size() && (is_part(expr[i]) || expr[i] == '.'); ++i) {
      }
    } else if (is_start(c)) {
      std::size_t j = i;
      while (j < expr.size() && is_part(expr[j])) ++j;
      const std::string word(expr.substr(i, j - i));
      std::size_t next = j;
      while (next < expr.size() && std::isspace(static_cast<unsigned char>(expr[next]))) ++next;
      const bool call = next < expr.size() && expr[next] == '(';
      if (kLabelLists.count(word) && call) {
        j = skip_to(next, '(', ')');
      } else if (!call && !kWords.count(word)) {
        out.insert(word);
      }
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

// The families a scrape declares (its `# TYPE` lines) and the names it has samples of.
struct Scrape {
  std::set<std::string> typed, sampled;
};

Scrape ParseExposition(const std::string& text) {
  Scrape s;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name;
      words >> name;
      s.typed.insert(name);
    } else if (!line.empty() && line[0] != '#') {
      s.sampled.insert(line.substr(0, line.find_first_of("{ ")));
    }
  }
  return s;
}

// Every expression of the dashboard: panel targets (rows' nested panels too) and query variables.
std::vector<std::string> Expressions(const json& dashboard) {
  std::vector<std::string> out;
  std::function<void(const json&)> panels = [&](const json& list) {
    for (const json& panel : list) {
      for (const json& target : panel.value("targets", json::array())) {
        if (target.contains("expr")) out.push_back(target["expr"]);
      }
      if (panel.contains("panels")) panels(panel["panels"]);
    }
  };
  panels(dashboard["panels"]);
  for (const json& variable : dashboard["templating"]["list"]) {
    if (variable.value("type", "") != "query") continue;
    const json& query = variable["query"];
    out.push_back(query.is_object() ? query.value("query", "") : query.get<std::string>());
  }
  return out;
}

// Names in `exprs` that `scrape` does not declare, as "name (in: expr)".
std::vector<std::string> Missing(const std::vector<std::string>& exprs, const Scrape& scrape) {
  std::vector<std::string> out;
  for (const std::string& expr : exprs) {
    for (const std::string& name : MetricNames(expr)) {
      if (!scrape.typed.count(name)) out.push_back(fmt::format("{} (in: {})", name, expr));
    }
  }
  return out;
}

TEST(MetricNames, FindsMetricsAndSkipsFunctionsLabelsRangesAndVariables) {
  EXPECT_EQ(
      MetricNames(
          R"(sum by (reason) (rate(stockpipe_ingest_records_rejected_total{instance=~"$instance",reason!="x"}[$__rate_interval])) > 0)"),
      std::set<std::string>{"stockpipe_ingest_records_rejected_total"});
  EXPECT_EQ(
      MetricNames(
          R"(time() - max by (symbol) (stockpipe_clean_newest_timestamp_seconds{instance=~"$instance"}))"),
      std::set<std::string>{"stockpipe_clean_newest_timestamp_seconds"});
  EXPECT_EQ(MetricNames("process_resident_memory_bytes / on (instance) group_left (version) "
                        "stockpipe_build_info offset 5m * 1e3"),
            (std::set<std::string>{"process_resident_memory_bytes", "stockpipe_build_info"}));
  EXPECT_EQ(MetricNames("label_values(stockpipe_build_info, instance)"),
            (std::set<std::string>{"stockpipe_build_info", "instance"}))
      << "a variable query's label argument reads like a name; the check below allows for it";
}

TEST(MetricNames, AMisspeltNameIsCaught) {
  Scrape scrape;
  scrape.typed = {"stockpipe_ingest_records_accepted_total"};
  EXPECT_TRUE(Missing({"rate(stockpipe_ingest_records_accepted_total[5m])"}, scrape).empty());
  const auto missing = Missing({"rate(stockpipe_ingest_records_acepted_total[5m])"}, scrape);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].find("stockpipe_ingest_records_acepted_total"), std::string::npos);
}

class DashboardTest : public ::testing::Test {
 protected:
  testing::ProcessResult Cli(std::vector<std::string> args, std::string stdin_text = "") {
    args.insert(args.begin(), {"--data-dir", (dir_.path() / "data").string()});
    return testing::RunStockpipe(args, {.cwd = dir_.path(), .stdin_text = std::move(stdin_text)});
  }
  testing::TempDir dir_;
};

TEST_F(DashboardTest, EveryQueriedMetricIsExportedOnMetrics) {
  const json dashboard = json::parse(std::ifstream(kDashboard), nullptr, false);
  ASSERT_TRUE(dashboard.is_object()) << kDashboard;

  // Data through the pipeline: 30 rising prices (a SELL alert to console and log) and a bad line.
  std::string records;
  double price = 100;
  for (int i = 0; i < 30; ++i, price *= 1.01) {
    records += fmt::format(R"({{"symbol":"AAPL","timestamp":{},"price":{}}})",
                           1'755'180'000 + 60 * i, price) +
               "\n";
  }
  records += "not json\n";
  ASSERT_EQ(Cli({"produce", "file", "-"}, records).exit_code, 0);
  ASSERT_EQ(Cli({"ingest", "--once"}).exit_code, 0);
  ASSERT_EQ(Cli({"trends", "--once"}).exit_code, 0);

  auto server = testing::Start(
      {"--data-dir", (dir_.path() / "data").string(), "serve", "--http", "127.0.0.1:0"},
      {.cwd = dir_.path()});
  const int port = testing::WaitForDashboardPort(server);
  ASSERT_GT(port, 0) << server.StdErrSoFar();
  httplib::Client client("127.0.0.1", port);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200) << metrics->body;
  server.Stop();
  const Scrape scrape = ParseExposition(metrics->body);

  const std::vector<std::string> exprs = Expressions(dashboard);
  ASSERT_GE(exprs.size(), 10u);
  std::vector<std::string> missing = Missing(exprs, scrape);
  // label_values(metric, label): the label is not a metric.
  std::erase_if(missing, [](const std::string& m) { return m.starts_with("instance "); });
  EXPECT_TRUE(missing.empty()) << "queried but not exported:\n"
                               << fmt::format("{}", fmt::join(missing, "\n"));

  // The panels the dashboard promises have data behind them after this run.
  for (const char* name :
       {"stockpipe_ingest_records_accepted_total", "stockpipe_ingest_records_rejected_total",
        "stockpipe_clean_newest_timestamp_seconds", "stockpipe_stream_lag_records",
        "stockpipe_alerts_delivered_total", "stockpipe_alerts_channel_failing",
        "stockpipe_alerts_pending", "stockpipe_build_info", "process_cpu_seconds_total",
        "process_resident_memory_bytes", "process_start_time_seconds"}) {
    EXPECT_TRUE(scrape.sampled.count(name)) << name << " has no sample:\n" << metrics->body;
  }
}

TEST(DashboardModel, UsesAPrometheusDatasourceVariableEverywhere) {
  const json dashboard = json::parse(std::ifstream(kDashboard), nullptr, false);
  ASSERT_TRUE(dashboard.is_object());
  EXPECT_EQ(dashboard.value("uid", ""), "stockpipe");
  bool has_variable = false;
  for (const json& variable : dashboard["templating"]["list"]) {
    if (variable.value("type", "") == "datasource" && variable.value("query", "") == "prometheus") {
      has_variable = variable.value("name", "") == "datasource";
    }
  }
  EXPECT_TRUE(has_variable) << "a datasource variable named datasource, of type prometheus";
  std::set<std::string> titles;
  for (const json& panel : dashboard["panels"]) {
    titles.insert(panel.value("title", ""));
    if (panel.value("type", "") == "row") continue;
    EXPECT_EQ(panel["datasource"].value("uid", ""), "${datasource}") << panel["title"];
    ASSERT_FALSE(panel.value("targets", json::array()).empty()) << panel["title"];
    for (const json& target : panel["targets"]) {
      EXPECT_EQ(target["datasource"].value("uid", ""), "${datasource}") << panel["title"];
    }
  }
  for (const char* title :
       {"Ingest rate", "Stream lag", "Age of the newest tick", "Rejects by reason", "Alerts sent",
        "Channel health", "Build info", "Process CPU", "Process memory"}) {
    EXPECT_TRUE(titles.count(title)) << title;
  }
}

}  // namespace
}  // namespace stockpipe
