// The provider-fleet simulator's model: providers whose every parameter is a
// monotone function of one hidden quality q in [0,1], so the order of quality
// is the ground-truth order any sensible reputation score must reproduce.
//
// Pure and single-threaded: no clock, no HTTP. Simulated time is milliseconds
// since the fleet started; the caller maps wall-clock time onto it. State
// advances in whole simulated seconds, so the state at second t depends only
// on (config, seed, t), never on when or how often it was observed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace depin::sim {

// From `at` (simulated ms since start) on, the provider's quality is
// `quality`; with `over` > 0 it moves there linearly over that long, from the
// quality in effect at `at` (a slow degradation).
struct Degrade {
  int64_t at_ms = 0;
  double quality = 0;
  int64_t over_ms = 0;
};

// A daily (or any period) season: GPU utilisation moves by
// amplitude x sin(2 pi (t - phase) / period) percentage points around its
// mean, and the allocated share by amplitude / 100 in the same phase.
struct Season {
  double amplitude = 0;  // percentage points of GPU utilisation, 0..100
  int64_t period_ms = 86'400'000;
  int64_t phase_ms = 0;
};

// From `at` on the provider turns flaky: down `outage_ratio` of every
// `period`, the first outage starting at `at`. Replaces the quality-derived
// outage schedule from then on.
struct Flaky {
  int64_t at_ms = 0;
  double outage_ratio = 0.3;
  int64_t period_ms = 30'000;
};

// From `at` on the provider is GPU-bound: its GPUs run at `gpu_util` while
// failures and answer times rise to the given values (quality unchanged).
struct Bottleneck {
  int64_t at_ms = 0;
  double gpu_util_percent = 99;
  double failure_ratio = 0.2;
  double response_seconds = 4;
};

// Every provider of `region` answers 503 during [at, at + duration).
struct RegionalOutage {
  std::string region;
  int64_t at_ms = 0;
  int64_t duration_ms = 0;
};

// Explicit values that replace the quality-derived defaults; they stay fixed
// when a degrade step changes the quality.
struct Overrides {
  std::optional<double> failure_ratio;         // 0..1
  std::optional<double> response_seconds;      // mean bid/lease answer time
  std::optional<double> job_duration_seconds;  // mean job duration
  std::optional<double> gpu_util_percent;      // mean, 0..100
  std::optional<double> price;                 // dollars per GPU-hour
  std::optional<double> allocated_ratio;       // share of GPUs leased out
  std::optional<double> outage_ratio;          // share of each outage period down
};

struct ProviderSpec {
  std::string id;
  double quality = 1.0;
  std::string region = "eu-west";
  std::string gpu_model = "A100";
  int gpus = 8;
  int cpus = 4;
  Overrides overrides;
  std::vector<Degrade> degrade;  // sorted by at_ms
  std::optional<Season> season;
  std::optional<Flaky> flaky;
  std::optional<Bottleneck> bottleneck;
};

struct FleetConfig {
  uint64_t seed = 42;
  double time_scale = 1.0;
  double job_rate = 1.0;  // jobs finished per simulated second per provider
  int64_t outage_period_ms = 60'000;
  std::vector<ProviderSpec> providers;
  std::vector<RegionalOutage> outages;  // sorted by at_ms
};

// Parses fleet YAML (docs/simulator.md); unknown keys and bad values are errors.
Result<FleetConfig> ParseFleetYaml(std::string_view yaml);
Result<FleetConfig> LoadFleetFile(const std::string& path);
// `count` providers with qualities spread linearly from q_max down to q_min,
// ids p-000.., regions and GPU models cycled.
std::vector<ProviderSpec> GenerateProviders(int count, double q_max, double q_min);
// The built-in fleet: 6 generated providers, qualities 0.97 .. 0.30.
FleetConfig DefaultFleet();
Status ValidateFleet(const FleetConfig& config);

// The parameters a provider runs with at a given quality (after overrides).
struct Params {
  double quality = 0;
  double failure_ratio = 0;
  double mean_response_s = 0;
  double mean_job_duration_s = 0;
  double gpu_util_percent = 0;
  double price_per_gpu_hour = 0;
  double allocated_ratio = 0;
  double outage_ratio = 0;  // planned downtime share; uptime = 1 - outage_ratio
  int gpus_total = 0;
  int gpus_allocated = 0;
};

// Default formulas, every one monotone in q (see docs/simulator.md).
Params DeriveParams(double quality, int gpus, const Overrides& overrides = {});

inline constexpr std::array<std::string_view, 4> kFailureReasons = {"timeout", "oom", "hardware",
                                                                    "preempted"};
