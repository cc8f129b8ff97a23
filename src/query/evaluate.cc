#include "query/evaluate.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

namespace depin::query {
namespace {

using store::Labels;
using store::SamplePoint;

// Prometheus's staleness marker: never a value of a query result.
bool IsStaleMarker(double v) { return std::bit_cast<uint64_t>(v) == 0x7ff0000000000002ULL; }

std::string Ms(int64_t ms) { return std::to_string(ms / 1000) + "s"; }

Status CheckShape(const RangeQuery& q, const QueryLimits& limits) {
  if (q.selectors.empty()) return Status::InvalidArgument("no series selector (match[])");
  if (q.step_ms <= 0) {
    return Status::InvalidArgument(
        "zero or negative query resolution step widths are not accepted. Try a positive "
        "integer");
  }
  if (q.end_ms < q.start_ms) {
    return Status::InvalidArgument("end timestamp must not be before start time");
  }
  if (limits.max_range_ms > 0 && q.end_ms - q.start_ms > limits.max_range_ms) {
    return Status::InvalidArgument("time range " + Ms(q.end_ms - q.start_ms) +
                                   " exceeds the maximum of " + Ms(limits.max_range_ms) +
                                   " (--storage.remote.read-max-range)");
  }
  if (limits.max_points > 0 && StepCount(q.start_ms, q.end_ms, q.step_ms) > limits.max_points) {
    return Status::InvalidArgument("exceeded maximum resolution of " +
                                   std::to_string(limits.max_points) +
                                   " points per timeseries. Try decreasing the query resolution "
                                   "(?step=XX)");
  }
  const bool over_time = q.function != SeriesFunction::kLast;
  if (over_time && q.window_ms <= 0) return Status::InvalidArgument("window must be positive");
  if (!over_time && q.lookback_ms <= 0) {
    return Status::InvalidArgument("lookback delta must be positive");
  }
  const bool needs_q =
      q.function == SeriesFunction::kQuantileOverTime || q.aggregation == Aggregation::kQuantile;
  if (needs_q && !(q.quantile >= 0 && q.quantile <= 1)) {
    return Status::InvalidArgument("quantile must be in [0, 1]");
  }
  if (q.aggregation == Aggregation::kNone && !q.by.empty()) {
    return Status::InvalidArgument("grouping labels need an aggregation across series");
  }
  return Status::Ok();
}

bool NanFirstLess(double a, double b) { return (std::isnan(a) && !std::isnan(b)) || a < b; }

// f over a window's samples (non-empty).
double OverTime(SeriesFunction f, const SamplePoint* begin, const SamplePoint* end, double q) {
  const auto n = static_cast<double>(end - begin);
  switch (f) {
    case SeriesFunction::kCountOverTime:
      return n;
    case SeriesFunction::kLastOverTime:
      return (end - 1)->v;
    case SeriesFunction::kSumOverTime:
    case SeriesFunction::kAvgOverTime: {
      double sum = 0;
      for (const auto* p = begin; p != end; ++p) sum += p->v;
      return f == SeriesFunction::kSumOverTime ? sum : sum / n;
    }
    case SeriesFunction::kMinOverTime:
    case SeriesFunction::kMaxOverTime: {
      // As Prometheus: NaN only when every sample is NaN.
      double best = begin->v;
      for (const auto* p = begin + 1; p != end; ++p) {
        const bool better = f == SeriesFunction::kMinOverTime ? best > p->v : best < p->v;
        if (better || std::isnan(best)) best = p->v;
      }
      return best;
    }
    case SeriesFunction::kQuantileOverTime: {
      std::vector<double> values;
      values.reserve(end - begin);
      for (const auto* p = begin; p != end; ++p) values.push_back(p->v);
      return Quantile(q, std::move(values));
    }
    case SeriesFunction::kLast:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// One series' points at start, start + step, ... <= end. `samples` are
// ascending and hold no staleness markers.
std::vector<SamplePoint> Resample(const std::vector<SamplePoint>& samples, const RangeQuery& q) {
  std::vector<SamplePoint> out;
  const bool last = q.function == SeriesFunction::kLast;
  const int64_t reach = last ? q.lookback_ms : q.window_ms;
  size_t lo = 0;  // first sample >= ts - reach
  size_t hi = 0;  // first sample > ts
  for (int64_t ts = q.start_ms; ts <= q.end_ms; ts += q.step_ms) {
    while (hi < samples.size() && samples[hi].t <= ts) ++hi;
    while (lo < hi && samples[lo].t < ts - reach) ++lo;
    if (lo < hi) {
      const double v =
          last ? samples[hi - 1].v
               : OverTime(q.function, samples.data() + lo, samples.data() + hi, q.quantile);
      out.push_back({ts, v});
    }
    if (q.end_ms - ts < q.step_ms) break;  // no overflow past end
  }
  return out;
}

Labels DropName(Labels labels) {
  std::erase_if(labels, [](const auto& l) { return l.first == "__name__"; });
  return labels;
}

Labels GroupLabels(const Labels& labels, const std::vector<std::string>& by) {
  Labels out;
  for (const auto& [name, value] : labels) {
    if (std::find(by.begin(), by.end(), name) != by.end() && !value.empty()) {
      out.emplace_back(name, value);
    }
  }
  return out;  // still sorted by name
}

// One group's values at one step (non-empty).
double Aggregate(Aggregation a, std::vector<double>& values, double q) {
  switch (a) {
    case Aggregation::kCount:
      return static_cast<double>(values.size());
    case Aggregation::kSum:
    case Aggregation::kAvg: {
      double sum = 0;
      for (double v : values) sum += v;
      return a == Aggregation::kSum ? sum : sum / static_cast<double>(values.size());
    }
    case Aggregation::kMin:
    case Aggregation::kMax: {
      double best = values.front();
      for (double v : values) {
        const bool better = a == Aggregation::kMin ? best > v : best < v;
        if (better || std::isnan(best)) best = v;
      }
      return best;
    }
    case Aggregation::kQuantile:
      return Quantile(q, std::move(values));
    case Aggregation::kNone:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::vector<ResultSeries> AggregateAcross(std::vector<ResultSeries> series, const RangeQuery& q) {
  // Group -> step index -> values present at that step.
  std::map<Labels, std::map<int64_t, std::vector<double>>> groups;
  for (auto& s : series) {
    auto& steps = groups[GroupLabels(s.labels, q.by)];
    for (const auto& p : s.points) steps[p.t].push_back(p.v);
  }
  std::vector<ResultSeries> out;
  for (auto& [labels, steps] : groups) {
    ResultSeries r{labels, {}};
    r.points.reserve(steps.size());
    for (auto& [t, values] : steps) {
      r.points.push_back({t, Aggregate(q.aggregation, values, q.quantile)});
    }
    if (!r.points.empty()) out.push_back(std::move(r));
  }
  return out;  // std::map: sorted by labels
}

}  // namespace

int64_t StepCount(int64_t start_ms, int64_t end_ms, int64_t step_ms) {
  if (step_ms <= 0 || end_ms < start_ms) return 0;
  return (end_ms - start_ms) / step_ms + 1;
}

double Quantile(double q, std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(values.begin(), values.end(), NanFirstLess);
  const double n = static_cast<double>(values.size());
  const double rank = q * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

Result<std::vector<ResultSeries>> Evaluate(const store::Store& store, const RangeQuery& q,
                                           const QueryLimits& limits) {
  DEPIN_RETURN_IF_ERROR(CheckShape(q, limits));
  const int64_t reach = q.function == SeriesFunction::kLast ? q.lookback_ms : q.window_ms;
  const int64_t mint = q.start_ms - reach;

  // The union of the selectors' series, each once.
  std::map<Labels, std::vector<SamplePoint>> selected;
  int64_t loaded = 0;
  for (const auto& matchers : q.selectors) {
    store::QueryLimits select_limits{limits.max_series, limits.max_samples};
    auto found = store.Select(matchers, mint, q.end_ms, store::SelectMode::kSamples, select_limits);
    if (!found.ok()) {
      if (found.status().code() != Status::Code::kTooLarge) return found.status();
      return Status::TooLarge(found.status().message() +
                              " (--query.max-series, --query.max-samples)");
    }
    for (auto& s : found.value()) {
      auto [it, added] = selected.try_emplace(std::move(s.labels), std::move(s.samples));
      if (added) loaded += static_cast<int64_t>(it->second.size());
    }
    if (limits.max_series > 0 && static_cast<int64_t>(selected.size()) > limits.max_series) {
      return Status::TooLarge("the query selects more than " + std::to_string(limits.max_series) +
                              " series (--query.max-series); narrow the selector");
    }
    if (limits.max_samples > 0 && loaded > limits.max_samples) {
      return Status::TooLarge("the query reads more than " + std::to_string(limits.max_samples) +
                              " samples (--query.max-samples); shorten the range");
    }
  }

  std::vector<ResultSeries> series;
  int64_t computed = 0;
  for (auto& [labels, samples] : selected) {
    std::erase_if(samples, [](const SamplePoint& p) { return IsStaleMarker(p.v); });
    ResultSeries r{q.function == SeriesFunction::kLast ? labels : DropName(labels),
                   Resample(samples, q)};
    if (r.points.empty()) continue;
    computed += static_cast<int64_t>(r.points.size());
    if (limits.max_samples > 0 && computed > limits.max_samples) {
      return Status::TooLarge("the query computes more than " + std::to_string(limits.max_samples) +
                              " points (--query.max-samples); use a longer step or fewer series");
    }
    series.push_back(std::move(r));
  }
  if (q.aggregation != Aggregation::kNone) return AggregateAcross(std::move(series), q);

  std::sort(series.begin(), series.end(),
            [](const ResultSeries& a, const ResultSeries& b) { return a.labels < b.labels; });
  for (size_t i = 1; i < series.size(); ++i) {
    if (series[i].labels == series[i - 1].labels) {
      return Status::InvalidArgument(
          "vector cannot contain metrics with the same labelset: the over-time function drops "
          "the metric name of series that differ only by it; select one metric per query");
    }
  }
  return series;
}

}  // namespace depin::query
