#include "app/flags.h"

#include "common/cli.h"

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
         "\nEndpoints: POST /api/v1/write (remote-write 1.0), GET /metrics,\n"
         "GET /-/healthy, GET /-/ready; POST /-/reload and /-/quit with\n"
         "--web.enable-lifecycle. SIGHUP reloads --config.file and --web.config.file,\n"
         "SIGTERM stops.\n";
}

Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  Status st = MakeFlagSet(&f).Parse(args);
  if (!st.ok()) return st;
  return f;
}

}  // namespace depin::app
