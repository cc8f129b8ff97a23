#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/duration.h"
#include "config/yaml_reader.h"

namespace depin {
namespace {

constexpr std::array<std::string_view, kPerfComponentCount> kPerfNames = {
    "completion_rate", "resource_efficiency", "uptime",
    "response_time",   "sla_compliance",      "error_rate"};
constexpr std::array<std::string_view, kRepCriterionCount> kRepNames = {
    "performance", "reliability", "cost", "availability", "speed"};
constexpr std::array<std::string_view, 4> kTierKeys = {"bronze", "silver", "gold", "platinum"};

using yaml::MapReader;
using yaml::ReadDuration;
using yaml::ReadNumber;
using yaml::ReadString;

template <size_t N>
Status ReadWeights(MapReader& parent, const std::array<std::string_view, N>& names,
                   std::array<double, N>* weights) {
  auto node = parent.Get("weights");
  if (!node) return Status::Ok();
  MapReader r(node, parent.Path("weights"));
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  for (size_t i = 0; i < N; ++i) DEPIN_RETURN_IF_ERROR(ReadNumber(r, names[i], &(*weights)[i]));
  DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  double sum = 0;
  for (double w : *weights) {
    if (w < 0) return Status::InvalidArgument(parent.Path("weights") + ": weights must be >= 0");
    sum += w;
  }
  if (sum <= 0) return Status::InvalidArgument(parent.Path("weights") + ": weights sum to 0");
  return Status::Ok();
}

Status ApplyProvider(const YAML::Node& node, ProviderConfig* p) {
  MapReader r(node, "provider");
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  DEPIN_RETURN_IF_ERROR(ReadString(r, "label", &p->label));
  DEPIN_RETURN_IF_ERROR(ReadString(r, "regex", &p->regex));
  DEPIN_RETURN_IF_ERROR(ReadString(r, "replacement", &p->replacement));
  DEPIN_RETURN_IF_ERROR(yaml::ReadStringList(r, "info_labels", &p->info_labels));
  DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  if (p->label.empty()) return Status::InvalidArgument("provider.label: must not be empty");
  try {
    std::regex re(p->regex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument("provider.regex: invalid regular expression: " +
                                   std::string(e.what()));
  }
  return Status::Ok();
}

Status ApplySignals(const YAML::Node& node, std::array<SignalSource, kSignalCount>* signals) {
  if (!node.IsMap()) return Status::InvalidArgument("signals: expected a mapping");
  for (const auto& kv : node) {
    auto name = kv.first.as<std::string>();
    auto sig = SignalFromName(name);
    if (!sig) return Status::InvalidArgument("signals: unknown signal \"" + name + "\"");
    SignalSource& src = (*signals)[Index(*sig)];
    MapReader r(kv.second, "signals." + name);
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    src.enabled = true;
    DEPIN_RETURN_IF_ERROR(yaml::ReadBool(r, "enabled", &src.enabled));
    DEPIN_RETURN_IF_ERROR(ReadString(r, "metric", &src.metric));
    if (auto m = r.Get("match")) {
      if (!m.IsMap()) return Status::InvalidArgument(r.Path("match") + ": expected a mapping");
      src.match.clear();
      for (const auto& lv : m)
        src.match.emplace_back(lv.first.as<std::string>(), lv.second.as<std::string>());
    }
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
    if (src.enabled && src.metric.empty()) {
      return Status::InvalidArgument(r.Path("metric") + ": must not be empty");
    }
  }
  return Status::Ok();
}

Status ApplyStatistics(const YAML::Node& node, StatisticsConfig* st) {
  MapReader r(node, "statistics");
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  if (auto q = r.Get("quantiles")) {
    if (!q.IsSequence()) return Status::InvalidArgument("statistics.quantiles: expected a list");
    st->quantiles.clear();
    for (const auto& v : q) {
      double x = v.as<double>();
      if (x < 0 || x > 1)
        return Status::InvalidArgument("statistics.quantiles: each must be in [0, 1]");
      st->quantiles.push_back(x);
    }
  }
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "trend_min_points", &st->trend_min_points));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "trend_window", &st->trend_window_ms));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "usage_bucket", &st->usage_bucket_ms));
  if (st->trend_window_ms <= 0 || st->usage_bucket_ms <= 0) {
    return Status::InvalidArgument("statistics: trend_window and usage_bucket must be positive");
  }
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "trend_threshold", &st->trend_threshold));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "trend_min_r2", &st->trend_min_r2));
  std::string method = st->anomaly_robust ? "mad" : "zscore";
  DEPIN_RETURN_IF_ERROR(ReadString(r, "anomaly_method", &method));
  if (method != "zscore" && method != "mad") {
    return Status::InvalidArgument("statistics.anomaly_method: must be zscore or mad");
  }
  st->anomaly_robust = method == "mad";
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "anomaly_threshold", &st->anomaly_threshold));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "anomaly_min_baseline", &st->anomaly_min_baseline));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "saturation_threshold", &st->saturation_threshold));
  DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  if (st->trend_min_points < 2 || st->anomaly_min_baseline < 2) {
    return Status::InvalidArgument(
        "statistics: trend_min_points and anomaly_min_baseline must be >= 2");
  }
  if (st->anomaly_threshold <= 0 || st->trend_threshold <= 0) {
    return Status::InvalidArgument("statistics: thresholds must be positive");
  }
  return Status::Ok();
}

