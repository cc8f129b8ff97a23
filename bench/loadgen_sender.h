// Sends pre-encoded remote-write traffic to one URL and measures the answers.
// One connection (keep-alive) per shard; a connection sends its requests one
// after another in order, waiting for each answer, as a Prometheus queue
// shard does, so a series never overtakes itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "loadgen_traffic.h"

namespace depin::loadgen {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string path;
};

// Parses "http://host:port/path" (http only: the benchmark runs on loopback).
Result<Endpoint> ParseUrl(const std::string& url);

struct SendOptions {
  // Samples per second over all connections; 0 sends as fast as the
  // receiver answers. With a rate, request j of a shard is due when the
  // shard's share of the rate has covered the samples before it.
  double rate = 0;
  double duration_s = 0;     // stop sending after this long; 0: no limit
  int64_t max_requests = 0;  // stop after this many requests; 0: no limit
  double timeout_s = 30;     // per request
};

struct SendReport {
  int64_t requests = 0;
  int64_t samples_sent = 0;
  int64_t samples_accepted = 0;  // in requests answered 2xx
  int64_t status_2xx = 0;
  int64_t status_4xx = 0;  // other than 429
  int64_t status_429 = 0;
  int64_t status_503 = 0;
  int64_t status_5xx = 0;  // other than 503
  int64_t transport_errors = 0;
  std::string first_error;         // the first non-2xx answer or transport error
  std::vector<double> latency_ms;  // send to answer, sorted
  std::vector<double> lag_ms;      // how late requests left against the schedule, sorted
  double elapsed_s = 0;            // first send to last answer
  bool payload_exhausted = false;  // every request was sent before a limit stopped it
};

SendReport Send(const Traffic& traffic, const Endpoint& endpoint, const SendOptions& options);

// The q-quantile (0..1) of sorted values, nearest rank; 0 when empty.
double Quantile(const std::vector<double>& sorted, double q);

}  // namespace depin::loadgen
