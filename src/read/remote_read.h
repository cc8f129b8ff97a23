// Remote-read (POST /api/v1/read): Prometheus reads the derived history back
// from the store (DESIGN §1, §8). Both response types, negotiated as
// Prometheus does: the first of the request's accepted_response_types the
// server implements; SAMPLES when the list is empty.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace depin::read {

struct ReadInput {
  std::string method = "POST";
  std::string body;  // snappy-compressed prometheus.ReadRequest
};

// 0 disables a limit.
struct ReadLimits {
  int64_t max_decompressed_bytes = 32 << 20;  // checked from the snappy header
  int64_t max_queries = 64;
  int64_t max_range_ms = 0;           // end - start of one query
  int64_t max_series = 0;             // per query
  int64_t max_samples = 50'000'000;   // per request (SAMPLES) or per query (chunks)
  int64_t max_frame_bytes = 1 << 20;  // STREAMED_XOR_CHUNKS: a series' chunks are
                                      // split over frames past this size
};

struct ReadOutcome {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type included
  std::string body;
};

inline constexpr const char* kStreamedContentType =
    "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

// Never throws; bad input is 400 (malformed, bad regex, range too long) or
// 413 (past a size limit) with a one-line text/plain message.
ReadOutcome HandleRead(const ReadInput& in, const store::Store& store, const ReadLimits& limits);

}  // namespace depin::read
