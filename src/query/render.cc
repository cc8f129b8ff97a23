#include "query/render.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

namespace depin::query {
namespace {

std::string JsonString(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

void CsvField(std::string_view s, std::string* out) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

std::string FormatTimestamp(int64_t ms) {
  std::string out = ms < 0 ? "-" : "";
  const uint64_t abs = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  out += std::to_string(abs / 1000);
  uint64_t frac = abs % 1000;
  if (frac != 0) {
    std::string digits = std::to_string(1000 + frac).substr(1);
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];  // fixed notation of the smallest denormal is ~330 chars
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (ec != std::errc()) return "NaN";  // cannot happen with this buffer
  return std::string(buf, end);
}

std::string ErrorJson(std::string_view error_type, std::string_view message) {
  return "{\"status\":\"error\",\"errorType\":" + JsonString(error_type) +
         ",\"error\":" + JsonString(message) + "}";
}

std::string MatrixJson(const std::vector<ResultSeries>& series) {
  std::string out = R"({"status":"success","data":{"resultType":"matrix","result":[)";
  for (size_t i = 0; i < series.size(); ++i) {
    if (i > 0) out += ',';
    out += R"({"metric":{)";
    for (size_t j = 0; j < series[i].labels.size(); ++j) {
      if (j > 0) out += ',';
      out += JsonString(series[i].labels[j].first) + ":" + JsonString(series[i].labels[j].second);
    }
    out += R"(},"values":[)";
    for (size_t j = 0; j < series[i].points.size(); ++j) {
      if (j > 0) out += ',';
      const auto& p = series[i].points[j];
      out += "[" + FormatTimestamp(p.t) + ",\"" + FormatValue(p.v) + "\"]";
    }
    out += "]}";
  }
  out += "]}}";
  return out;
}

std::string MatrixCsv(const std::vector<ResultSeries>& series) {
  std::set<std::string> names;
  bool has_name = false;
  for (const auto& s : series) {
    for (const auto& [name, value] : s.labels) {
      if (name == "__name__") {
        has_name = true;
      } else {
        names.insert(name);
      }
    }
  }
  std::vector<std::string> columns;
  if (has_name) columns.push_back("__name__");
  columns.insert(columns.end(), names.begin(), names.end());

  std::string out;
  for (const auto& c : columns) {
    CsvField(c, &out);
    out += ',';
  }
  out += "timestamp,value\n";
  for (const auto& s : series) {
    std::string prefix;
    for (const auto& c : columns) {
      for (const auto& [name, value] : s.labels) {
        if (name == c) CsvField(value, &prefix);
      }
      prefix += ',';
    }
    for (const auto& p : s.points) {
      out += prefix + FormatTimestamp(p.t) + "," + FormatValue(p.v) + "\n";
    }
  }
  return out;
}

}  // namespace depin::query
