// Remote-write 2.0 -> the 1.0 request the ingest pipeline consumes.
// Float series keep their labels and samples. A native histogram whose
// series feeds a histogram signal becomes the classic series the router
// expects (<name>_bucket{le}, <name>_sum, <name>_count); other native
// histograms are counted and dropped, as any series outside the contract.
// Series that cannot be translated are reported, never the good ones beside
// them lost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ingest/decode_v2.h"
#include "remote.pb.h"
#include "route/router.h"

namespace depin::ingest {

// What a translated 1.0 series came from, for the written-count headers.
enum class SeriesOrigin : uint8_t {
  kFloat,           // a v2 float series: its stored samples are "samples written"
  kHistogramCount,  // <name>_count of a native histogram: one sample per histogram
  kHistogramPart,   // <name>_bucket / <name>_sum of a native histogram
};

struct V2Translation {
  // Per series of the translated request, in order.
  std::vector<SeriesOrigin> origin;
  // Per series: the created (start) timestamp of each sample, aligned with
  // its samples, or empty when the sender gave none (0 = not set).
  std::vector<std::vector<int64_t>> start_ms;

  // A v2 series dropped before translation.
  struct Dropped {
    std::string reason;    // counter label, e.g. "invalid_symbol_ref"
    std::string detail;    // one line: what was wrong
    std::string series;    // {a="b", ...} or the raw references when unresolvable
    int64_t samples = 0;   // float samples plus histograms
    bool is_error = true;  // false: by design (outside the contract), no 400
  };
  std::vector<Dropped> dropped;

  int64_t float_samples = 0;         // received
  int64_t histograms = 0;            // received
  int64_t histograms_converted = 0;  // native histograms turned into classic series
  int64_t exemplars = 0;             // received (not stored)
  int64_t metadata = 0;              // series carrying metadata (not used)
};

// Bounds on the translated request: a native histogram becomes up to
// kMaxConvertedBuckets + 2 series from a few bytes on the wire.
struct TranslateLimits {
  int64_t max_series = 500'000;
  int64_t max_samples = 8'000'000;
};

// Translates `in` into `out` (empty on entry). InvalidArgument for a
// request-level error (symbols[0] not ""), TooLarge when the translation
// would pass `limits`; per-series problems go to `result->dropped`. `out`
// may be arena-allocated; strings are copied.
Status TranslateV2Request(const v2::Request& in, const route::Router& router,
                          const TranslateLimits& limits, prometheus::WriteRequest* out,
                          V2Translation* result);

}  // namespace depin::ingest
