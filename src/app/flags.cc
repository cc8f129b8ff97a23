#include "app/flags.h"

#include <cctype>
#include <cstdlib>

#include "common/cli.h"
#include "common/duration.h"

namespace depin::app {
namespace {

cli::FlagSet MakeFlagSet(Flags* f) {
  cli::FlagSet set;
  set.String("config.file", "PATH",
             "YAML configuration merged over the built-in defaults (config/default.yml).",
             &f->config_file);
  set.String("web.listen-address", "ADDR", "Address to listen on. Default: 0.0.0.0:9470",
             &f->listen_address);
  set.String("web.config.file", "PATH",
             "Web config (exporter-toolkit format) enabling TLS and/or basic auth. "
             "See docs/security.md.",
             &f->web_config_file);
  set.Bool("web.enable-lifecycle", "Enable shutdown and reload via HTTP (POST /-/quit, /-/reload).",
           &f->enable_lifecycle);
  set.String("log.level", "LEVEL", "debug, info, warn or error. Default: info", &f->log_level);
  set.String("storage.path", "PATH", "Directory of the derived-series store. Default: data/",
             &f->storage_path);
  auto duration = [](int64_t* target, bool allow_zero) {
    return [target, allow_zero](const std::string& v) -> Status {
      if (v == "0" && allow_zero) {
        *target = 0;
        return Status::Ok();
      }
      auto d = ParseDuration(v);
      if (!d.ok()) return d.status();
      if (*d <= 0 && !allow_zero) return Status::InvalidArgument("must be positive");
      *target = *d;
      return Status::Ok();
    };
  };
  auto count = [](int64_t* target) {
    return [target](const std::string& v) -> Status {
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);  // 5e7 is accepted, as Prometheus's flags
      if (v.empty() || *end != '\0' || d < 0 || d > 9e18)
        return Status::InvalidArgument("not a non-negative number: " + v);
      *target = static_cast<int64_t>(d);
      return Status::Ok();
    };
  };
  set.Value("storage.retention.time", "DURATION",
            "How long derived samples are kept (0: forever). Default: 15d",
            duration(&f->retention_ms, true));
  set.Value("storage.retention.size", "BYTES",
            "Most chunk bytes kept, oldest dropped first: 512MB, 2GB (0: unlimited). Default: 0",
            [f](const std::string& v) -> Status {
              auto b = ParseBytes(v);
              if (!b.ok()) return b.status();
              f->retention_bytes = *b;
              return Status::Ok();
            });
  set.Value("storage.checkpoint-interval", "DURATION",
            "How often the store and the state checkpoint (windows, analytics, audit trail) are "
            "written to --storage.path (and at shutdown). Default: 5m",
            duration(&f->checkpoint_interval_ms, false));
  set.Bool("storage.wal.fsync",
           "fsync the write-ahead log before answering each remote-write request: survives "
           "power loss, not only a crash of the process (docs/storage.md). Default: off",
           &f->wal_fsync);
  set.Value("storage.audit-retention", "DURATION",
            "How long audit records are kept across restarts (0: as long as "
            "penalties.audit_capacity allows). Default: 30d",
            duration(&f->audit_retention_ms, true));
  set.Value("storage.remote.read-sample-limit", "N",
            "Most samples one remote-read request returns (0: no limit). Default: 5e7",
            count(&f->read_sample_limit));
  set.Value("storage.remote.read-series-limit", "N",
            "Most series one remote-read query may match (0: no limit). Default: 100000",
            count(&f->read_series_limit));
  set.Value("storage.remote.read-max-range", "DURATION",
            "Longest time range of one remote-read query (0: no limit). Default: 366d",
            duration(&f->read_max_range_ms, true));
  set.Value("query.max-series", "N",
            "Most series one GET /api/v1/history query may select (0: no limit). Default: 10000",
            count(&f->query_max_series));
  set.Value("query.max-points", "N",
            "Most steps per series of one history query, as Prometheus's 11000 (0: no limit). "
            "Default: 11000",
            count(&f->query_max_points));
  set.Value("query.max-samples", "N",
            "Most samples one history query reads, and most points it computes (0: no limit). "
            "Default: 5e7",
            count(&f->query_max_samples));
  set.Value("query.lookback-delta", "DURATION",
            "How far back a history query looks for a series' newest sample at each step. "
            "Default: 5m",
            duration(&f->query_lookback_ms, false));
  set.Bool("check-config", "Validate the configuration and exit (0 = valid).", &f->check_config);
  set.Bool("help", "Show this help.", &f->help);
  set.Bool("version", "Show the version.", &f->version);
  return set;
}

}  // namespace

std::string Usage() {
  Flags unused;
  return "usage: depin-sidecar [<flags>]\n\n"
         "A Prometheus sidecar that turns remote-written DePIN provider metrics into\n"
         "derived series: performance and reputation scores, ranks and tiers.\n\n" +
         MakeFlagSet(&unused).Help() +
         "\nEndpoints: POST /api/v1/write (remote-write 1.0), POST /api/v1/read\n"
         "(remote-read: SAMPLES, STREAMED_XOR_CHUNKS), GET /api/v1/history (derived\n"
         "history as JSON or CSV, docs/query.md), GET /metrics,\n"
         "GET /-/healthy, GET /-/ready; POST /-/reload and /-/quit with\n"
         "--web.enable-lifecycle. SIGHUP reloads --config.file and --web.config.file,\n"
         "SIGTERM stops.\n";
}

Result<int64_t> ParseBytes(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 15) return Status::InvalidArgument("invalid size \"" + text + "\"");
  int64_t n = std::strtoll(text.substr(0, i).c_str(), nullptr, 10);
  const std::string unit = text.substr(i);
  static const char* kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  if (unit.empty()) return n;
  for (int k = 0; k < 6; ++k) {
    if (unit == kUnits[k]) {
      for (int j = 0; j < k; ++j) {
        if (n > (INT64_MAX >> 10)) return Status::InvalidArgument("size too large: " + text);
        n <<= 10;
      }
      return n;
    }
  }
  return Status::InvalidArgument("invalid size unit in \"" + text + "\": B, KB, MB, GB, TB or PB");
}

Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  Status st = MakeFlagSet(&f).Parse(args);
  if (!st.ok()) return st;
  return f;
}

}  // namespace depin::app
