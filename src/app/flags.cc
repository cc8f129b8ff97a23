#include "app/flags.h"

namespace depin::app {

std::string Usage() {
  return R"(usage: depin-sidecar [<flags>]

A Prometheus sidecar that turns remote-written DePIN provider metrics into
derived series: performance and reputation scores, ranks and tiers.

Flags:
  --config.file=PATH           YAML configuration merged over the built-in
                               defaults (config/default.yml). Default: none.
  --web.listen-address=ADDR    Address to listen on. Default: 0.0.0.0:9470
  --log.level=LEVEL            debug, info, warn or error. Default: info
  --check-config               Validate the configuration and exit (0 = valid).
  --help                       Show this help.
  --version                    Show the version.

Endpoints: POST /api/v1/write (remote-write 1.0), GET /metrics,
GET /-/healthy, GET /-/ready.
)";
}

Result<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg.rfind("--", 0) != 0)
      return Status::InvalidArgument("unexpected argument \"" + arg + "\"");
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "help" || name == "version" || name == "check-config") {
      if (has_value) return Status::InvalidArgument("flag --" + name + " takes no value");
      (name == "help" ? f.help : name == "version" ? f.version : f.check_config) = true;
      continue;
    }
    std::string* target = nullptr;
    if (name == "config.file")
      target = &f.config_file;
    else if (name == "web.listen-address")
      target = &f.listen_address;
    else if (name == "log.level")
      target = &f.log_level;
    else
      return Status::InvalidArgument("unknown flag --" + name);
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::InvalidArgument("flag --" + name + " needs a value");
      value = args[++i];
    }
    *target = value;
  }
  return f;
}

}  // namespace depin::app
