// depin-sidecar: wires config, ingest, windows, evaluation and HTTP together.
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "api/router.h"
#include "app/flags.h"
#include "app/reloader.h"
#include "common/cli.h"
#include "common/clock.h"
#include "common/logger.h"
#include "config/config.h"
#include "durable/durability.h"
#include "durable/windows_status.h"
#include "evaluate/evaluator.h"
#include "export/metrics_cache.h"
#include "forward/forwarder.h"
#include "ingest/ingester.h"
#include "query/handler.h"
#include "read/remote_read.h"
#include "report/handler.h"
#include "report/scheduler.h"
#include "route/router.h"
#include "server/http_server.h"
#include "server/web_security.h"
#include "store/checkpointer.h"
#include "store/store.h"
#include "web/event_stream.h"
#include "web/ui_page.h"
#include "windows/window_store.h"

#ifndef DEPIN_VERSION
#define DEPIN_VERSION "dev"
#endif

namespace {

using depin::Config;
using depin::Logger;

depin::Result<Config> LoadConfig(const std::string& path) {
  return path.empty() ? depin::Result<Config>(depin::DefaultConfig()) : depin::LoadConfigFile(path);
}

// Waits for SIGINT/SIGTERM (returns) and runs SIGHUP reloads meanwhile.
// /-/quit sends SIGTERM to this process, so it ends here too.
void WaitForShutdown(const sigset_t& signals, depin::app::Reloader& reloader, Logger& log) {
  for (;;) {
    siginfo_t info{};
    int sig = sigwaitinfo(&signals, &info);
    if (sig < 0) continue;
    if (sig == SIGHUP) {
      (void)reloader.Reload("SIGHUP");  // logs and counts its own failure
      continue;
    }
    bool self = sig == SIGTERM && info.si_pid == getpid();
    log.Info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                               {"source", self ? "/-/quit" : "signal"}});
    return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto flags = depin::app::ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.ok()) {
    std::fprintf(stderr, "depin-sidecar: %s\n\n%s", flags.status().message().c_str(),
                 depin::app::Usage().c_str());
    return 2;
  }
  if (flags->help) {
    std::fputs(depin::app::Usage().c_str(), stdout);
    return 0;
  }
  if (flags->version) {
    std::printf("depin-sidecar, version %s\n", DEPIN_VERSION);
    return 0;
  }
  depin::LogLevel level;
  if (!depin::ParseLogLevel(flags->log_level, &level)) {
    std::fprintf(stderr, "depin-sidecar: invalid --log.level \"%s\"\n", flags->log_level.c_str());
    return 2;
  }
  Logger log(level);
  auto config = LoadConfig(flags->config_file);
  if (!config.ok()) {
    log.Error("invalid configuration", {{"err", config.status().message()}});
    return 1;
  }
  auto security = depin::server::LoadWebSecurity(flags->web_config_file);
  if (!security.ok()) {
    log.Error("invalid web configuration", {{"err", security.status().message()}});
    return 1;
  }
  if (flags->check_config) {
    std::printf("configuration is valid%s\n",
                flags->config_file.empty() ? " (built-in defaults)" : "");
    if (!flags->web_config_file.empty()) std::printf("web configuration is valid\n");
    return 0;
  }
  auto address = depin::cli::ParseHostPort(flags->listen_address);
  if (!address.ok()) {
    log.Error("invalid --web.listen-address", {{"err", address.status().message()}});
    return 2;
  }

  // Signals are taken by sigwait in main; blocked before any thread starts.
  sigset_t signals = depin::cli::BlockTerminationSignals(/*include_hup=*/true);

  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildGauge()
      .Name("depin_sidecar_build_info")
      .Help("Build information; value 1.")
      .Register(*registry)
      .Add({{"version", DEPIN_VERSION}})
      .Set(1);

  depin::route::Router router(config.value());
  depin::windows::WindowStore store(config->windows, config->limits);
  depin::ingest::Ingester ingester(config->limits, router, store, *registry);
  depin::exposition::MetricsCache cache;
  depin::evaluate::Evaluator evaluator(config.value(), store, cache, *registry, log);
  // Derived history (docs/storage.md): loaded before the first evaluation.
  depin::store::Store derived(
      {.retention_ms = flags->retention_ms, .retention_bytes = flags->retention_bytes},
      registry.get());
  auto loaded = derived.Load(flags->storage_path);
  if (!loaded.ok()) {
    log.Error("cannot read the derived-series store", {{"err", loaded.status().message()}});
    return 1;
  }
  if (!loaded->problem.empty()) {
    log.Warn("derived-series store damaged; recovered what is intact",
             {{"path", flags->storage_path},
              {"problem", loaded->problem},
              {"corrupt_records", std::to_string(loaded->corrupt_records)},
              {"truncated", loaded->truncated ? "true" : "false"},
              {"recovered_series", std::to_string(loaded->series)},
              {"recovered_samples", std::to_string(loaded->samples)}});
  } else if (loaded->found) {
    log.Info("derived-series store loaded", {{"path", flags->storage_path},
                                             {"series", std::to_string(loaded->series)},
                                             {"samples", std::to_string(loaded->samples)}});
  }
  depin::store::Checkpointer checkpointer(derived, flags->storage_path,
                                          flags->checkpoint_interval_ms, log);
  if (!checkpointer.SaveNow()) {
    // Serve anyway (the container images run from a read-only /), but say
    // loudly that the derived history will not survive a restart.
    log.Warn("--storage.path is not writable: derived history is kept in memory only",
             {{"path", flags->storage_path}});
  }
  evaluator.SetDerivedStore(&derived);
  // Restart without loss (docs/storage.md): the windows and the analytics'
  // memory from the checkpoint, then the write-ahead log after it.
  depin::durable::Durability durability(
      {.dir = flags->storage_path,
       .checkpoint_interval_ms = flags->checkpoint_interval_ms,
       .fsync = flags->wal_fsync,
       .audit_retention_ms = flags->audit_retention_ms},
      config.value(), store, ingester,
      {[&evaluator] { return evaluator.CopyState(); },
       [&evaluator](depin::analytics::AnalyticsState s) { evaluator.RestoreState(std::move(s)); }},
      *registry, log);
  if (auto recovered = durability.Recover(depin::NowMs()); !recovered.ok()) {
    log.Warn("no write-ahead log: samples received from now on are lost by a crash",
             {{"path", flags->storage_path}, {"err", recovered.status().message()}});
  }
  // Onward remote-write of the derived series (docs/forwarding.md).
  auto forwarder = depin::forward::Forwarder::Create(config->remote_write, flags->storage_path,
                                                     "depin-sidecar/" DEPIN_VERSION, *registry, log);
  if (!forwarder.ok()) {
    log.Error("cannot start remote write", {{"err", forwarder.status().message()}});
    return 1;
  }
  evaluator.AddListener(forwarder->get());
  depin::server::HttpServer server(
      {address.value(), config->limits.max_body_bytes, DEPIN_VERSION, flags->enable_lifecycle},
      security.value(), ingester, cache, *registry, log);
  server.SetWriteFunction([&durability](const depin::ingest::WriteInput& in, int64_t now_ms) {
    return durability.Write(in, now_ms);
  });
  if (auto st = server.Bind(); !st.ok()) {
    log.Error("cannot start", {{"err", st.message()}});
    return 1;
  }
  if (security.value()->auth.enabled() && !server.tls()) {
    log.Warn("basic auth without TLS: passwords cross the network in clear text",
             {{"web_config", flags->web_config_file}});
  }

  depin::app::Reloader reloader(*registry, log, depin::NowMs);
  reloader.AddSource("config", [&]() -> depin::Result<depin::app::Reloader::Apply> {
    auto next = LoadConfig(flags->config_file);
    if (!next.ok()) return next.status();
    return depin::app::Reloader::Apply([&evaluator, &log, c = std::move(next.value())] {
      evaluator.UpdateConfig(c);
      log.Info("analytics settings applied",
               {{"note",
                 "weights and thresholds apply now; contract, windows and limits at "
                 "restart"}});
    });
  });
  if (!flags->web_config_file.empty()) {
    reloader.AddSource("web config", [&]() -> depin::Result<depin::app::Reloader::Apply> {
      auto next = depin::server::LoadWebSecurity(flags->web_config_file);
      if (!next.ok()) return next.status();
      DEPIN_RETURN_IF_ERROR(server.CheckSecurity(*next.value()));
      return depin::app::Reloader::Apply([&server, s = next.value()] { server.SetSecurity(s); });
    });
  }
  reloader.MarkLoaded();
  server.SetLifecycleHandlers(
      {[&reloader] { return reloader.Reload("/-/reload"); }, [] { kill(getpid(), SIGTERM); }});
  // Live events (docs/api.md): mounted before the API, whose pattern also
  // matches /api/v1/events. The pump polls the evaluator, never the reverse.
  depin::web::EventBroker events({.history = 1024, .client_queue = 256, .max_clients = 16});
  depin::web::EventPump event_pump(
      events, [&evaluator] { return evaluator.Latest(); },
      [&evaluator] { return evaluator.AuditRecords(""); }, std::chrono::seconds(1));
  server.MountStream(
      "/api/v1/events",
      [&events, &log](const depin::PlainRequest& req, const std::string& last_event_id) {
        return depin::web::OpenEventStream(events, req, last_event_id, log,
                                           std::chrono::seconds(15));
      },
      events.options().max_clients);
  // The built-in page and its assets (docs/web-ui.md), behind the same auth.
  server.MountWithHeaders(R"(/ui(/.*)?)", &depin::web::ServeUi);
  // Derived history for people and scripts (docs/query.md), mounted before
  // the API whose pattern also matches /api/v1/history.
  depin::query::HistoryHandler history(
      derived,
      {.limits = {.max_series = flags->query_max_series,
                  .max_points = flags->query_max_points,
                  .max_samples = flags->query_max_samples,
                  .max_range_ms = flags->read_max_range_ms},
       .defaults = {.lookback_ms = flags->query_lookback_ms}},
      depin::NowMs);
  server.Mount(std::string(depin::query::HistoryHandler::kPath),
               [&history](const depin::PlainRequest& req) { return history.Handle(req); });
  // Reports (docs/reports.md): on demand, mounted before the API whose
  // pattern also matches /api/v1/reports; written on a schedule when enabled.
  const depin::report::ReportSources report_sources{
      [&evaluator] { return evaluator.Latest(); },
      [&evaluator] { return evaluator.AuditRecords(""); }, &derived};
  depin::report::ReportHandler report_handler(report_sources, config->reports.period_ms,
                                              config->reports.max_period_ms);
  server.Mount("/api/v1/reports", [&report_handler](const depin::PlainRequest& req) {
    return report_handler.Handle(req);
  });
  std::unique_ptr<depin::report::ReportScheduler> report_scheduler;
  if (config->reports.enabled) {
    const std::string dir = config->reports.directory.empty()
                                ? (std::filesystem::path(flags->storage_path) / "reports").string()
                                : config->reports.directory;
    report_scheduler = std::make_unique<depin::report::ReportScheduler>(
        depin::report::ScheduleOptions{config->reports.interval_ms, config->reports.period_ms, dir,
                                       config->reports.keep},
        report_sources, *registry, log);
  }
  server.Mount("/api/v1/status/windows", [&store](const depin::PlainRequest& req) {
    return depin::durable::WindowsStatus(store, req, depin::NowMs());
  });
  depin::api::ApiRouter api(
      {[&evaluator] { return evaluator.Latest(); },
       [&evaluator](std::string_view provider) { return evaluator.AuditRecords(provider); }},
      depin::api::RouterLimits{});
  server.Mount(R"(/api/v1/(?!write$|read$).*)",
               [&api](const depin::PlainRequest& req) { return api.Handle(req); });
  depin::read::ReadLimits read_limits;
  read_limits.max_decompressed_bytes = config->limits.max_body_bytes;
  read_limits.max_samples = flags->read_sample_limit;
  read_limits.max_series = flags->read_series_limit;
  read_limits.max_range_ms = flags->read_max_range_ms;
  server.MountWithHeaders("/api/v1/read", [&derived, read_limits](const depin::PlainRequest& req) {
    depin::read::ReadOutcome out =
        depin::read::HandleRead({req.method, req.body}, derived, read_limits);
    return depin::server::HttpServer::HeaderedResponse{out.status, std::move(out.headers),
                                                       std::move(out.body)};
  });
  forwarder.value()->Start();
  evaluator.Start();
  event_pump.Start();
  if (report_scheduler) report_scheduler->Start();
  checkpointer.Start();
  durability.Start();
  std::thread http([&server] { server.Serve(); });
  log.Info("depin-sidecar started",
           {{"version", DEPIN_VERSION},
            {"address", depin::cli::JoinHostPort(address->host, server.bound_port())},
            {"config", flags->config_file.empty() ? "built-in defaults" : flags->config_file},
            {"tls", server.tls() ? "true" : "false"},
            {"basic_auth", security.value()->auth.enabled() ? "true" : "false"},
            {"lifecycle", flags->enable_lifecycle ? "true" : "false"}});

  WaitForShutdown(signals, reloader, log);
  events.Shutdown();  // ends the open event streams
  server.Stop();
  http.join();
  if (report_scheduler) report_scheduler->Stop();
  event_pump.Stop();
  evaluator.Stop();
  forwarder.value()->Stop();  // unsent batches stay in the disk buffer
  checkpointer.Stop();  // the last evaluation is in the file
  durability.Stop();    // so are the windows and the analytics' memory
  log.Info("stopped");
  return 0;
}
