// Remote-write 1.0 payloads: a prometheus.WriteRequest, snappy block encoded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace depin::forward {

using Labels = std::vector<std::pair<std::string, std::string>>;

// One derived sample; `labels` include __name__.
struct Sample {
  Labels labels;
  int64_t t_ms = 0;
  double value = 0;
};

// The compressed request body for `samples`: one TimeSeries per distinct
// label set (labels sorted by name, as receivers expect), its samples in
// the order given.
std::string EncodeWriteRequest(const std::vector<Sample>& samples);

// The inverse, for tests and tools: samples in series order. InvalidArgument
// on bad snappy or protobuf.
Result<std::vector<Sample>> DecodeWriteRequest(std::string_view body);

}  // namespace depin::forward
