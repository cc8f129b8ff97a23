// Realistic remote-write payloads for benchmarks: the series a Prometheus
// scraping N providers (DePIN exporter, DCGM, node_exporter) sends.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "remote.pb.h"

namespace depin::bench {

struct PayloadOptions {
  int providers = 1000;
  int gpus_per_provider = 8;
  int cpus_per_provider = 8;
  int64_t timestamp_ms = 1'700'000'000'000;
};

using LabelPairs = std::vector<std::pair<std::string, std::string>>;
using SamplePairs = std::vector<std::pair<int64_t, double>>;

// Appends one series with `labels` in the order given and its samples.
void AddSeries(prometheus::WriteRequest* request, const LabelPairs& labels,
               const SamplePairs& samples);

// One scrape of every provider as a WriteRequest, labels sorted.
prometheus::WriteRequest MakeRequest(const PayloadOptions& options, int scrape);

// The snappy-compressed serialized request, as sent on the wire.
std::string Compress(const prometheus::WriteRequest& request);

int64_t CountSamples(const prometheus::WriteRequest& request);

}  // namespace depin::bench
