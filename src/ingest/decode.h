// Remote-write 1.0 body decoding: snappy block, then prometheus.WriteRequest.
// Pure functions; limits are checked before anything large is allocated.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "remote.pb.h"
#include "route/router.h"

namespace depin::ingest {

// Decompresses a snappy *block* (not framed) body into `out`, reusing its
// capacity. TooLarge when the length header exceeds `max_decompressed`;
// InvalidArgument when the body is not valid snappy.
Status DecompressSnappy(std::string_view body, int64_t max_decompressed, std::string* out);

// Parses a serialized WriteRequest. InvalidArgument when it is not one.
Status ParseWriteRequest(std::string_view raw, prometheus::WriteRequest* request);

// Why one series is unusable; kOk when it is fine.
enum class LabelProblem : uint8_t {
  kOk,
  kNoLabels,
  kMissingName,
  kInvalidLabelName,
  kInvalidMetricName,
  kEmptyLabelValue,
  kUnsortedLabels,
  kDuplicateLabel,
  kTooManyLabels,
  kLabelNameTooLong,
  kLabelValueTooLong,
  kInvalidUtf8,  // a label value that is not valid UTF-8 (Prometheus rejects those too)
};

// The reason label used in counters, e.g. "unsorted_labels".
std::string_view LabelProblemReason(LabelProblem p);

struct LabelLimits {
  int64_t max_labels = 64;
  int64_t max_name_length = 256;
  int64_t max_value_length = 4096;
};

// Checks one series' labels as Prometheus requires: a __name__, valid names,
// sorted by name, no duplicates, within the limits, values valid UTF-8.
// Empty values are allowed by the data model only as "label absent", so
// they are rejected here.
LabelProblem ValidateLabels(std::span<const route::LabelRef> labels, const LabelLimits& limits);

bool IsValidLabelName(std::string_view name);
// Well-formed UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
bool IsValidUtf8(std::string_view text);
bool IsValidMetricName(std::string_view name);

}  // namespace depin::ingest