Status ApplySlo(const YAML::Node& node, SloConfig* slo) {
  MapReader r(node, "slo");
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "objective", &slo->objective));
  std::vector<std::string> windows;
  DEPIN_RETURN_IF_ERROR(yaml::ReadStringList(r, "windows", &windows));
  if (!windows.empty()) {
    slo->windows_ms.clear();
    for (const auto& w : windows) {
      auto d = ParseDuration(w);
      if (!d.ok() || d.value() <= 0) {
        return Status::InvalidArgument("slo.windows: invalid duration \"" + w + "\"");
      }
      slo->windows_ms.push_back(d.value());
    }
  }
  DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  if (slo->objective <= 0 || slo->objective >= 1) {
    return Status::InvalidArgument("slo.objective: must be in (0, 1)");
  }
  return Status::Ok();
}

Status ApplyForecast(const YAML::Node& node, ForecastConfig* f) {
  MapReader r(node, "forecast");
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  DEPIN_RETURN_IF_ERROR(yaml::ReadBool(r, "enabled", &f->enabled));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "step", &f->step_ms));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "season", &f->season_ms));
  std::vector<std::string> horizons;
  DEPIN_RETURN_IF_ERROR(yaml::ReadStringList(r, "horizons", &horizons));
  if (!horizons.empty()) {
    f->horizons_ms.clear();
    for (const auto& h : horizons) {
      auto d = ParseDuration(h);
      if (!d.ok() || d.value() <= 0) {
        return Status::InvalidArgument("forecast.horizons: invalid duration \"" + h + "\"");
      }
      f->horizons_ms.push_back(d.value());
    }
  }
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "coverage", &f->coverage));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "alpha", &f->alpha));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "beta", &f->beta));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "gamma", &f->gamma));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "exhaustion_horizon", &f->exhaustion_horizon_ms));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "settle", &f->settle_ms));
  return r.CheckUnknown();
}

Status ApplyReports(const YAML::Node& node, ReportsConfig* rc) {
  MapReader r(node, "reports");
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  DEPIN_RETURN_IF_ERROR(yaml::ReadBool(r, "enabled", &rc->enabled));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "interval", &rc->interval_ms));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "period", &rc->period_ms));
  DEPIN_RETURN_IF_ERROR(ReadString(r, "directory", &rc->directory));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "keep", &rc->keep));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "max_period", &rc->max_period_ms));
  DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  if (rc->interval_ms < 1000)
    return Status::InvalidArgument("reports.interval: must be at least 1s");
  if (rc->keep < 1) return Status::InvalidArgument("reports.keep: must be at least 1");
  if (rc->max_period_ms <= 0)
    return Status::InvalidArgument("reports.max_period: must be positive");
  if (rc->period_ms <= 0 || rc->period_ms > rc->max_period_ms) {
    return Status::InvalidArgument(
        "reports.period: must be positive and at most reports.max_period");
  }
  return Status::Ok();
}

// A byte size: a plain number, or with a KB/MB/GB/TB suffix (base 1024).
Status ReadByteSize(MapReader& r, std::string_view key, int64_t* out) {
  std::string text;
  DEPIN_RETURN_IF_ERROR(ReadString(r, key, &text));
  if (text.empty()) return Status::Ok();
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  int shift = -1;
  if (unit.empty() || unit == "B") shift = 0;
  if (unit == "KB") shift = 10;
  if (unit == "MB") shift = 20;
  if (unit == "GB") shift = 30;
  if (unit == "TB") shift = 40;
  if (digits == 0 || digits > 12 || shift < 0) {
    return Status::InvalidArgument(r.Path(key) + ": expected a size such as 512MB or 1GB");
  }
  *out = std::stoll(text.substr(0, digits)) << shift;
  return Status::Ok();
}

