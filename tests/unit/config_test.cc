#include "config/config.h"

#include <gtest/gtest.h>

#include "common/duration.h"

namespace depin {
namespace {

TEST(Duration, ParsesPrometheusSyntax) {
  EXPECT_EQ(ParseDuration("15s").value(), 15'000);
  EXPECT_EQ(ParseDuration("1h30m").value(), 5'400'000);
  EXPECT_EQ(ParseDuration("500ms").value(), 500);
  EXPECT_EQ(ParseDuration("7d").value(), 604'800'000);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("10").ok());
  EXPECT_FALSE(ParseDuration("-5s").ok());
  EXPECT_FALSE(ParseDuration("5x").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999s").ok());
  EXPECT_EQ(FormatDuration(5'400'000), "1h30m");
}

TEST(Config, DefaultsMatchTheDesign) {
  Config c = DefaultConfig();
  EXPECT_EQ(c.provider.label, "provider");
  EXPECT_DOUBLE_EQ(c.performance.weights[0], 0.25);
  EXPECT_DOUBLE_EQ(c.performance.weights[5], 0.08);
  EXPECT_DOUBLE_EQ(c.reputation.weights[0], 0.30);
  EXPECT_DOUBLE_EQ(c.tiers.thresholds[3], 95);
  EXPECT_DOUBLE_EQ(c.tiers.thresholds[0], 65);
  EXPECT_TRUE(c.signals[Index(Signal::kUp)].enabled);
  EXPECT_EQ(c.signals[Index(Signal::kJobDuration)].metric, "depin_job_duration_seconds");
  EXPECT_EQ(c.signals[Index(Signal::kCpuIdle)].match.size(), 1u);
  EXPECT_EQ(c.evaluation_interval_ms, 15'000);
}

TEST(Config, FileOverridesMergeOverDefaults) {
  auto c = ParseConfig(R"(
evaluation_interval: 2s
provider: {label: node}
performance: {weights: {uptime: 0.5}}
signals: {gpu_util: {metric: my_gpu_util}}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->evaluation_interval_ms, 2000);
  EXPECT_EQ(c->provider.label, "node");
  EXPECT_DOUBLE_EQ(c->performance.weights[2], 0.5);
  EXPECT_DOUBLE_EQ(c->performance.weights[0], 0.25);  // untouched
  EXPECT_EQ(c->signals[Index(Signal::kGpuUtil)].metric, "my_gpu_util");
  EXPECT_EQ(c->signals[Index(Signal::kJobsCompleted)].metric, "depin_jobs_completed_total");
}

TEST(Config, ErrorsNameTheKey) {
  auto unknown = ParseConfig("windows: {stepp: 5s}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("windows.stepp"), std::string::npos);

  auto bad_duration = ParseConfig("evaluation_interval: soon");
  ASSERT_FALSE(bad_duration.ok());
  EXPECT_NE(bad_duration.status().message().find("evaluation_interval"), std::string::npos);

  EXPECT_FALSE(ParseConfig("tiers: {gold: 99}").ok());  // gold above platinum
  EXPECT_FALSE(ParseConfig("performance: {weights: {uptime: -1}}").ok());
  EXPECT_FALSE(ParseConfig("signals: {nonsense: {metric: x}}").ok());
  EXPECT_FALSE(ParseConfig("provider: {regex: \"(\"}").ok());
  EXPECT_FALSE(ParseConfig("windows: {step: 7s, length: 1m}").ok());
  EXPECT_FALSE(ParseConfig("limits: {max_body_bytes: 0}").ok());
  EXPECT_FALSE(ParseConfig("[1, 2").ok());
  EXPECT_FALSE(LoadConfigFile("/nonexistent/depin.yml").ok());
}

TEST(Config, OutOfOrderToleranceAndConcurrentWrites) {
  Config d = DefaultConfig();
  EXPECT_EQ(d.windows.out_of_order_tolerance_ms, 300'000);
  EXPECT_EQ(d.limits.max_concurrent_writes, 0);  // automatic
  auto c = ParseConfig(
      "windows: {out_of_order_tolerance: 90s}\nlimits: {max_concurrent_writes: 3}");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->windows.out_of_order_tolerance_ms, 90'000);
  EXPECT_EQ(c->limits.max_concurrent_writes, 3);
  EXPECT_TRUE(ParseConfig("windows: {out_of_order_tolerance: 0s}").ok());
  auto too_long = ParseConfig("windows: {length: 10m, out_of_order_tolerance: 11m}");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("out_of_order_tolerance"), std::string::npos);
  EXPECT_FALSE(ParseConfig("windows: {out_of_order_tolerance: -5m}").ok());
  EXPECT_FALSE(ParseConfig("limits: {max_concurrent_writes: -1}").ok());
}

TEST(Config, RemoteWriteTargets) {
  EXPECT_TRUE(DefaultConfig().remote_write.empty());
  auto c = ParseConfig(R"(
remote_write:
  - url: https://vm.example:8428/api/v1/write
    name: longterm
    remote_timeout: 10s
    basic_auth: {username: depin, password_file: /etc/pw}
    tls_config: {ca_file: /etc/ca.pem, server_name: vm, insecure_skip_verify: true}
    queue_config: {capacity: 5000, max_samples_per_send: 500, batch_send_deadline: 1s,
                   min_backoff: 100ms, max_backoff: 10s, retry_on_http_429: false}
    disk_buffer: {max_size: 64MB}
  - url: http://127.0.0.1:9/write
    bearer_token: abc
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->remote_write.size(), 2u);
  const RemoteWriteConfig& a = c->remote_write[0];
  EXPECT_EQ(a.name, "longterm");
  EXPECT_EQ(a.remote_timeout_ms, 10'000);
  EXPECT_EQ(a.basic_auth_password_file, "/etc/pw");
  EXPECT_EQ(a.tls_server_name, "vm");
  EXPECT_TRUE(a.tls_insecure_skip_verify);
  EXPECT_EQ(a.queue_capacity, 5000);
  EXPECT_EQ(a.max_samples_per_send, 500);
  EXPECT_EQ(a.batch_send_deadline_ms, 1000);
  EXPECT_EQ(a.min_backoff_ms, 100);
  EXPECT_FALSE(a.retry_on_http_429);
  EXPECT_EQ(a.disk_buffer_max_bytes, 64LL << 20);
  const RemoteWriteConfig& b = c->remote_write[1];
  EXPECT_EQ(b.authorization_type, "Bearer");
  EXPECT_EQ(b.authorization_credentials, "abc");
  EXPECT_TRUE(b.retry_on_http_429);  // Prometheus's default
  EXPECT_EQ(b.name.size(), 8u);      // a stable hash of the URL
  EXPECT_EQ(b.name, ParseConfig("remote_write: [{url: 'http://127.0.0.1:9/write'}]")
                        ->remote_write[0]
                        .name);

  for (const char* bad : {
           "remote_write: {url: 'http://x/'}",                                    // not a list
           "remote_write: [{url: 'ftp://x/'}]",                                   // scheme
           "remote_write: [{url: 'http://x/', colour: red}]",                     // unknown key
           "remote_write: [{url: 'http://x/', queue_config: {shards: 2}}]",       // unknown key
           "remote_write: [{url: 'http://x/', name: a}, {url: 'http://y/', name: a}]",
           "remote_write: [{url: 'http://x/', name: ../up}]",
           "remote_write: [{url: 'http://x/', bearer_token: t, basic_auth: {username: u}}]",
           "remote_write: [{url: 'http://x/', basic_auth: {password: p, password_file: f}}]",
           "remote_write: [{url: 'http://x/', tls_config: {cert_file: c}}]",
           "remote_write: [{url: 'http://x/', queue_config: {capacity: 10, max_samples_per_send: "
           "100}}]",
           "remote_write: [{url: 'http://x/', queue_config: {min_backoff: 5s, max_backoff: 1s}}]",
           "remote_write: [{url: 'http://x/', disk_buffer: {max_size: lots}}]",
       }) {
    EXPECT_FALSE(ParseConfig(bad).ok()) << bad;
  }
  auto unknown = ParseConfig("remote_write: [{url: 'http://x/', queue_config: {shards: 2}}]");
  EXPECT_NE(unknown.status().message().find("remote_write[0].queue_config"), std::string::npos)
      << unknown.status().message();
}

TEST(Config, EmptyDocumentIsTheDefault) {
  auto c = ParseConfig("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->windows.slots(), DefaultConfig().windows.slots());
}

}  // namespace
}  // namespace depin
