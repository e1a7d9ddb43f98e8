#include "sim/report/chart.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace fusesim::sim {

std::string HtmlEscape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string FormatSignificant(double v, int digits) {
  if (v == 0 || !std::isfinite(v)) return v == 0 ? "0" : absl::StrCat(v);
  const int mag = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  const int decimals = std::max(0, digits - 1 - mag);
  // Round to the significant digits first, so 29,456 prints as 29,500.
  const double scale = std::pow(10.0, mag - digits + 1);
  const double rounded = decimals > 0 ? v : std::round(v / scale) * scale;
  std::string s = absl::StrFormat("%.*f", decimals, rounded);
  if (s.find('.') != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  // Thousands separators in the integer part.
  const size_t start = s[0] == '-' ? 1 : 0;
  size_t end = s.find('.');
  if (end == std::string::npos) end = s.size();
  std::string out = s.substr(0, start);
  for (size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out += ',';
    out += s[i];
  }
  out += s.substr(end);
  return out;
}

namespace {

// A plain decimal for data attributes and Mermaid (no exponent): integers as
// integers, others with up to six decimals.
std::string Plain(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrFormat("%.0f", v);
  std::string s = absl::StrFormat("%.6f", v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

double AxisMax(double max) {
  if (!(max > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(max)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= max * (1 - 1e-12)) return m * p;
  return 10 * p;
}

std::string SvgBarChart(const BarChart& c) {
  double max = 0;
  for (const auto& [label, v] : c.bars) max = std::max(max, v);
  const double axis = AxisMax(max);
  const int row = 24, left = 170, plot = 420, top = 44;
  const int bottom = top + row * static_cast<int>(c.bars.size());
  const int height = bottom + 44;
  std::string s = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" role=\"img\" "
      "aria-label=\"%s\" data-axis-max=\"%s\" data-plot-width=\"%d\">"
      "<text x=\"0\" y=\"16\" font-weight=\"bold\">%s</text>",
      left + plot + 110, height, HtmlEscape(c.title), Plain(axis), plot, HtmlEscape(c.title));
  // Legend: the baseline's colour and the others'.
  absl::StrAppendFormat(&s,
                        "<rect x=\"0\" y=\"24\" width=\"12\" height=\"12\" fill=\"#888\"/>"
                        "<text x=\"16\" y=\"34\">%s</text>"
                        "<rect x=\"%d\" y=\"24\" width=\"12\" height=\"12\" fill=\"#1f5fbf\"/>"
                        "<text x=\"%d\" y=\"34\">other variants</text>",
                        HtmlEscape(c.legend), left + 150, left + 166);
  // Value axis: gridlines and labels at quarters of the axis.
  for (int i = 0; i <= 4; ++i) {
    const double x = left + plot * i / 4.0;
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#ddd\"/>"
                          "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>",
                          x, top - 2, x, bottom + 4, x, bottom + 18, FormatSignificant(axis * i / 4.0));
  }
  absl::StrAppendFormat(&s, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>", left, bottom + 4,
                        left + plot, bottom + 4);
  absl::StrAppendFormat(&s, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>", left + plot / 2,
                        bottom + 36, HtmlEscape(c.axis_label));
  const std::string unit_suffix = c.unit.empty() ? std::string() : absl::StrCat(" ", HtmlEscape(c.unit));
  for (size_t i = 0; i < c.bars.size(); ++i) {
    const auto& [label, v] = c.bars[i];
    const int y = top + row * static_cast<int>(i);
    const double w = plot * v / axis;
    absl::StrAppendFormat(&s,
                          "<text x=\"0\" y=\"%d\">%s</text><rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.2f\" "
                          "height=\"16\" fill=\"%s\" data-value=\"%s\"/><text x=\"%.2f\" y=\"%d\">%s%s</text>",
                          y + 13, HtmlEscape(label), left, y, w, i == 0 ? "#888" : "#1f5fbf", Plain(v), left + w + 6,
                          y + 13, FormatSignificant(v), unit_suffix);
  }
  return s + "</svg>";
}

std::string MermaidBarChart(const BarChart& c) {
  double max = 0;
  std::vector<std::string> names, values;
  for (const auto& [label, v] : c.bars) {
    max = std::max(max, v);
    names.push_back(absl::StrCat("\"", absl::StrReplaceAll(label, {{"\"", "'"}}), "\""));
    values.push_back(Plain(v));
  }
  std::string title = c.title;
  if (!c.legend.empty()) absl::StrAppend(&title, " — first bar: ", c.legend);
  return absl::StrCat(
      "```mermaid\n"
      "%%{init: {\"themeVariables\": {\"xyChart\": {\"plotColorPalette\": \"#1f5fbf\"}}}}%%\n"
      "xychart-beta\n  title \"",
      absl::StrReplaceAll(title, {{"\"", "'"}}), "\"\n  x-axis [", absl::StrJoin(names, ", "), "]\n  y-axis \"",
      absl::StrReplaceAll(c.axis_label, {{"\"", "'"}}), "\" 0 --> ", Plain(AxisMax(max)), "\n  bar [",
      absl::StrJoin(values, ", "), "]\n```\n");
}

}  // namespace fusesim::sim
