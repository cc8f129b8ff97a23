// The sidecar's configuration: the input contract, analytics weights and
// thresholds, windows and limits. Loaded from YAML over built-in defaults.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/signal.h"
#include "common/status.h"

namespace depin {

struct SignalSource {
  bool enabled = false;
  std::string metric;  // metric name; for histograms the family name
  std::vector<std::pair<std::string, std::string>> match;  // extra equality matchers
};

struct ProviderConfig {
  std::string label = "provider";
  std::string regex = "(.*)";
  std::string replacement = "$1";
  std::vector<std::string> info_labels;
};

struct WindowConfig {
  int64_t step_ms = 30'000;
  int64_t length_ms = 3'600'000;
  // Counter samples up to this much older than their series' newest are
  // placed in their slot; older ones are rejected as out of order.
  int64_t out_of_order_tolerance_ms = 300'000;
  int slots() const { return static_cast<int>(length_ms / step_ms); }
};

enum class PerfComponent : uint8_t {
  kCompletionRate,
  kResourceEfficiency,
  kUptime,
  kResponseTime,
  kSlaCompliance,
  kErrorRate,
};
inline constexpr int kPerfComponentCount = 6;
std::string_view PerfComponentName(PerfComponent c);

enum class RepCriterion : uint8_t { kPerformance, kReliability, kCost, kAvailability, kSpeed };
inline constexpr int kRepCriterionCount = 5;
std::string_view RepCriterionName(RepCriterion c);

struct PerformanceConfig {
  std::array<double, kPerfComponentCount> weights = {0.25, 0.20, 0.20, 0.15, 0.12, 0.08};
  double response_good_s = 0.5;
  double response_bad_s = 5.0;
  double sla_target_s = 600.0;
  double max_failure_ratio = 0.10;
};

struct ReputationConfig {
  std::array<double, kRepCriterionCount> weights = {0.30, 0.25, 0.20, 0.15, 0.10};
  double outage_penalty = 0.10;
  int64_t availability_window_ms = 300'000;
};

struct TierConfig {
  // Thresholds for levels 1..4 (bronze, silver, gold, platinum); level 0 is basic.
  std::array<double, 4> thresholds = {65, 75, 85, 95};
  double hysteresis = 2.0;
};

struct ConfidenceConfig {
  int min_samples = 6;
  double min_jobs = 5;
  double min_weight = 0.5;
};

// Per-signal statistics: quantiles, trends, anomalies, saturation (DESIGN §4).
struct StatisticsConfig {
  std::vector<double> quantiles = {0.5, 0.95, 0.99};
  int trend_min_points = 10;
  int64_t trend_window_ms = 604'800'000;  // 168h: exponentially weighted, no history kept
  int64_t usage_bucket_ms = 3'600'000;    // usage profiles: 24 buckets a day, 168 a week
  // Relative change over the window (slope x window / mean level) beyond
  // which a trend with r2 >= trend_min_r2 counts as improving or declining.
  double trend_threshold = 0.05;
  double trend_min_r2 = 0.3;
  bool anomaly_robust = false;  // false: z-score; true: median/MAD
  double anomaly_threshold = 2.5;
  int anomaly_min_baseline = 10;
  double saturation_threshold = 0.85;  // a resource this busy can be the bottleneck
};

struct SloConfig {
  double objective = 0.99;  // share of jobs that must succeed
  std::vector<int64_t> windows_ms = {300'000, 1'800'000, 3'600'000, 21'600'000, 259'200'000};
};

// Online Holt-Winters forecasts (docs/forecast.md).
struct ForecastConfig {
  bool enabled = true;
  int64_t step_ms = 900'000;       // one observation per step; a multiple of windows.step
  int64_t season_ms = 86'400'000;  // daily season
  std::vector<int64_t> horizons_ms = {3'600'000, 21'600'000, 86'400'000};
  double coverage = 0.8;
  double alpha = 0.02, beta = 0.001, gamma = 0.1;
  int64_t exhaustion_horizon_ms = 604'800'000;  // look this far for capacity exhaustion
  // A step is fed to the model this long after it ends: remote-write delivers
  // samples late (batching, retries), and a step fed early is a partial mean.
  int64_t settle_ms = 60'000;
};

// Penalties lower the reputation on an outage, an SLA breach or a failure
// burst, then decay back with the half-life.
struct PenaltyConfig {
  double outage_points = 5;
  double sla_breach_points = 3;
  double failure_burst_points = 5;
  double sla_breach_below = 0.9;         // SLA fraction under which the SLA counts as breached
  double failure_burst_min_ratio = 0.1;  // recent failure ratio a failure burst needs
  int64_t half_life_ms = 21'600'000;     // 6h
  int64_t audit_capacity = 100'000;      // audit records kept in memory
  double audit_score_change = 5;         // reputation change (points) worth an audit record
};

struct NetworkConfig {
  std::string region_label = "region";        // info label grouping providers by region
  std::string gpu_model_label = "gpu_model";  // info label grouping providers by GPU model
  int correlated_failure_min_providers = 2;
  double correlated_failure_ratio = 0.5;
};

// Scheduled reports (docs/reports.md): every `interval` the report over the
// last `period` is written to `directory` as HTML and CSV; the newest `keep`
// of each are kept. `max_period` also bounds GET /api/v1/reports?period=.
struct ReportsConfig {
  bool enabled = false;
  int64_t interval_ms = 86'400'000;
  int64_t period_ms = 86'400'000;
  std::string directory;  // empty: <--storage.path>/reports
  int64_t keep = 30;
  int64_t max_period_ms = 604'800'000;  // 7d
};

struct LimitsConfig {
  int64_t max_body_bytes = 16 << 20;
  int64_t max_decompressed_bytes = 64 << 20;
  int64_t max_series_per_request = 500'000;
  int64_t max_labels_per_series = 64;
  int64_t max_label_name_length = 256;
  int64_t max_label_value_length = 4096;
  int64_t max_providers = 200'000;
  int64_t max_series_per_provider = 2'000;
  // Write requests decoded at once; past it 503 + Retry-After. 0: twice the
  // hardware threads.
  int64_t max_concurrent_writes = 0;
};

// One remote-write target for the derived series (docs/forwarding.md). Secrets
// given as files are read when the forwarder starts.
struct RemoteWriteConfig {
  std::string url;   // http(s)://host[:port]/path
  std::string name;  // unique; names the metrics' remote_name and the disk buffer directory
  int64_t remote_timeout_ms = 30'000;
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string basic_auth_password_file;
  std::string authorization_type = "Bearer";  // authorization, or bearer_token(_file)
  std::string authorization_credentials;
  std::string authorization_credentials_file;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  bool tls_insecure_skip_verify = false;
  int64_t queue_capacity = 10'000;  // samples held in memory before spilling to disk
  int64_t max_samples_per_send = 2'000;
  int64_t batch_send_deadline_ms = 5'000;
  int64_t min_backoff_ms = 30;
  int64_t max_backoff_ms = 5'000;
  bool retry_on_http_429 = true;
  int64_t disk_buffer_max_bytes = 512LL << 20;  // 0: no disk buffer
};

struct Config {
  int64_t evaluation_interval_ms = 15'000;
  ProviderConfig provider;
  WindowConfig windows;
  std::array<SignalSource, kSignalCount> signals;
  PerformanceConfig performance;
  ReputationConfig reputation;
  TierConfig tiers;
  ConfidenceConfig confidence;
  StatisticsConfig statistics;
  SloConfig slo;
  NetworkConfig network;
  ReportsConfig reports;
  ForecastConfig forecast;
  PenaltyConfig penalties;
  LimitsConfig limits;
  std::vector<RemoteWriteConfig> remote_write;  // forwarding targets; none by default
};

// The YAML text of the built-in defaults (config/default.yml).
std::string_view DefaultConfigYaml();

// Parses `yaml` over the built-in defaults. Unknown keys, wrong types and
// inconsistent values are errors that name the offending key.
Result<Config> ParseConfig(std::string_view yaml);

// Reads and parses a file; the error names the file.
Result<Config> LoadConfigFile(const std::string& path);

// The built-in default configuration (never fails for the shipped file).
Config DefaultConfig();

}  // namespace depin