// remote_write: a list of targets; a list given in a file replaces the
// default (empty) one. Names default to a hash of the URL, as Prometheus's.
Status ApplyRemoteWrite(const YAML::Node& node, std::vector<RemoteWriteConfig>* out) {
  if (!node.IsSequence()) return Status::InvalidArgument("remote_write: expected a list");
  out->clear();
  for (size_t i = 0; i < node.size(); ++i) {
    RemoteWriteConfig t;
    MapReader r(node[i], "remote_write[" + std::to_string(i) + "]");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    DEPIN_RETURN_IF_ERROR(ReadString(r, "url", &t.url));
    DEPIN_RETURN_IF_ERROR(ReadString(r, "name", &t.name));
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "remote_timeout", &t.remote_timeout_ms));
    int auth_kinds = 0;
    if (auto a = r.Get("basic_auth")) {
      ++auth_kinds;
      MapReader b(a, r.Path("basic_auth"));
      DEPIN_RETURN_IF_ERROR(b.CheckMap());
      DEPIN_RETURN_IF_ERROR(ReadString(b, "username", &t.basic_auth_username));
      DEPIN_RETURN_IF_ERROR(ReadString(b, "password", &t.basic_auth_password));
      DEPIN_RETURN_IF_ERROR(ReadString(b, "password_file", &t.basic_auth_password_file));
      DEPIN_RETURN_IF_ERROR(b.CheckUnknown());
      if (!t.basic_auth_password.empty() && !t.basic_auth_password_file.empty()) {
        return Status::InvalidArgument(b.Path("password") +
                                       ": password and password_file are exclusive");
      }
    }
    if (auto a = r.Get("authorization")) {
      ++auth_kinds;
      MapReader b(a, r.Path("authorization"));
      DEPIN_RETURN_IF_ERROR(b.CheckMap());
      DEPIN_RETURN_IF_ERROR(ReadString(b, "type", &t.authorization_type));
      DEPIN_RETURN_IF_ERROR(ReadString(b, "credentials", &t.authorization_credentials));
      DEPIN_RETURN_IF_ERROR(
          ReadString(b, "credentials_file", &t.authorization_credentials_file));
      DEPIN_RETURN_IF_ERROR(b.CheckUnknown());
      if (!t.authorization_credentials.empty() && !t.authorization_credentials_file.empty()) {
        return Status::InvalidArgument(b.Path("credentials") +
                                       ": credentials and credentials_file are exclusive");
      }
    }
    std::string token, token_file;
    DEPIN_RETURN_IF_ERROR(ReadString(r, "bearer_token", &token));
    DEPIN_RETURN_IF_ERROR(ReadString(r, "bearer_token_file", &token_file));
    if (!token.empty() || !token_file.empty()) {
      ++auth_kinds;
      if (!token.empty() && !token_file.empty()) {
        return Status::InvalidArgument(r.Path("bearer_token") +
                                       ": bearer_token and bearer_token_file are exclusive");
      }
      t.authorization_credentials = token;
      t.authorization_credentials_file = token_file;
    }
    if (auth_kinds > 1) {
      return Status::InvalidArgument(
          r.Path("basic_auth") + ": at most one of basic_auth, authorization, bearer_token");
    }
    if (auto n = r.Get("tls_config")) {
      MapReader b(n, r.Path("tls_config"));
      DEPIN_RETURN_IF_ERROR(b.CheckMap());
      DEPIN_RETURN_IF_ERROR(ReadString(b, "ca_file", &t.tls_ca_file));
      DEPIN_RETURN_IF_ERROR(ReadString(b, "cert_file", &t.tls_cert_file));
      DEPIN_RETURN_IF_ERROR(ReadString(b, "key_file", &t.tls_key_file));
      DEPIN_RETURN_IF_ERROR(ReadString(b, "server_name", &t.tls_server_name));
      DEPIN_RETURN_IF_ERROR(yaml::ReadBool(b, "insecure_skip_verify", &t.tls_insecure_skip_verify));
      DEPIN_RETURN_IF_ERROR(b.CheckUnknown());
      if (t.tls_cert_file.empty() != t.tls_key_file.empty()) {
        return Status::InvalidArgument(b.Path("cert_file") +
                                       ": cert_file and key_file go together");
      }
    }
    if (auto n = r.Get("queue_config")) {
      MapReader b(n, r.Path("queue_config"));
      DEPIN_RETURN_IF_ERROR(b.CheckMap());
      DEPIN_RETURN_IF_ERROR(ReadNumber(b, "capacity", &t.queue_capacity));
      DEPIN_RETURN_IF_ERROR(ReadNumber(b, "max_samples_per_send", &t.max_samples_per_send));
      DEPIN_RETURN_IF_ERROR(ReadDuration(b, "batch_send_deadline", &t.batch_send_deadline_ms));
      DEPIN_RETURN_IF_ERROR(ReadDuration(b, "min_backoff", &t.min_backoff_ms));
      DEPIN_RETURN_IF_ERROR(ReadDuration(b, "max_backoff", &t.max_backoff_ms));
      DEPIN_RETURN_IF_ERROR(yaml::ReadBool(b, "retry_on_http_429", &t.retry_on_http_429));
      DEPIN_RETURN_IF_ERROR(b.CheckUnknown());
    }
    if (auto n = r.Get("disk_buffer")) {
      MapReader b(n, r.Path("disk_buffer"));
      DEPIN_RETURN_IF_ERROR(b.CheckMap());
      DEPIN_RETURN_IF_ERROR(ReadByteSize(b, "max_size", &t.disk_buffer_max_bytes));
      DEPIN_RETURN_IF_ERROR(b.CheckUnknown());
    }
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
    if (t.url.rfind("http://", 0) != 0 && t.url.rfind("https://", 0) != 0) {
      return Status::InvalidArgument(r.Path("url") + ": must be an http:// or https:// URL");
    }
    if (t.name.empty()) {
      uint32_t h = 2166136261u;  // FNV-1a: stable across restarts (the disk buffer's directory)
      for (unsigned char ch : t.url) h = (h ^ ch) * 16777619u;
      char hex[9];
      std::snprintf(hex, sizeof hex, "%08x", h);
      t.name = hex;
    }
    constexpr std::string_view kNameChars =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
    if (t.name == "." || t.name == ".." ||
        t.name.find_first_not_of(kNameChars) != std::string::npos) {
      return Status::InvalidArgument(r.Path("name") + ": only letters, digits, '_', '.', '-'");
    }
    for (const auto& other : *out) {
      if (other.name == t.name) {
        return Status::InvalidArgument(r.Path("name") + ": \"" + t.name + "\" is used twice");
      }
    }
    if (t.remote_timeout_ms <= 0 || t.batch_send_deadline_ms <= 0 || t.min_backoff_ms <= 0 ||
        t.max_backoff_ms < t.min_backoff_ms) {
      return Status::InvalidArgument(
          r.Path("queue_config") +
          ": remote_timeout, batch_send_deadline and min_backoff must be positive, "
          "max_backoff at least min_backoff");
    }
    if (t.max_samples_per_send < 1 || t.queue_capacity < t.max_samples_per_send) {
      return Status::InvalidArgument(
          r.Path("queue_config") +
          ": max_samples_per_send must be >= 1 and capacity at least max_samples_per_send");
    }
    if (t.disk_buffer_max_bytes < 0) {
      return Status::InvalidArgument(r.Path("disk_buffer") + ": max_size must be >= 0");
    }
    out->push_back(std::move(t));
  }
  return Status::Ok();
}

