// Remote-write 2.0 body decoding (io.prometheus.write.v2.Request): parsing,
// symbol references, and native histograms as classic cumulative buckets.
// Pure functions; nothing is allocated in proportion to a number the sender
// claims without the bytes to back it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "route/router.h"
#include "write_v2.pb.h"

namespace depin::ingest {

namespace v2 = ::io::prometheus::write::v2;

// Parses a serialized v2 Request. InvalidArgument when it is not one.
Status ParseWriteV2Request(std::string_view raw, v2::Request* request);

// The specification requires symbols[0] == "" when there are symbols.
Status CheckSymbols(const v2::Request& request);

// Resolves (name, value) reference pairs into views of `symbols`, which
// must outlive `out`. InvalidArgument, saying why, for an odd number of
// references or one outside the table; `out` is then unspecified.
Status ResolveLabelRefs(const google::protobuf::RepeatedField<uint32_t>& refs,
                        const google::protobuf::RepeatedPtrField<std::string>& symbols,
                        std::vector<route::LabelRef>* out);

// Exponential schemas finer than this are merged down to it when converted
// (schema 0: bucket boundaries are the powers of two, about the resolution
// of classic latency histograms). Merging is exact: every boundary of
// schema 0 is a boundary of every finer schema.
inline constexpr int kMaxConvertedSchema = 0;
// Buckets a converted histogram may have after merging.
inline constexpr size_t kMaxConvertedBuckets = 160;
// The schema of native histograms with custom boundaries (custom_values).
inline constexpr int kCustomBucketsSchema = -53;

// One native histogram sample as a classic one: the observations in each
// bucket, keyed by the bucket's finite upper bound ("le"), ascending.
// Observations above the last bound are `count` minus their sum.
struct ClassicHistogram {
  int64_t timestamp = 0;
  double count = 0;
  double sum = 0;
  int schema = 0;  // after merging; kCustomBucketsSchema for custom bounds
  std::vector<std::pair<double, double>> buckets;  // (upper bound, observations)
  // Index range of the populated positive exponential buckets (empty when
  // min > max): the converter fills the gaps so a series' set of bounds
  // stays stable from one request to the next.
  int64_t min_positive_index = 1;
  int64_t max_positive_index = 0;
};

// Converts one native histogram. InvalidArgument, saying why, for a schema
// outside -4..8 and -53, spans that do not match the counts, negative or
// non-finite counts, custom bounds that do not increase, or more than
// kMaxConvertedBuckets buckets after merging.
Status ToClassicHistogram(const v2::Histogram& h, ClassicHistogram* out);

// Observations at or below `le` (the classic cumulative bucket value).
double CumulativeAt(const ClassicHistogram& h, double le);

// The upper bound of positive bucket `index` of an exponential schema <= 0.
double ExponentialUpperBound(int schema, int64_t index);

// Shortest text that parses back to `le` ("0.25", "+Inf").
std::string FormatLe(double le);

}  // namespace depin::ingest
