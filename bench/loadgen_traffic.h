// Remote-write 1.0 traffic as a Prometheus 2.42 scraping a DePIN fleet sends
// it, pre-encoded: the load generator's own cost stays out of the timing.
//
// Every provider of the simulator's fleet model (simulator/fleet.h) is three
// scrape targets, as in a real deployment: the DePIN exporter (job
// "depin-exporter", :9500), dcgm-exporter (":9400") and node_exporter
// (":9100"), each labelled instance, job and provider (the service-discovery
// label), each with Prometheus's synthetic `up` and `scrape_*` series, plus
// series outside the sidecar's input contract that those exporters expose
// (process_*, go_*, more DCGM fields, more CPU modes, load, filesystems). A
// target that is down in the fleet model sends `up` 0 and, on its first
// failed scrape, staleness markers for its series, as Prometheus does.
//
// As Prometheus's queue manager: every sample is its own TimeSeries with the
// full sorted label set; series are sharded by a hash of their labels so a
// series always goes through the same shard (one connection), which keeps
// each series in timestamp order; a request holds max_samples_per_send
// samples. Targets are scraped at a fixed per-target offset within the
// interval and their samples enter the queue in scrape order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace depin::loadgen {

struct TrafficOptions {
  int providers = 10'000;
  uint64_t seed = 42;
  int shards = 1;                   // one per connection
  int max_samples_per_send = 2000;  // Prometheus's queue_config default
  int64_t scrape_interval_ms = 15'000;
  int64_t start_ms = 0;  // unix ms of scrape 0 (before per-target offsets)
  int first_scrape = 0;  // scrapes before it only advance the fleet model
  int scrapes = 1;       // encoded: [first_scrape, first_scrape + scrapes)
};

// One HTTP request body, ready to send.
struct EncodedRequest {
  std::string body;  // snappy-compressed serialized prometheus.WriteRequest
  int32_t samples = 0;
};

struct Traffic {
  // Per shard, in send order.
  std::vector<std::vector<EncodedRequest>> shards;
  int64_t samples_per_scrape = 0;  // in the first encoded scrape
  int64_t samples = 0;
  int64_t bytes = 0;
  uint64_t fingerprint = 0;  // FNV-1a of every body in shard order: same payloads, same value
};

// Builds the traffic; InvalidArgument for options the fleet model rejects.
Result<Traffic> BuildTraffic(const TrafficOptions& options);

// Appends the fingerprint of `body` to `fingerprint`.
uint64_t Fingerprint(uint64_t fingerprint, const std::string& body);

}  // namespace depin::loadgen
