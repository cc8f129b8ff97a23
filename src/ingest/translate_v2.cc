#include "ingest/translate_v2.h"

#include <algorithm>
#include <limits>
#include <set>

namespace depin::ingest {
namespace {

std::string Describe(const std::vector<route::LabelRef>& labels) {
  std::string out = "{";
  for (const auto& l : labels) {
    if (out.size() > 1) out += ", ";
    out.append(l.name).append("=\"").append(l.value).append("\"");
    if (out.size() > 200) {
      out.resize(200);
      out += "...";
      break;
    }
  }
  return out + "}";
}

std::string_view Find(const std::vector<route::LabelRef>& labels, std::string_view name) {
  for (const auto& l : labels) {
    if (l.name == name) return l.value;
  }
  return {};
}

// Copies `labels` into `ts`, with __name__ replaced by `name` when given and
// an `le` label inserted where it sorts.
void CopyLabels(const std::vector<route::LabelRef>& labels, std::string_view name,
                const std::string* le, prometheus::TimeSeries* ts) {
  bool le_done = le == nullptr;
  auto add = [ts](std::string_view n, std::string_view v) {
    auto* l = ts->add_labels();
    l->set_name(n.data(), n.size());
    l->set_value(v.data(), v.size());
  };
  for (const auto& l : labels) {
    if (!le_done && l.name > "le") {
      add("le", *le);
      le_done = true;
    }
    add(l.name, (l.name == "__name__" && !name.empty()) ? name : l.value);
  }
  if (!le_done) add("le", *le);
}

// The bounds every histogram of a series is written at: the union of their
// populated bounds, plus, when all share an exponential schema, the gaps
// between the populated positive buckets (so the set of `le` series changes
// only when the observed range grows) and the lower edge of the lowest (so
// a quantile interpolates from it, not from 0, as the native one would).
std::vector<double> BoundsOf(const std::vector<ClassicHistogram>& hs) {
  std::set<double> bounds;
  bool same_exponential_schema = true;
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  for (const auto& h : hs) {
    for (const auto& b : h.buckets) bounds.insert(b.first);
    same_exponential_schema &= h.schema != kCustomBucketsSchema && h.schema == hs.front().schema;
    if (h.min_positive_index <= h.max_positive_index) {
      lo = std::min(lo, h.min_positive_index);
      hi = std::max(hi, h.max_positive_index);
    }
  }
  if (same_exponential_schema && lo <= hi && hi - lo < static_cast<int64_t>(kMaxConvertedBuckets)) {
    for (int64_t i = lo - 1; i <= hi; ++i) {
      bounds.insert(ExponentialUpperBound(hs.front().schema, i));
    }
  }
  return {bounds.begin(), bounds.end()};
}

}  // namespace

Status TranslateV2Request(const v2::Request& in, const route::Router& router,
                          const TranslateLimits& limits, prometheus::WriteRequest* out,
                          V2Translation* result) {
  DEPIN_RETURN_IF_ERROR(CheckSymbols(in));
  int64_t samples_out = 0;
  // Checked before each translated series is built.
  auto within_limits = [&](int64_t series, int64_t samples) {
    if (out->timeseries_size() + series > limits.max_series) {
      return Status::TooLarge("more than " + std::to_string(limits.max_series) +
                              " series once native histograms are expanded");
    }
    if (samples_out + samples > limits.max_samples) {
      return Status::TooLarge("more than " + std::to_string(limits.max_samples) +
                              " samples once native histograms are expanded");
    }
    samples_out += samples;
    return Status::Ok();
  };
  std::vector<route::LabelRef> labels;
  std::vector<ClassicHistogram> classic;
  for (int i = 0; i < in.timeseries_size(); ++i) {
    const v2::TimeSeries& ts = in.timeseries(i);
    result->float_samples += ts.samples_size();
    result->histograms += ts.histograms_size();
    result->exemplars += ts.exemplars_size();
    if (ts.has_metadata()) ++result->metadata;
    const int64_t samples = ts.samples_size() + ts.histograms_size();
    auto drop = [&](std::string reason, std::string detail, std::string series, bool is_error) {
      result->dropped.push_back(V2Translation::Dropped{std::move(reason), std::move(detail),
                                                       std::move(series), samples, is_error});
    };
    Status st = ResolveLabelRefs(ts.labels_refs(), in.symbols(), &labels);
    if (!st.ok()) {
      drop("invalid_symbol_ref", st.message(), "#" + std::to_string(i) + " of the request", true);
      continue;
    }
    if (ts.samples_size() > 0 && ts.histograms_size() > 0) {
      drop("samples_and_histograms", "float samples and histograms in one series", Describe(labels),
           true);
      continue;
    }

    if (ts.histograms_size() == 0) {
      if (ts.samples_size() == 0) continue;  // exemplars or metadata only
      DEPIN_RETURN_IF_ERROR(within_limits(1, ts.samples_size()));
      auto* series = out->add_timeseries();
      CopyLabels(labels, {}, nullptr, series);
      std::vector<int64_t> starts;
      bool any_start = ts.created_timestamp() != 0;
      for (const auto& s : ts.samples()) {
        auto* sample = series->add_samples();
        sample->set_value(s.value());
        sample->set_timestamp(s.timestamp());
        starts.push_back(s.start_timestamp() != 0 ? s.start_timestamp() : ts.created_timestamp());
        any_start |= s.start_timestamp() != 0;
      }
      result->origin.push_back(SeriesOrigin::kFloat);
      result->start_ms.push_back(any_start ? std::move(starts) : std::vector<int64_t>{});
      continue;
    }

    // Native histograms: only those a histogram signal uses are converted.
    const std::string name(Find(labels, "__name__"));
    if (name.empty()) {
      drop("missing_metric_name", "invalid labels", Describe(labels), true);
      continue;
    }
    if (!router.MayRoute(name + "_count")) {
      drop("not_in_contract", "", Describe(labels), false);
      continue;
    }
    if (!Find(labels, "le").empty()) {
      drop("invalid_histogram", "native histogram with an \"le\" label", Describe(labels), true);
      continue;
    }
    classic.assign(static_cast<size_t>(ts.histograms_size()), ClassicHistogram{});
    for (int k = 0; k < ts.histograms_size() && st.ok(); ++k) {
      if (ts.histograms(k).reset_hint() == v2::Histogram::RESET_HINT_GAUGE) {
        st = Status::Unsupported("gauge histogram");
      } else {
        st = ToClassicHistogram(ts.histograms(k), &classic[static_cast<size_t>(k)]);
      }
    }
    if (st.code() == Status::Code::kUnsupported) {
      // A histogram signal is a counter: a gauge histogram cannot feed it.
      drop("gauge_histogram", "", Describe(labels), false);
      continue;
    }
    if (!st.ok()) {
      drop("invalid_native_histogram", st.message(), Describe(labels), true);
      continue;
    }
    std::vector<double> bounds = BoundsOf(classic);
    if (bounds.size() + 1 > kMaxConvertedBuckets) {
      drop("invalid_native_histogram",
           "more than " + std::to_string(kMaxConvertedBuckets) + " buckets over its samples",
           Describe(labels), true);
      continue;
    }
    bounds.push_back(std::numeric_limits<double>::infinity());
    const auto series_out = static_cast<int64_t>(bounds.size()) + 2;
    DEPIN_RETURN_IF_ERROR(within_limits(series_out, series_out * ts.histograms_size()));
    const std::vector<int64_t> starts =
        ts.created_timestamp() != 0 ? std::vector<int64_t>(classic.size(), ts.created_timestamp())
                                    : std::vector<int64_t>{};
    auto add_series = [&](std::string_view series_name, const std::string* le, SeriesOrigin origin,
                          auto value_of) {
      auto* series = out->add_timeseries();
      CopyLabels(labels, series_name, le, series);
      for (const auto& h : classic) {
        auto* sample = series->add_samples();
        sample->set_timestamp(h.timestamp);
        sample->set_value(value_of(h));
      }
      result->origin.push_back(origin);
      result->start_ms.push_back(starts);
    };
    const std::string bucket_name = name + "_bucket";
    for (double bound : bounds) {
      const std::string le = FormatLe(bound);
      add_series(bucket_name, &le, SeriesOrigin::kHistogramPart,
                 [bound](const ClassicHistogram& h) { return CumulativeAt(h, bound); });
    }
    add_series(name + "_sum", nullptr, SeriesOrigin::kHistogramPart,
               [](const ClassicHistogram& h) { return h.sum; });
    add_series(name + "_count", nullptr, SeriesOrigin::kHistogramCount,
               [](const ClassicHistogram& h) { return h.count; });
    result->histograms_converted += ts.histograms_size();
  }
  return Status::Ok();
}

}  // namespace depin::ingest
