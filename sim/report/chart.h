// Bar charts for the compare reports: an SVG chart for HTML and a Mermaid
// xychart for Markdown, drawn so that they cannot mislead.
//
// Contract, for both outputs:
//  - the value axis starts at 0 and ends at AxisMax(values) (a round number
//    >= the largest value), so a bar's length is proportional to its value;
//  - values are printed with three significant digits (FormatSignificant);
//  - the first bar is the baseline and is drawn apart (grey in SVG), which a
//    legend says.
// SVG bars are <rect class="bar" data-value="V" width="W"> with W =
// plot_width * V / AxisMax: a test (or a browser) can check proportionality.
#ifndef FUSESIM_SIM_REPORT_CHART_H_
#define FUSESIM_SIM_REPORT_CHART_H_

#include <string>
#include <utility>
#include <vector>

namespace fusesim::sim {

struct BarChart {
  std::string title;
  std::string unit;                                  // appended to each value label ("ms"), may be empty
  std::string axis_label;                            // under the value axis ("round trips", "simulated ms")
  std::string legend;                                // what the baseline bar is, e.g. "lookup-create (mainline)"
  std::vector<std::pair<std::string, double>> bars;  // label, value >= 0; bars[0] is the baseline
};

// Text escaped for HTML and SVG (&, <, >, ").
std::string HtmlEscape(const std::string& s);

// "0.541", "29,000", "1.5", "0": three significant digits, trailing zeros
// after the point dropped, thousands separated by commas.
std::string FormatSignificant(double v, int digits = 3);

// The axis end: the smallest of 1, 2, 2.5, 5 times a power of ten that is
// >= max (1 if max <= 0).
double AxisMax(double max);

// An <svg> element (horizontal bars, value axis with ticks, legend).
std::string SvgBarChart(const BarChart& c);

// A ```mermaid fenced xychart-beta block with "y-axis AXIS_LABEL 0 --> AxisMax"
// and a readable bar colour.
std::string MermaidBarChart(const BarChart& c);

}  // namespace fusesim::sim

#endif  // FUSESIM_SIM_REPORT_CHART_H_
