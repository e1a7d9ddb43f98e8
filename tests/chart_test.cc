// Tests of the report charts (sim/report/chart.h): the value axis starts at
// zero and ends at a round number above the largest value, bar lengths are
// proportional to values, labels have three significant digits.
#include "sim/report/chart.h"

#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fusesim::sim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Chart, FormatSignificant) {
  EXPECT_EQ(FormatSignificant(0.541), "0.541");
  EXPECT_EQ(FormatSignificant(0.481), "0.481");
  EXPECT_EQ(FormatSignificant(0.0004816), "0.000482");
  EXPECT_EQ(FormatSignificant(29456), "29,500");
  EXPECT_EQ(FormatSignificant(28966), "29,000");
  EXPECT_EQ(FormatSignificant(632.437), "632");
  EXPECT_EQ(FormatSignificant(1.5), "1.5");
  EXPECT_EQ(FormatSignificant(12), "12");
  EXPECT_EQ(FormatSignificant(0), "0");
  EXPECT_EQ(FormatSignificant(-1234), "-1,230");
  EXPECT_EQ(FormatSignificant(1988, 15), "1,988");
  EXPECT_EQ(FormatSignificant(1234567, 15), "1,234,567");
}

TEST(Chart, AxisMaxIsARoundNumberAtOrAboveTheMax) {
  EXPECT_EQ(AxisMax(42769), 50000);
  EXPECT_EQ(AxisMax(632.4), 1000);
  EXPECT_EQ(AxisMax(0.541), 1);
  EXPECT_EQ(AxisMax(0.21), 0.25);
  EXPECT_EQ(AxisMax(2), 2);
  EXPECT_EQ(AxisMax(101), 200);
  EXPECT_EQ(AxisMax(0), 1);
}

// Every rect.bar's width over its data-value must be the same ratio, and
// equal to plot width / axis max: the axis starts at 0.
TEST(Chart, SvgBarsAreProportionalToValuesFromZero) {
  BarChart c;
  c.title = "t";
  c.axis_label = "round trips";
  c.legend = "base";
  c.bars = {{"base", 42769}, {"v1", 28966}, {"v2", 29018}, {"v3", 0}};
  const std::string svg = SvgBarChart(c);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex(R"re(data-axis-max="([0-9.]+)" data-plot-width="([0-9]+)")re")));
  const double axis = std::stod(m[1]), plot = std::stod(m[2]);
  EXPECT_EQ(axis, 50000);
  const std::regex bar(
      R"re(<rect class="bar" x="\d+" y="\d+" width="([0-9.]+)" height="\d+" fill="[^"]+" data-value="([0-9.]+)")re");
  std::vector<double> values;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar); it != std::sregex_iterator(); ++it) {
    const double w = std::stod((*it)[1]), v = std::stod((*it)[2]);
    EXPECT_NEAR(w, plot * v / axis, 0.01) << (*it)[0];
    values.push_back(v);
  }
  EXPECT_EQ(values, (std::vector<double>{42769, 28966, 29018, 0}));
  // Tick labels from 0 to the axis end, the legend and the value labels.
  EXPECT_THAT(svg, HasSubstr(">0</text>"));
  EXPECT_THAT(svg, HasSubstr(">50,000</text>"));
  EXPECT_THAT(svg, HasSubstr(">base</text>"));
  EXPECT_THAT(svg, HasSubstr(">29,000</text>"));
  EXPECT_THAT(svg, HasSubstr(">round trips</text>"));
}

TEST(Chart, SvgEscapesLabels) {
  BarChart c;
  c.title = "a<b";
  c.bars = {{"x&y", 1}};
  const std::string svg = SvgBarChart(c);
  EXPECT_THAT(svg, HasSubstr("a&lt;b"));
  EXPECT_THAT(svg, HasSubstr("x&amp;y"));
  EXPECT_THAT(svg, Not(HasSubstr("x&y")));
}

TEST(Chart, MermaidAxisStartsAtZero) {
  BarChart c;
  c.title = "Round trips";
  c.axis_label = "round trips";
  c.legend = "lookup-create";
  c.bars = {{"lookup-create", 42769}, {"atomic-create", 28966}, {"t", 0.5}};
  const std::string md = MermaidBarChart(c);
  EXPECT_THAT(md, HasSubstr("```mermaid\n"));
  EXPECT_THAT(md, HasSubstr("xychart-beta\n"));
  EXPECT_THAT(md, HasSubstr("y-axis \"round trips\" 0 --> 50000\n"));
  EXPECT_THAT(md, HasSubstr("bar [42769, 28966, 0.5]\n"));
  EXPECT_THAT(md, HasSubstr("plotColorPalette"));
  EXPECT_THAT(md, HasSubstr(" — first bar: lookup-create\""));
}

}  // namespace
}  // namespace fusesim::sim