Status Apply(const YAML::Node& root, Config* c) {
  if (!root || root.IsNull()) return Status::Ok();
  MapReader top(root, "");
  DEPIN_RETURN_IF_ERROR(top.CheckMap());
  DEPIN_RETURN_IF_ERROR(ReadDuration(top, "evaluation_interval", &c->evaluation_interval_ms));
  if (auto n = top.Get("provider")) DEPIN_RETURN_IF_ERROR(ApplyProvider(n, &c->provider));
  if (auto n = top.Get("windows")) {
    MapReader r(n, "windows");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "step", &c->windows.step_ms));
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "length", &c->windows.length_ms));
    DEPIN_RETURN_IF_ERROR(
        ReadDuration(r, "out_of_order_tolerance", &c->windows.out_of_order_tolerance_ms));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  }
  if (auto n = top.Get("signals")) DEPIN_RETURN_IF_ERROR(ApplySignals(n, &c->signals));
  if (auto n = top.Get("performance")) {
    MapReader r(n, "performance");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    DEPIN_RETURN_IF_ERROR(ReadWeights(r, kPerfNames, &c->performance.weights));
    int64_t good = static_cast<int64_t>(c->performance.response_good_s * 1000);
    int64_t bad = static_cast<int64_t>(c->performance.response_bad_s * 1000);
    int64_t sla = static_cast<int64_t>(c->performance.sla_target_s * 1000);
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "response_time_good", &good));
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "response_time_bad", &bad));
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "sla_target", &sla));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_failure_ratio", &c->performance.max_failure_ratio));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
    c->performance.response_good_s = good / 1000.0;
    c->performance.response_bad_s = bad / 1000.0;
    c->performance.sla_target_s = sla / 1000.0;
  }
  if (auto n = top.Get("reputation")) {
    MapReader r(n, "reputation");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    DEPIN_RETURN_IF_ERROR(ReadWeights(r, kRepNames, &c->reputation.weights));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "outage_penalty", &c->reputation.outage_penalty));
    DEPIN_RETURN_IF_ERROR(
        ReadDuration(r, "availability_window", &c->reputation.availability_window_ms));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  }
  if (auto n = top.Get("tiers")) {
    MapReader r(n, "tiers");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    for (size_t i = 0; i < kTierKeys.size(); ++i) {
      DEPIN_RETURN_IF_ERROR(ReadNumber(r, kTierKeys[i], &c->tiers.thresholds[i]));
    }
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "hysteresis", &c->tiers.hysteresis));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  }
  if (auto n = top.Get("confidence")) {
    MapReader r(n, "confidence");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "min_samples", &c->confidence.min_samples));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "min_jobs", &c->confidence.min_jobs));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "min_weight", &c->confidence.min_weight));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  }
  if (auto n = top.Get("statistics")) DEPIN_RETURN_IF_ERROR(ApplyStatistics(n, &c->statistics));
  if (auto n = top.Get("slo")) DEPIN_RETURN_IF_ERROR(ApplySlo(n, &c->slo));
  if (auto n = top.Get("network")) {
    MapReader r(n, "network");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    NetworkConfig& nc = c->network;
    DEPIN_RETURN_IF_ERROR(ReadString(r, "region_label", &nc.region_label));
    DEPIN_RETURN_IF_ERROR(ReadString(r, "gpu_model_label", &nc.gpu_model_label));
    DEPIN_RETURN_IF_ERROR(
        ReadNumber(r, "correlated_failure_min_providers", &nc.correlated_failure_min_providers));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "correlated_failure_ratio", &nc.correlated_failure_ratio));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
    if (nc.correlated_failure_min_providers < 1 || nc.correlated_failure_ratio <= 0 ||
        nc.correlated_failure_ratio > 1) {
      return Status::InvalidArgument(
          "network: correlated_failure_min_providers must be >= 1 and the ratio in (0, 1]");
    }
  }
  if (auto n = top.Get("forecast")) DEPIN_RETURN_IF_ERROR(ApplyForecast(n, &c->forecast));
  if (auto n = top.Get("reports")) DEPIN_RETURN_IF_ERROR(ApplyReports(n, &c->reports));
  if (auto n = top.Get("penalties")) {
    MapReader r(n, "penalties");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    PenaltyConfig& p = c->penalties;
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "outage_points", &p.outage_points));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "sla_breach_points", &p.sla_breach_points));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "failure_burst_points", &p.failure_burst_points));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "sla_breach_below", &p.sla_breach_below));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "failure_burst_min_ratio", &p.failure_burst_min_ratio));
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "half_life", &p.half_life_ms));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "audit_capacity", &p.audit_capacity));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "audit_score_change", &p.audit_score_change));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
    if (p.outage_points < 0 || p.sla_breach_points < 0 || p.failure_burst_points < 0 ||
        p.audit_capacity < 1 || p.half_life_ms <= 0) {
      return Status::InvalidArgument(
          "penalties: points must be >= 0, half_life positive, audit_capacity >= 1");
    }
  }
  if (auto n = top.Get("limits")) {
    MapReader r(n, "limits");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    LimitsConfig& l = c->limits;
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_body_bytes", &l.max_body_bytes));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_decompressed_bytes", &l.max_decompressed_bytes));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_series_per_request", &l.max_series_per_request));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_labels_per_series", &l.max_labels_per_series));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_label_name_length", &l.max_label_name_length));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_label_value_length", &l.max_label_value_length));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_providers", &l.max_providers));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_series_per_provider", &l.max_series_per_provider));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "max_concurrent_writes", &l.max_concurrent_writes));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  }
  if (auto n = top.Get("remote_write")) {
    DEPIN_RETURN_IF_ERROR(ApplyRemoteWrite(n, &c->remote_write));
  }
  return top.CheckUnknown();
}

