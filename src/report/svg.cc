#include "report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace depin::report {
namespace {

// Distinguishable on white, in order of use.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string Format(const char* format, double v) {
  if (!std::isfinite(v)) return v > 0 ? "+Inf" : (v < 0 ? "-Inf" : "NaN");
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string Header(std::string_view title, int width, int height) {
  const std::string t = EscapeXml(title);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" width=\"" +
         std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
         std::to_string(width) + " " + std::to_string(height) + "\" aria-label=\"" + t +
         "\"><title>" + t + "</title><text x=\"4\" y=\"16\" class=\"chart-title\">" + t + "</text>";
}

std::string Text(double x, double y, std::string_view text, std::string_view anchor = "start") {
  return "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" text-anchor=\"" + std::string(anchor) +
         "\">" + EscapeXml(text) + "</text>";
}

std::string TimeLabel(int64_t ms, bool with_date) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), with_date ? "%m-%d %H:%M" : "%H:%M:%S", &tm);
  return buf;
}

}  // namespace

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string BarChart(std::string_view title, const std::vector<Bar>& bars, const char* value_format,
                     double scale_max) {
  constexpr int kWidth = 640, kLabelWidth = 170, kBarArea = 300, kRow = 22, kTop = 28;
  const int height = kTop + std::max<int>(1, static_cast<int>(bars.size())) * kRow + 8;
  std::string svg = Header(title, kWidth, height);
  if (bars.empty()) return svg + Text(kLabelWidth, kTop + 14, "no data") + "</svg>";
  double top = scale_max;
  for (const auto& b : bars) {
    if (std::isfinite(b.value)) top = std::max(top, b.value);
  }
  if (top <= 0) top = 1;
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = kTop + static_cast<double>(i) * kRow;
    const double v = std::isfinite(b.value) ? std::max(0.0, b.value) : 0.0;
    const double w = kBarArea * std::min(1.0, v / top);
    svg += Text(kLabelWidth - 6, y + 14, b.label, "end");
    svg += "<rect x=\"" + std::to_string(kLabelWidth) + "\" y=\"" + Num(y + 3) + "\" width=\"" +
           Num(w) + "\" height=\"" + std::to_string(kRow - 6) + "\" fill=\"" +
           kPalette[i % kPaletteSize] + "\"><title>" + EscapeXml(b.label) + ": " +
           EscapeXml(Format(value_format, b.value)) + "</title></rect>";
    std::string value = Format(value_format, b.value);
    if (!b.note.empty()) value += " " + b.note;
    svg += Text(kLabelWidth + w + 6, y + 14, value);
  }
  return svg + "</svg>";
}

std::string LineChart(std::string_view title, const std::vector<LineSeries>& series,
                      int64_t from_ms, int64_t to_ms, double y_min, double y_max,
                      const char* value_format) {
  constexpr int kWidth = 640, kHeight = 300, kLeft = 56, kRight = 170, kTop = 28, kBottom = 28;
  constexpr int kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;
  std::string svg = Header(title, kWidth, kHeight);
  bool any = false;
  for (const auto& s : series) {
    for (const auto& p : s.points) {
      if (!std::isfinite(p.v)) continue;
      any = true;
      y_min = std::min(y_min, p.v);
      y_max = std::max(y_max, p.v);
    }
  }
  if (!any) return svg + Text(kLeft, kTop + 20, "no history in the period") + "</svg>";
  if (y_max <= y_min) y_max = y_min + 1;
  if (to_ms <= from_ms) to_ms = from_ms + 1;
  auto x_of = [&](int64_t t) {
    return kLeft + kPlotW * static_cast<double>(t - from_ms) / static_cast<double>(to_ms - from_ms);
  };
  auto y_of = [&](double v) { return kTop + kPlotH * (1 - (v - y_min) / (y_max - y_min)); };

  // Axes with three value ticks and three time ticks.
  svg += "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kTop) + "\" width=\"" +
         std::to_string(kPlotW) + "\" height=\"" + std::to_string(kPlotH) +
         "\" fill=\"none\" stroke=\"#999\"/>";
  const bool with_date = to_ms - from_ms > 86'400'000LL;
  for (int i = 0; i <= 2; ++i) {
    const double v = y_min + (y_max - y_min) * i / 2.0;
    const double y = y_of(v);
    svg += "<line x1=\"" + std::to_string(kLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" +
           std::to_string(kLeft + kPlotW) + "\" y2=\"" + Num(y) + "\" stroke=\"#eee\"/>";
    svg += Text(kLeft - 4, y + 4, Format(value_format, v), "end");
    const int64_t t = from_ms + (to_ms - from_ms) * i / 2;
    svg += Text(x_of(t), kTop + kPlotH + 16, TimeLabel(t, with_date),
                i == 0 ? "start" : (i == 2 ? "end" : "middle"));
  }
  for (size_t i = 0; i < series.size(); ++i) {
    const char* colour = kPalette[i % kPaletteSize];
    std::string points;
    for (const auto& p : series[i].points) {
      if (!std::isfinite(p.v)) continue;
      if (!points.empty()) points += ' ';
      points += Num(x_of(std::clamp(p.t, from_ms, to_ms))) + "," + Num(y_of(p.v));
    }
    if (!points.empty()) {
      svg += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + std::string(colour) +
             "\" points=\"" + points + "\"><title>" + EscapeXml(series[i].name) +
             "</title></polyline>";
    }
    const double ly = kTop + 10 + static_cast<double>(i) * 16;
    svg += "<rect x=\"" + std::to_string(kLeft + kPlotW + 10) + "\" y=\"" + Num(ly - 8) +
           "\" width=\"10\" height=\"10\" fill=\"" + colour + "\"/>";
    svg += Text(kLeft + kPlotW + 24, ly + 1, series[i].name);
  }
  return svg + "</svg>";
}

}  // namespace depin::report
