#include "query/params.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string_view>
#include <vector>

#include "query/selector.h"
#include "query/time_param.h"

namespace depin::query {
namespace {

using Params = std::multimap<std::string, std::string>;

struct FunctionName {
  std::string_view name;
  SeriesFunction function;
  Aggregation aggregation;
  double quantile;  // < 0: from the quantile parameter (or none needed)
};

constexpr FunctionName kFunctions[] = {
    {"none", SeriesFunction::kLast, Aggregation::kNone, -1},
    {"sum", SeriesFunction::kLast, Aggregation::kSum, -1},
    {"avg", SeriesFunction::kLast, Aggregation::kAvg, -1},
    {"min", SeriesFunction::kLast, Aggregation::kMin, -1},
    {"max", SeriesFunction::kLast, Aggregation::kMax, -1},
    {"count", SeriesFunction::kLast, Aggregation::kCount, -1},
    {"quantile", SeriesFunction::kLast, Aggregation::kQuantile, -1},
    {"p50", SeriesFunction::kLast, Aggregation::kQuantile, 0.5},
    {"p90", SeriesFunction::kLast, Aggregation::kQuantile, 0.9},
    {"p95", SeriesFunction::kLast, Aggregation::kQuantile, 0.95},
    {"p99", SeriesFunction::kLast, Aggregation::kQuantile, 0.99},
    {"avg_over_time", SeriesFunction::kAvgOverTime, Aggregation::kNone, -1},
    {"min_over_time", SeriesFunction::kMinOverTime, Aggregation::kNone, -1},
    {"max_over_time", SeriesFunction::kMaxOverTime, Aggregation::kNone, -1},
    {"sum_over_time", SeriesFunction::kSumOverTime, Aggregation::kNone, -1},
    {"count_over_time", SeriesFunction::kCountOverTime, Aggregation::kNone, -1},
    {"last_over_time", SeriesFunction::kLastOverTime, Aggregation::kNone, -1},
    {"quantile_over_time", SeriesFunction::kQuantileOverTime, Aggregation::kNone, -1},
    {"p50_over_time", SeriesFunction::kQuantileOverTime, Aggregation::kNone, 0.5},
    {"p90_over_time", SeriesFunction::kQuantileOverTime, Aggregation::kNone, 0.9},
    {"p95_over_time", SeriesFunction::kQuantileOverTime, Aggregation::kNone, 0.95},
    {"p99_over_time", SeriesFunction::kQuantileOverTime, Aggregation::kNone, 0.99},
};

Status Bad(std::string_view param, const std::string& why) {
  return Status::InvalidArgument("invalid parameter \"" + std::string(param) + "\": " + why);
}

std::string FunctionList() {
  std::string out;
  for (const auto& f : kFunctions) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

// The one value of a single-valued parameter, or null when absent.
Result<const std::string*> Single(const Params& params, const std::string& name) {
  auto [begin, end] = params.equal_range(name);
  if (begin == end) return static_cast<const std::string*>(nullptr);
  if (std::next(begin) != end) return Bad(name, "given more than once");
  return &begin->second;
}

bool IsLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// "region,tier", also "(region, tier)" as written after PromQL's `by`.
Result<std::vector<std::string>> ParseBy(std::string_view text) {
  text = Trim(text);
  if (text.size() >= 2 && text.front() == '(' && text.back() == ')') {
    text = text.substr(1, text.size() - 2);
  }
  std::vector<std::string> out;
  if (Trim(text).empty()) return out;
  size_t pos = 0;
  for (;;) {
    size_t comma = text.find(',', pos);
    std::string_view name = Trim(text.substr(pos, comma - pos));
    if (!IsLabelName(name)) {
      return Bad("by", "\"" + std::string(name) + "\" is not a label name");
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.emplace_back(name);
    if (comma == std::string_view::npos) return out;
    pos = comma + 1;
  }
}

Result<double> ParseQuantile(const std::string& text) {
  char* end = nullptr;
  double q = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(q >= 0 && q <= 1)) {
    return Bad("quantile", "\"" + text + "\" is not a number in [0, 1]");
  }
  return q;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Status::InvalidArgument("malformed %-escape in the form body");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Result<std::multimap<std::string, std::string>> ParseForm(const std::string& body) {
  Params out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    std::string_view pair = std::string_view(body).substr(pos, amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto key = Unescape(pair.substr(0, eq));
      if (!key.ok()) return key.status();
      auto value = Unescape(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      if (!value.ok()) return value.status();
      out.emplace(std::move(key.value()), std::move(value.value()));
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

Result<HistoryRequest> ParseHistoryParams(const Params& params, const HistoryDefaults& defaults,
                                          int64_t now_ms) {
  static const std::set<std::string> kKnown = {
      "match[]", "start",    "end",    "step",           "agg",
      "by",      "quantile", "window", "lookback_delta", "format"};
  for (const auto& [name, value] : params) {
    if (kKnown.count(name) == 0) {
      return Status::InvalidArgument("unknown parameter \"" + name +
                                     "\"; known: match[], start, end, step, agg, by, quantile, "
                                     "window, lookback_delta, format");
    }
  }
  HistoryRequest out;
  RangeQuery& q = out.query;
  auto [mbegin, mend] = params.equal_range("match[]");
  if (mbegin == mend) return Bad("match[]", "at least one series selector is required");
  for (auto it = mbegin; it != mend; ++it) {
    auto matchers = ParseSelector(it->second);
    if (!matchers.ok()) {
      return Bad("match[]", "\"" + it->second + "\": " + matchers.status().message());
    }
    q.selectors.push_back(std::move(matchers.value()));
  }

  auto end = Single(params, "end");
  if (!end.ok()) return end.status();
  q.end_ms = now_ms;
  if (*end) {
    auto t = ParseTime(**end);
    if (!t.ok()) return Bad("end", t.status().message());
    q.end_ms = *t;
  }
  auto start = Single(params, "start");
  if (!start.ok()) return start.status();
  q.start_ms = q.end_ms - defaults.range_ms;
  if (*start) {
    auto t = ParseTime(**start);
    if (!t.ok()) return Bad("start", t.status().message());
    q.start_ms = *t;
  }
  if (q.end_ms < q.start_ms) return Bad("end", "end timestamp must not be before start time");

  auto step = Single(params, "step");
  if (!step.ok()) return step.status();
  if (*step) {
    auto s = ParseSeconds(**step);
    if (!s.ok()) return Bad("step", s.status().message());
    if (*s <= 0) {
      return Bad("step",
                 "zero or negative query resolution step widths are not accepted. Try a positive "
                 "integer");
    }
    q.step_ms = *s;
  } else {
    // About `points` points, in whole seconds.
    const int64_t per_point = (q.end_ms - q.start_ms) / std::max<int64_t>(1, defaults.points);
    q.step_ms = std::max<int64_t>(1000, (per_point + 999) / 1000 * 1000);
  }

  auto agg = Single(params, "agg");
  if (!agg.ok()) return agg.status();
  const FunctionName* function = &kFunctions[0];
  if (*agg) {
    function = nullptr;
    for (const auto& f : kFunctions) {
      if (f.name == **agg) function = &f;
    }
    if (function == nullptr) return Bad("agg", "\"" + **agg + "\"; one of " + FunctionList());
  }
  q.function = function->function;
  q.aggregation = function->aggregation;
  const bool over_time = q.function != SeriesFunction::kLast;
  const bool needs_quantile =
      q.function == SeriesFunction::kQuantileOverTime || q.aggregation == Aggregation::kQuantile;

  auto quantile = Single(params, "quantile");
  if (!quantile.ok()) return quantile.status();
  if (function->quantile >= 0) {
    if (*quantile) {
      return Bad("quantile", "agg=" + std::string(function->name) + " already sets it");
    }
    q.quantile = function->quantile;
  } else if (needs_quantile) {
    if (!*quantile) {
      return Bad("quantile", "agg=" + std::string(function->name) + " needs it (0 to 1)");
    }
    auto v = ParseQuantile(**quantile);
    if (!v.ok()) return v.status();
    q.quantile = *v;
  } else if (*quantile) {
    return Bad("quantile", "only with agg=quantile or agg=quantile_over_time");
  }

  auto by = Single(params, "by");
  if (!by.ok()) return by.status();
  if (*by) {
    if (q.aggregation == Aggregation::kNone) {
      return Bad("by", "grouping needs an aggregation across series (agg=sum, avg, ...)");
    }
    auto labels = ParseBy(**by);
    if (!labels.ok()) return labels.status();
    q.by = std::move(labels.value());
  }

  auto window = Single(params, "window");
  if (!window.ok()) return window.status();
  q.window_ms = q.step_ms;
  if (*window) {
    if (!over_time) return Bad("window", "only with the agg=..._over_time functions");
    auto w = ParseSeconds(**window);
    if (!w.ok()) return Bad("window", w.status().message());
    if (*w <= 0) return Bad("window", "must be positive");
    q.window_ms = *w;
  }
  auto lookback = Single(params, "lookback_delta");
  if (!lookback.ok()) return lookback.status();
  q.lookback_ms = defaults.lookback_ms;
  if (*lookback) {
    if (over_time) return Bad("lookback_delta", "not with the _over_time functions (see window)");
    auto l = ParseSeconds(**lookback);
    if (!l.ok()) return Bad("lookback_delta", l.status().message());
    if (*l <= 0) return Bad("lookback_delta", "must be positive");
    q.lookback_ms = *l;
  }

  auto format = Single(params, "format");
  if (!format.ok()) return format.status();
  if (*format) {
    if (**format != "json" && **format != "csv") return Bad("format", "json or csv");
    out.csv = **format == "csv";
  }
  return out;
}

}  // namespace depin::query
