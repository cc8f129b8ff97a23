// Writes the seed corpus of every fuzz target into <dir>/<target>/:
// realistic payloads from bench/payload.cc plus hand-made edge cases.
// Usage: make_fuzz_corpus <dir> [config.yml ...]  (see docs/fuzzing.md)
#include <snappy.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "payload.h"

namespace {

namespace fs = std::filesystem;
using depin::bench::AddSeries;
using Labels = depin::bench::LabelPairs;
using Samples = depin::bench::SamplePairs;

constexpr int64_t kT0 = 1'700'000'000'000;  // fuzz_ingest_write's "now" is kT0 + 10m

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

Labels Series(const std::string& name, Labels extra = {}) {
  extra.push_back({"__name__", name});
  extra.push_back({"provider", "p-1"});
  std::sort(extra.begin(), extra.end());
  return extra;
}

// Hand-made requests: each exercises one path of ingest and the windows.
std::vector<std::pair<std::string, prometheus::WriteRequest>> EdgeCases() {
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  std::vector<std::pair<std::string, prometheus::WriteRequest>> out;
  auto add = [&out](const std::string& name, std::initializer_list<std::pair<Labels, Samples>> s) {
    prometheus::WriteRequest req;
    for (const auto& [labels, samples] : s) AddSeries(&req, labels, samples);
    out.emplace_back(name, std::move(req));
  };
  add("empty", {});
  add("counter_out_of_order",
      {{Series("depin_jobs_completed_total"),
        {{kT0, 10}, {kT0 + 30'000, 40}, {kT0 + 15'000, 20}, {kT0 + 15'000, 20}, {kT0 - 1, 5}}}});
  add("counter_reset_and_too_old",
      {{Series("depin_jobs_completed_total"),
        {{kT0 - 3'600'000, 1}, {kT0 + 60'000, 100}, {kT0 + 75'000, 3}, {kT0 + 90'000, 9}}}});
  add("histogram",
      {{Series("depin_job_duration_seconds_bucket", {{"le", "1"}}), {{kT0, 1}, {kT0 + 15'000, 2}}},
       {Series("depin_job_duration_seconds_bucket", {{"le", "+Inf"}}),
        {{kT0, 3}, {kT0 + 15'000, 5}}},
       {Series("depin_job_duration_seconds_bucket", {{"le", "x"}}), {{kT0, 1}}},
       {Series("depin_job_duration_seconds_sum"), {{kT0, 9}, {kT0 + 15'000, 12}}},
       {Series("depin_job_duration_seconds_count"), {{kT0, 3}, {kT0 + 15'000, 5}}}});
  // Regression (fuzz_ingest_write in CI): a histogram's _sum and _count
  // without any _bucket series made Snapshot index an empty bucket vector.
  add("histogram_without_buckets",
      {{Series("depin_job_duration_seconds_sum"), {{kT0, 9}, {kT0 + 15'000, 12}}},
       {Series("depin_job_duration_seconds_count"), {{kT0, 3}, {kT0 + 15'000, 5}}}});
  add("gauges_special_values",
      {{Series("DCGM_FI_DEV_GPU_UTIL", {{"gpu", "0"}}),
        {{kT0, 50}, {kT0 + 15'000, stale}, {kT0 + 30'000, std::nan("")}}},
       {Series("up"), {{kT0 + 3'600'000, 1}, {std::numeric_limits<int64_t>::min(), 1}}},
       {Series("depin_provider_info", {{"region", "eu"}}), {{kT0, 1}}}});
  add("bad_series", {{{{"provider", "p-1"}, {"__name__", "up"}}, {{kT0, 1}}},
                     {{{"__name__", "up"}}, {{kT0, 1}}},
                     {{{"provider", "p-1"}}, {{kT0, 1}}},
                     {{{"__name__", "up"}, {"a", ""}}, {{kT0, 1}}},
                     {{{"__name__", "go_goroutines"}, {"provider", "p-1"}}, {{kT0, 1}}}});
  return out;
}

std::string Compress(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: make_fuzz_corpus <dir> [config.yml ...]\n";
    return 2;
  }
  const fs::path dir = argv[1];
  std::vector<std::pair<std::string, std::string>> requests;  // name, serialized
  depin::bench::PayloadOptions o;
  o.timestamp_ms = kT0;
  o.gpus_per_provider = 2;
  o.cpus_per_provider = 2;
  for (int providers : {1, 3}) {
    o.providers = providers;
    requests.emplace_back("scrape_" + std::to_string(providers),
                          depin::bench::MakeRequest(o, providers).SerializeAsString());
  }
  for (const auto& [name, req] : EdgeCases()) requests.emplace_back(name, req.SerializeAsString());
  for (const auto& [name, raw] : requests) {
    Write(dir / "fuzz_ingest_write", name, raw);
    Write(dir / "fuzz_write_view", name, raw);
    Write(dir / "fuzz_decode", name, Compress(raw));
  }
  Write(dir / "fuzz_decode", "bomb_header", std::string("\x80\x80\x80\x80\x04", 5) + "xxxxxxxx");
  Write(dir / "fuzz_decode", "truncated", Compress(requests[0].second).substr(0, 40));

  int i = 0;
  for (const char* d : {"15s", "1h30m", "500ms", "7d", "1y", "0s", "2w3d4h5m6s7ms", "5x", "-1s",
                        "99999999999999999999s"}) {
    Write(dir / "fuzz_duration", "d" + std::to_string(i++), d);
  }

  i = 0;
  const std::vector<std::vector<std::string>> label_sets = {
      {"__name__", "up", "provider", "node-7"},
      {"__name__", "up", "instance", "h:1", "job", "j"},
      {"__name__", "depin_job_duration_seconds_bucket", "le", "+Inf", "provider", "p"},
      {"__name__", "node_cpu_seconds_total", "cpu", "0", "mode", "idle", "provider", "p"},
      {"__name__", "depin_provider_info", "gpu_model", "A100", "provider", "p", "region", "eu"},
      {"provider", "p", "__name__", "up"},
      {"__name__", "up", "a", ""}};
  for (const auto& fields : label_sets) {
    std::string joined;
    for (const auto& f : fields) joined += (joined.empty() ? "" : "\xff") + f;
    Write(dir / "fuzz_labels", "l" + std::to_string(i++), joined);
  }

  Write(dir / "fuzz_config", "windows", "windows: {step: 15s, length: 1h}\n");
  Write(dir / "fuzz_config", "signals",
        "signals:\n  cpu_idle: {metric: node_cpu_seconds_total, match: {mode: idle}}\n"
        "  price: {enabled: false}\n");
  Write(dir / "fuzz_config", "provider",
        "provider: {label: node, regex: \"(.*):9100\", replacement: \"$1\", info_labels: [a]}\n");
  Write(dir / "fuzz_config", "anchors", "a: &x {b: *x}\nlimits: [1, 2]\n");
  for (int a = 2; a < argc; ++a) {
    std::ifstream in(argv[a], std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Write(dir / "fuzz_config", fs::path(argv[a]).filename().string(), text);
  }
  return 0;
}
