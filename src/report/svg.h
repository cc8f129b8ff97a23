// Charts as inline SVG, generated without any script or stylesheet, for the
// self-contained HTML report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report/report.h"

namespace depin::report {

// Escapes &, <, >, " and ' for HTML/SVG text and attribute values.
std::string EscapeXml(std::string_view text);

struct Bar {
  std::string label;
  double value = 0;
  std::string note;  // printed after the value, e.g. "of 40 GPUs"
};

// Horizontal bars scaled to max(values, `scale_max`); one row per bar.
// `value_format` is a printf format for one double ("%.1f"). Empty bars:
// a chart saying "no data".
std::string BarChart(std::string_view title, const std::vector<Bar>& bars, const char* value_format,
                     double scale_max = 0);

struct LineSeries {
  std::string name;
  std::vector<Point> points;  // oldest first
};

// Lines over [from_ms, to_ms] with a legend; the y axis spans [y_min, y_max]
// widened to the data. Time labels are UTC.
std::string LineChart(std::string_view title, const std::vector<LineSeries>& series,
                      int64_t from_ms, int64_t to_ms, double y_min, double y_max,
                      const char* value_format);

}  // namespace depin::report
