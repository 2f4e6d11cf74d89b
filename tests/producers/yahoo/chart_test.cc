// Chart API bodies that are not the happy path: errors inside a 200, arrays that disagree, bodies
// that are not JSON or not a chart, a missing trading period and other granularities.
#include "producers/yahoo/chart.h"

#include <gtest/gtest.h>

namespace stockpipe::yahoo {
namespace {

TEST(Chart, NotJsonOrNotAChartIsAnErrorNotAnException) {
  auto not_json = ParseChart("<html>Too Many Requests</html>");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error(), "the chart response is not JSON");
  auto not_chart = ParseChart(R"({"finance":{"result":null}})");
  ASSERT_FALSE(not_chart.ok());
  EXPECT_EQ(not_chart.error(), "the chart response has no chart.result[0]");
}

TEST(Chart, ApiErrorIsReportedInItsOwnWords) {
  const std::string body =
      R"({"chart":{"result":null,"error":{"code":"Not Found","description":"No data found"}}})";
  auto chart = ParseChart(body);
  ASSERT_FALSE(chart.ok());
  EXPECT_EQ(chart.error(), "Not Found: No data found");
  const auto error = ParseChartError(body);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "Not Found");
  EXPECT_FALSE(ParseChartError(R"({"chart":{"result":[],"error":null}})").has_value());
}

TEST(Chart, ArraysOfDifferentLengthsAreRejected) {
  auto chart = ParseChart(R"({"chart":{"result":[{"meta":{},"timestamp":[1,2,3],)"
                          R"("indicators":{"quote":[{"close":[1.0,2.0]}]}}],"error":null}})");
  ASSERT_FALSE(chart.ok());
  EXPECT_EQ(chart.error(), "the chart response has 3 timestamps but 2 close prices");
}

TEST(Chart, MissingVolumesAndPeriodLeaveThoseUnknown) {
  auto chart = ParseChart(
      R"({"chart":{"result":[{"meta":{"symbol":"BTC-USD","priceHint":4,"dataGranularity":"5m"},)"
      R"("timestamp":[1795617000,1795617300],)"
      R"("indicators":{"quote":[{"close":[null,91234.5]}]}}],"error":null}})");
  ASSERT_TRUE(chart.ok()) << chart.error();
  EXPECT_FALSE(chart->meta.regular.has_value());  // treated as always open
  EXPECT_EQ(chart->meta.price_hint, 4);
  EXPECT_EQ(chart->meta.granularity_s, 300);
  EXPECT_EQ(chart->null_bars, 1u);
  ASSERT_EQ(chart->bars.size(), 1u);
  EXPECT_FALSE(chart->bars[0].volume.has_value());
  EXPECT_DOUBLE_EQ(chart->bars[0].close, 91234.5);
}

}  // namespace
}  // namespace stockpipe::yahoo
