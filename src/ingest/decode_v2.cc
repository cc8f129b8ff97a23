#include "ingest/decode_v2.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

namespace depin::ingest {

Status ParseWriteV2Request(std::string_view raw, v2::Request* request) {
  if (!request->ParseFromArray(raw.data(), static_cast<int>(raw.size()))) {
    return Status::InvalidArgument("body is not a valid io.prometheus.write.v2.Request protobuf");
  }
  return Status::Ok();
}

Status CheckSymbols(const v2::Request& request) {
  if (!request.symbols().empty() && !request.symbols(0).empty()) {
    return Status::InvalidArgument("symbols[0] must be the empty string");
  }
  return Status::Ok();
}

Status ResolveLabelRefs(const google::protobuf::RepeatedField<uint32_t>& refs,
                        const google::protobuf::RepeatedPtrField<std::string>& symbols,
                        std::vector<route::LabelRef>* out) {
  out->clear();
  if (refs.size() % 2 != 0) {
    return Status::InvalidArgument("odd number of label references (" +
                                   std::to_string(refs.size()) + ")");
  }
  for (int i = 0; i < refs.size(); i += 2) {
    for (uint32_t ref : {refs[i], refs[i + 1]}) {
      if (ref >= static_cast<uint32_t>(symbols.size())) {
        return Status::InvalidArgument("label reference " + std::to_string(ref) +
                                       " outside the symbols table of " +
                                       std::to_string(symbols.size()));
      }
    }
    out->push_back({symbols[static_cast<int>(refs[i])], symbols[static_cast<int>(refs[i + 1])]});
  }
  return Status::Ok();
}

double ExponentialUpperBound(int schema, int64_t index) {
  // 2^(index * 2^-schema); exponents past double's range give 0 or +Inf.
  const int64_t exponent = std::clamp<int64_t>(index * (int64_t{1} << -schema), -2000, 2000);
  return std::ldexp(1.0, static_cast<int>(exponent));
}

std::string FormatLe(double le) {
  if (std::isinf(le)) return le > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, le);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

namespace {

// The i-th bucket index of a span list and its count, in order.
// Integer histograms give deltas (each count minus the previous one's),
// float histograms absolute counts.
Status ForEachBucket(const google::protobuf::RepeatedPtrField<v2::BucketSpan>& spans,
                     const google::protobuf::RepeatedField<int64_t>& deltas,
                     const google::protobuf::RepeatedField<double>& counts, std::string_view side,
                     const std::function<void(int64_t index, double count)>& fn) {
  if (!deltas.empty() && !counts.empty()) {
    return Status::InvalidArgument(std::string(side) + " buckets have both deltas and counts");
  }
  const int64_t have = deltas.empty() ? counts.size() : deltas.size();
  int64_t want = 0;
  for (const auto& span : spans) want += span.length();
  if (want != have) {
    return Status::InvalidArgument(std::string(side) + " spans cover " + std::to_string(want) +
                                   " buckets but " + std::to_string(have) + " counts are given");
  }
  int64_t index = 0;
  int64_t position = 0;
  int64_t running = 0;  // integer count of the previous bucket
  for (const auto& span : spans) {
    index += span.offset();  // the first span's start; later, the gap after the previous span
    for (uint32_t k = 0; k < span.length(); ++k, ++index, ++position) {
      double count;
      if (deltas.empty()) {
        count = counts[static_cast<int>(position)];
      } else {
        running += deltas[static_cast<int>(position)];
        count = static_cast<double>(running);
      }
      if (!(count >= 0) || std::isinf(count)) {
        return Status::InvalidArgument(std::string(side) + " bucket " + std::to_string(index) +
                                       " has an invalid count");
      }
      fn(index, count);
    }
  }
  return Status::Ok();
}

// Index of the bucket of schema `to` that contains bucket `index` of the
// finer schema `from` (arithmetic shift: floors for negative indexes).
int64_t MergedIndex(int64_t index, int from, int to) {
  return from <= to ? index : ((index - 1) >> (from - to)) + 1;
}

}  // namespace

Status ToClassicHistogram(const v2::Histogram& h, ClassicHistogram* out) {
  *out = ClassicHistogram{};
  out->timestamp = h.timestamp();
  out->sum = h.sum();
  out->count = h.count_case() == v2::Histogram::kCountFloat ? h.count_float()
                                                            : static_cast<double>(h.count_int());
  if (!(out->count >= 0) || std::isinf(out->count)) {
    return Status::InvalidArgument("histogram count is negative or not finite");
  }
  const int schema = h.schema();
  std::map<double, double> by_bound;  // upper bound -> observations
  if (schema == kCustomBucketsSchema) {
    out->schema = kCustomBucketsSchema;
    const auto& bounds = h.custom_values();
    for (int i = 0; i < bounds.size(); ++i) {
      if (std::isnan(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
        return Status::InvalidArgument("custom bucket bounds do not increase");
      }
    }
    Status bad;
    DEPIN_RETURN_IF_ERROR(ForEachBucket(
        h.positive_spans(), h.positive_deltas(), h.positive_counts(), "positive",
        [&](int64_t index, double count) {
          if (index < 0 || index > bounds.size()) {
            bad = Status::InvalidArgument("custom bucket index " + std::to_string(index) +
                                          " outside the " + std::to_string(bounds.size()) +
                                          " custom bounds");
          } else if (index < bounds.size()) {
            by_bound[bounds[static_cast<int>(index)]] += count;
          }  // index == size: the +Inf bucket, implied by count
        }));
    DEPIN_RETURN_IF_ERROR(bad);
  } else if (schema >= -4 && schema <= 8) {
    const int to = std::min(schema, kMaxConvertedSchema);
    out->schema = to;
    std::map<int64_t, double> positive, negative;
    DEPIN_RETURN_IF_ERROR(ForEachBucket(
        h.positive_spans(), h.positive_deltas(), h.positive_counts(), "positive",
        [&](int64_t index, double count) { positive[MergedIndex(index, schema, to)] += count; }));
    DEPIN_RETURN_IF_ERROR(ForEachBucket(
        h.negative_spans(), h.negative_deltas(), h.negative_counts(), "negative",
        [&](int64_t index, double count) { negative[MergedIndex(index, schema, to)] += count; }));
    if (positive.size() + negative.size() + 1 > kMaxConvertedBuckets) {
      return Status::InvalidArgument("more than " + std::to_string(kMaxConvertedBuckets) +
                                     " buckets at schema " + std::to_string(to));
    }
    // Negative bucket i holds [-2^(i*2^-to), -2^((i-1)*2^-to)): its classic
    // upper bound is the lower magnitude (the boundary itself excluded).
    for (const auto& [index, count] : negative) {
      if (count > 0) by_bound[-ExponentialUpperBound(to, index - 1)] += count;
    }
    const double zero_count = h.zero_count_case() == v2::Histogram::kZeroCountFloat
                                  ? h.zero_count_float()
                                  : static_cast<double>(h.zero_count_int());
    if (!(zero_count >= 0) || std::isinf(zero_count) || !(h.zero_threshold() >= 0)) {
      return Status::InvalidArgument("zero bucket count or threshold is invalid");
    }
    if (zero_count > 0) by_bound[h.zero_threshold()] += zero_count;
    for (const auto& [index, count] : positive) {
      const double bound = ExponentialUpperBound(to, index);
      if (std::isinf(bound)) continue;  // beyond double: in +Inf, implied by count
      if (count > 0) {
        by_bound[bound] += count;
        if (out->min_positive_index > out->max_positive_index) out->min_positive_index = index;
        out->max_positive_index = index;  // `positive` is ordered by index
      }
    }
  } else {
    return Status::InvalidArgument("unsupported histogram schema " + std::to_string(schema));
  }
  out->buckets.assign(by_bound.begin(), by_bound.end());
  return Status::Ok();
}

double CumulativeAt(const ClassicHistogram& h, double le) {
  if (std::isinf(le) && le > 0) return h.count;
  double total = 0;
  for (const auto& [bound, count] : h.buckets) {
    if (bound > le) break;
    total += count;
  }
  return total;
}

}  // namespace depin::ingest