inline constexpr std::array<double, 9> kJobDurationBuckets = {30,  60,   120,  300,  600,
                                                              900, 1800, 3600, 1e300};
inline constexpr std::array<double, 8> kResponseBuckets = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 1e300};

// A classic histogram with fixed upper bounds; the last bound stands for +Inf.
template <size_t N>
struct Histogram {
  std::array<uint64_t, N> counts{};  // per bucket, not cumulative
  double sum = 0;
  uint64_t count = 0;
  void Observe(const std::array<double, N>& bounds, double v) {
    size_t i = 0;
    while (i + 1 < N && v > bounds[i]) ++i;
    ++counts[i];
    sum += v;
    ++count;
  }
};

struct GpuState {
  std::string uuid;
  double util_percent = 0;
  double fb_used_mib = 0;
};

// Everything a scrape exposes for one provider.
struct ProviderState {
  uint64_t jobs_completed = 0;
  std::array<uint64_t, kFailureReasons.size()> jobs_failed{};
  Histogram<kJobDurationBuckets.size()> job_duration;
  Histogram<kResponseBuckets.size()> response;
  std::vector<GpuState> gpus;
  std::vector<std::array<double, 4>> cpu_seconds;  // per cpu: idle, user, system, iowait
  double memory_total_bytes = 0;
  double memory_available_bytes = 0;
  double network_receive_bytes = 0;
  double disk_io_time_seconds = 0;

  uint64_t jobs_failed_total() const;
};

// SplitMix64 as a UniformRandomBitGenerator: 8 bytes of state instead of
// mt19937_64's 2.5 KB, which matters for fleets of 100k providers.
class SplitMixRng {
 public:
  using result_type = uint64_t;
  explicit SplitMixRng(uint64_t seed = 0) : state_(seed) {}
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

inline constexpr std::array<std::string_view, 4> kCpuModes = {"idle", "user", "system", "iowait"};

class Fleet {
 public:
  // Validates the config; the fleet starts at simulated time 0.
  static Result<Fleet> Create(FleetConfig config);

  // Advances the state to floor(sim_ms / 1000) whole seconds; earlier times are ignored.
  void AdvanceTo(int64_t sim_ms);
  int64_t now_ms() const { return now_ms_; }

  const FleetConfig& config() const { return config_; }
  size_t size() const { return config_.providers.size(); }
  const ProviderSpec& spec(size_t i) const { return config_.providers[i]; }
  const ProviderState& state(size_t i) const { return providers_[i].state; }
  std::optional<size_t> Find(std::string_view id) const;

  double QualityAt(size_t i, int64_t sim_ms) const;
  // Parameters at sim_ms: quality-derived, then overrides, season, bottleneck
  // and flaky outage ratio applied.
  Params ParamsAt(size_t i, int64_t sim_ms) const;

  // The periodic outage schedule in effect at sim_ms: down while
  // (t - offset) mod period < down. The quality-derived one (fixed
  // per-provider phase of outage_period) or, once flaky, the flaky one.
  struct OutageSchedule {
    int64_t period_ms = 0;
    int64_t offset_ms = 0;
    int64_t down_ms = 0;
  };
  OutageSchedule ScheduleAt(size_t i, int64_t sim_ms) const;
  // The regional outage covering provider i at sim_ms, if any.
  const RegionalOutage* RegionalOutageAt(size_t i, int64_t sim_ms) const;
  // Up unless in a periodic (planned or flaky) or a regional outage. Exact at
  // millisecond resolution.
  bool IsUpAt(size_t i, int64_t sim_ms) const;
  int64_t OutageOffsetMs(size_t i) const { return providers_[i].outage_offset_ms; }
  // Indices ordered by quality at sim_ms, best first (ties by id).
  std::vector<size_t> OrderAt(int64_t sim_ms) const;

 private:
  struct Provider {
    ProviderState state;
    SplitMixRng rng;
    int64_t outage_offset_ms = 0;
    double job_acc = 0;     // fractional jobs carried over
    double fail_acc = 0.5;  // rounds failures to nearest
    std::array<double, kFailureReasons.size()> reason_deficit{};
  };

  explicit Fleet(FleetConfig config);
  void StepSecond(size_t i, int64_t second_start_ms);
  void FinishJobs(Provider& p, const Params& params, int jobs);
  void DrawGauges(Provider& p, const Params& params, const ProviderSpec& spec);
  void AccrueCounters(Provider& p, const Params& params);

  FleetConfig config_;
  std::vector<Provider> providers_;
  int64_t now_ms_ = 0;
  int64_t stepped_s_ = 0;  // whole simulated seconds already applied
};

}  // namespace depin::sim