Status Validate(const Config& c) {
  if (c.evaluation_interval_ms < 100) {
    return Status::InvalidArgument("evaluation_interval: must be at least 100ms");
  }
  if (c.windows.step_ms < 1000) return Status::InvalidArgument("windows.step: must be at least 1s");
  if (c.windows.length_ms % c.windows.step_ms != 0) {
    return Status::InvalidArgument("windows.length: must be a multiple of windows.step");
  }
  if (c.windows.slots() < 2 || c.windows.slots() > 100'000) {
    return Status::InvalidArgument("windows: length/step must be between 2 and 100000 slots");
  }
  if (c.windows.out_of_order_tolerance_ms > c.windows.length_ms) {
    return Status::InvalidArgument(
        "windows.out_of_order_tolerance: must not exceed windows.length");
  }
  if (c.performance.response_bad_s <= c.performance.response_good_s) {
    return Status::InvalidArgument("performance.response_time_bad: must exceed response_time_good");
  }
  if (c.performance.max_failure_ratio <= 0 || c.performance.max_failure_ratio > 1) {
    return Status::InvalidArgument("performance.max_failure_ratio: must be in (0, 1]");
  }
  for (size_t i = 1; i < c.tiers.thresholds.size(); ++i) {
    if (c.tiers.thresholds[i] <= c.tiers.thresholds[i - 1]) {
      return Status::InvalidArgument("tiers: thresholds must increase from bronze to platinum");
    }
  }
  if (c.tiers.hysteresis < 0) return Status::InvalidArgument("tiers.hysteresis: must be >= 0");
  if (c.confidence.min_samples < 1)
    return Status::InvalidArgument("confidence.min_samples: must be >= 1");
  if (c.confidence.min_weight < 0 || c.confidence.min_weight > 1) {
    return Status::InvalidArgument("confidence.min_weight: must be in [0, 1]");
  }
  const LimitsConfig& l = c.limits;
  for (int64_t v : {l.max_body_bytes, l.max_decompressed_bytes, l.max_series_per_request,
                    l.max_labels_per_series, l.max_label_name_length, l.max_label_value_length,
                    l.max_providers, l.max_series_per_provider}) {
    if (v <= 0) return Status::InvalidArgument("limits: every limit must be positive");
  }
  if (l.max_concurrent_writes < 0) {
    return Status::InvalidArgument("limits.max_concurrent_writes: must be >= 0 (0: automatic)");
  }
  const ForecastConfig& f = c.forecast;
  if (f.step_ms <= 0 || f.step_ms % c.windows.step_ms != 0) {
    return Status::InvalidArgument("forecast.step: must be a multiple of windows.step");
  }
  if (f.season_ms % f.step_ms != 0 || f.season_ms / f.step_ms < 2) {
    return Status::InvalidArgument(
        "forecast.season: must be at least two forecast steps, a multiple");
  }
  for (int64_t h : f.horizons_ms) {
    if (h % f.step_ms != 0)
      return Status::InvalidArgument("forecast.horizons: must be multiples of forecast.step");
  }
  if (f.coverage <= 0 || f.coverage >= 1)
    return Status::InvalidArgument("forecast.coverage: must be in (0, 1)");
  if (f.settle_ms < 0) return Status::InvalidArgument("forecast.settle: must be >= 0");
  if (!c.signals[Index(Signal::kUp)].enabled) {
    return Status::InvalidArgument("signals.up: required (uptime and confidence depend on it)");
  }
  return Status::Ok();
}

Result<Config> ParseOver(Config base, std::string_view yaml) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    Status st = Apply(root, &base);
    if (!st.ok()) return st;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("YAML: ") + e.what());
  }
  Status st = Validate(base);
  if (!st.ok()) return st;
  return base;
}

}  // namespace

std::string_view PerfComponentName(PerfComponent c) { return kPerfNames[static_cast<int>(c)]; }
std::string_view RepCriterionName(RepCriterion c) { return kRepNames[static_cast<int>(c)]; }

Config DefaultConfig() {
  static const Config kDefault = [] {
    auto r = ParseOver(Config{}, DefaultConfigYaml());
    return r.ok() ? r.value() : Config{};
  }();
  return kDefault;
}

Result<Config> ParseConfig(std::string_view yaml) { return ParseOver(DefaultConfig(), yaml); }

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = ParseConfig(ss.str());
  if (!r.ok()) return Status::InvalidArgument(path + ": " + r.status().message());
  return r;
}

}  // namespace depin
