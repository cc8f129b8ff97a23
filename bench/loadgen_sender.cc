#include "loadgen_sender.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

namespace depin::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

double MsBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// What one connection saw; merged at the end so threads share nothing hot.
struct ShardResult {
  SendReport report;
  bool finished_payload = false;
};

void RunShard(const std::vector<EncodedRequest>& requests, const Endpoint& endpoint,
              const SendOptions& options, double shard_rate, Clock::time_point start,
              std::atomic<int64_t>* request_budget, ShardResult* out) {
  httplib::Client client(endpoint.host, endpoint.port);
  client.set_keep_alive(true);
  // As Go's net/http (Prometheus): without it Nagle's algorithm and delayed
  // ACKs hold the body back ~40 ms after the headers.
  client.set_tcp_nodelay(true);
  const auto timeout = std::chrono::duration<double>(options.timeout_s);
  client.set_connection_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  client.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  client.set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  const httplib::Headers headers = {{"Content-Encoding", "snappy"},
                                    {"X-Prometheus-Remote-Write-Version", "0.1.0"},
                                    {"User-Agent", "Prometheus/2.42.0"}};
  const Clock::time_point deadline =
      options.duration_s > 0 ? start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options.duration_s))
                             : Clock::time_point::max();
  SendReport& r = out->report;
  int64_t samples_before = 0;
  size_t j = 0;
  for (; j < requests.size(); ++j) {
    const EncodedRequest& req = requests[j];
    Clock::time_point due = start;
    if (shard_rate > 0) {
      due += std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(static_cast<double>(samples_before) / shard_rate));
      if (due >= deadline) break;
      std::this_thread::sleep_until(due);
    }
    const Clock::time_point sent = Clock::now();
    if (sent >= deadline) break;
    if (options.max_requests > 0 && request_budget->fetch_sub(1) <= 0) break;
    if (shard_rate > 0) r.lag_ms.push_back(std::max(0.0, MsBetween(due, sent)));
    auto res = client.Post(endpoint.path, headers, req.body.data(), req.body.size(),
                           "application/x-protobuf");
    const Clock::time_point answered = Clock::now();
    r.latency_ms.push_back(MsBetween(sent, answered));
    r.elapsed_s = std::chrono::duration<double>(answered - start).count();
    ++r.requests;
    r.samples_sent += req.samples;
    samples_before += req.samples;
    std::string error;
    if (!res) {
      ++r.transport_errors;
      error = "transport: " + httplib::to_string(res.error());
    } else {
      const int status = res->status;
      if (status >= 200 && status < 300) {
        ++r.status_2xx;
        r.samples_accepted += req.samples;
      } else {
        if (status == 429) {
          ++r.status_429;
        } else if (status == 503) {
          ++r.status_503;
        } else if (status >= 500) {
          ++r.status_5xx;
        } else {
          ++r.status_4xx;
        }
        error = "HTTP " + std::to_string(status) + ": " + res->body.substr(0, 200);
      }
    }
    if (!error.empty() && r.first_error.empty()) r.first_error = error;
  }
  out->finished_payload = j == requests.size();
}

}  // namespace

Result<Endpoint> ParseUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return Status::InvalidArgument("URL must start with http://");
  const std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  Endpoint e;
  e.path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("URL needs host:port");
  e.host = authority.substr(0, colon);
  try {
    e.port = std::stoi(authority.substr(colon + 1));
  } catch (...) {
    return Status::InvalidArgument("bad port in URL: " + url);
  }
  if (e.host.empty() || e.port <= 0 || e.port > 65535) {
    return Status::InvalidArgument("bad host or port in URL: " + url);
  }
  return e;
}

SendReport Send(const Traffic& traffic, const Endpoint& endpoint, const SendOptions& options) {
  std::vector<ShardResult> results(traffic.shards.size());
  std::atomic<int64_t> budget{options.max_requests};
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (size_t s = 0; s < traffic.shards.size(); ++s) {
    int64_t shard_samples = 0;
    for (const auto& r : traffic.shards[s]) shard_samples += r.samples;
    // Each shard's share of the rate, so that all shards keep the same pace.
    const double shard_rate = options.rate > 0 && traffic.samples > 0
                                  ? options.rate * static_cast<double>(shard_samples) /
                                        static_cast<double>(traffic.samples)
                                  : 0;
    threads.emplace_back(RunShard, std::cref(traffic.shards[s]), std::cref(endpoint),
                         std::cref(options), shard_rate, start, &budget, &results[s]);
  }
  for (auto& t : threads) t.join();

  SendReport total;
  total.payload_exhausted = true;
  for (ShardResult& res : results) {
    const SendReport& r = res.report;
    total.requests += r.requests;
    total.samples_sent += r.samples_sent;
    total.samples_accepted += r.samples_accepted;
    total.status_2xx += r.status_2xx;
    total.status_4xx += r.status_4xx;
    total.status_429 += r.status_429;
    total.status_503 += r.status_503;
    total.status_5xx += r.status_5xx;
    total.transport_errors += r.transport_errors;
    if (total.first_error.empty()) total.first_error = r.first_error;
    total.latency_ms.insert(total.latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
    total.lag_ms.insert(total.lag_ms.end(), r.lag_ms.begin(), r.lag_ms.end());
    total.elapsed_s = std::max(total.elapsed_s, r.elapsed_s);
    total.payload_exhausted = total.payload_exhausted && res.finished_payload;
  }
  std::sort(total.latency_ms.begin(), total.latency_ms.end());
  std::sort(total.lag_ms.begin(), total.lag_ms.end());
  return total;
}

double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const size_t i = static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(sorted.size())));
  return sorted[i - 1];
}

}  // namespace depin::loadgen
