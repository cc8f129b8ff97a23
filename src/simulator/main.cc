// depin-simulator: serves a simulated fleet of GPU providers as Prometheus
// scrape targets, with http_sd discovery and the fleet's ground truth.
// Thin on purpose: flags, the wall clock and HTTP; the model is in fleet.h.
#include <httplib.h>
#include <pthread.h>
#include <sys/socket.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/cli.h"
#include "common/logger.h"
#include "simulator/exposition.h"
#include "simulator/fleet.h"

#ifndef DEPIN_VERSION
#define DEPIN_VERSION "unknown"
#endif

namespace depin::sim {
namespace {

constexpr std::string_view kUsageHeader = R"(usage: depin-simulator [<flags>]

Serves a simulated fleet of DePIN GPU providers as Prometheus scrape targets,
with known ground truth (docs/simulator.md).

)";
constexpr std::string_view kUsageFooter =
    "\nEndpoints: /sd, /providers/<id>/metrics, /metrics, /truth, /-/healthy\n";

struct Flags {
  std::string listen_address = "127.0.0.1:9500";
  std::string external_address;
  std::string config_file;
  std::optional<int> providers;
  std::optional<uint64_t> seed;
  std::optional<double> time_scale;
  std::string log_level = "info";
  bool help = false;
  bool version = false;
};

template <typename T>
bool ParseNumber(const std::string& text, T* out) {
  try {
    size_t used = 0;
    if constexpr (std::is_same_v<T, double>) {
      *out = std::stod(text, &used);
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      if (!text.empty() && text[0] == '-') return false;
      *out = std::stoull(text, &used);
    } else {
      *out = static_cast<T>(std::stoll(text, &used));
    }
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

// Stores a parsed number into an optional flag value.
template <typename T>
std::function<Status(const std::string&)> NumberFlag(std::optional<T>* target, const char* what,
                                                     T min, T max) {
  return [=](const std::string& value) {
    T v{};
    if (!ParseNumber(value, &v) || v < min || v > max) return Status::InvalidArgument(what);
    *target = v;
    return Status::Ok();
  };
}

cli::FlagSet MakeFlagSet(Flags* f) {
  cli::FlagSet set;
  set.String("web.listen-address", "127.0.0.1:9500",
             "Address to listen on (port 0: any free port).", &f->listen_address);
  set.String("web.external-address", "HOST:PORT",
             "Target address written into /sd (default: the listen address, or the request's "
             "Host header when listening on a wildcard address).",
             &f->external_address);
  set.String("config.file", "PATH",
             "Fleet YAML (default: built-in fleet of 6 providers, qualities 0.97 .. 0.30).",
             &f->config_file);
  set.Value("providers", "N",
            "Replace the fleet's providers by N generated ones (qualities 0.97 .. 0.30).",
            NumberFlag<int>(&f->providers, "must be 1..100000", 1, 100'000));
  set.Value("seed", "N", "Random seed (overrides the config's).",
            NumberFlag<uint64_t>(&f->seed, "must be a non-negative integer", 0,
                                 std::numeric_limits<uint64_t>::max()));
  set.Value("time-scale", "X", "Simulated seconds per wall-clock second.",
            NumberFlag<double>(&f->time_scale, "must be a positive number", 1e-9, 1e9));
  set.String("log.level", "LEVEL", "debug, info, warn or error. Default: info", &f->log_level);
  set.Bool("help", "Show this help.", &f->help);
  set.Bool("version", "Show the version.", &f->version);
  return set;
}

bool IsWildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

Result<FleetConfig> BuildFleetConfig(const Flags& flags) {
  FleetConfig config = DefaultFleet();
  if (!flags.config_file.empty()) {
    auto loaded = LoadFleetFile(flags.config_file);
    if (!loaded.ok()) return loaded.status();
    config = std::move(loaded.value());
  }
  if (flags.providers) config.providers = GenerateProviders(*flags.providers, 0.97, 0.30);
  if (flags.seed) config.seed = *flags.seed;
  if (flags.time_scale) config.time_scale = *flags.time_scale;
  if (Status st = ValidateFleet(config); !st.ok()) return st;
  return config;
}

// The fleet on the wall clock. Every request advances the model lazily to
// "now" under one mutex, so concurrent scrapes see one consistent history.
class LiveFleet {
 public:
  explicit LiveFleet(Fleet fleet)
      : fleet_(std::move(fleet)), start_(std::chrono::steady_clock::now()) {}

  struct Page {
    int status = 200;
    std::string body;
  };

  Page ProviderPage(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    Sync();
    auto i = fleet_.Find(id);
    if (!i) return {404, "unknown provider \"" + id + "\"\n"};
    // A planted outage answers 503 so Prometheus records up == 0.
    if (!fleet_.IsUpAt(*i, fleet_.now_ms())) return {503, "provider in planned outage\n"};
    ++scrapes_;
    return {200, RenderProviderMetrics(fleet_, *i)};
  }

  std::string FleetPage() {
    std::lock_guard<std::mutex> lock(mu_);
    Sync();
    std::vector<size_t> up;
    for (size_t i = 0; i < fleet_.size(); ++i) {
      if (fleet_.IsUpAt(i, fleet_.now_ms())) up.push_back(i);
    }
    ++scrapes_;
    return RenderFleetMetrics(fleet_, up) + RenderSelfMetrics(scrapes_);
  }

  std::string Truth() {
    std::lock_guard<std::mutex> lock(mu_);
    Sync();
    const double unix_now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    return RenderTruthJson(fleet_, unix_now);
  }

  std::string Discovery(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu_);
    return RenderServiceDiscovery(fleet_, target);
  }

 private:
  void Sync() {
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
    fleet_.AdvanceTo(static_cast<int64_t>(ms * fleet_.config().time_scale));
  }

  std::mutex mu_;
  Fleet fleet_;
  std::chrono::steady_clock::time_point start_;
  uint64_t scrapes_ = 0;
};

void Route(httplib::Server& svr, LiveFleet& live, const cli::HostPort& bound,
           const std::string& external) {
  svr.Get("/-/healthy", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("OK\n", "text/plain");
  });
  svr.Get("/metrics", [&live](const httplib::Request&, httplib::Response& res) {
    res.set_content(live.FleetPage(), std::string(kTextContentType));
  });
  svr.Get(R"(/providers/([^/]+)/metrics)",
          [&live](const httplib::Request& req, httplib::Response& res) {
            LiveFleet::Page page = live.ProviderPage(req.matches[1]);
            res.status = page.status;
            res.set_content(page.body, page.status == 200 ? std::string(kTextContentType).c_str()
                                                          : "text/plain");
          });
  svr.Get("/truth", [&live](const httplib::Request&, httplib::Response& res) {
    res.set_content(live.Truth(), "application/json");
  });
  svr.Get("/sd", [&live, bound, external](const httplib::Request& req, httplib::Response& res) {
    // On a wildcard address the only name known to reach us is the one the
    // caller (Prometheus) used.
    std::string target = external;
    if (target.empty()) {
      target = IsWildcard(bound.host) && req.has_header("Host")
                   ? req.get_header_value("Host")
                   : cli::JoinHostPort(bound.host, bound.port);
    }
    res.set_content(live.Discovery(target), "application/json");
  });
}

int Run(int argc, char** argv) {
  Flags flags;
  Logger log;
  if (Status st = MakeFlagSet(&flags).Parse(std::vector<std::string>(argv + 1, argv + argc));
      !st.ok()) {
    log.Error("bad flags", {{"err", st.message()}});
    std::fputs("run with --help for usage\n", stderr);
    return 1;
  }
  if (flags.help) {
    Flags unused;
    std::printf("%s%s%s", std::string(kUsageHeader).c_str(), MakeFlagSet(&unused).Help().c_str(),
                std::string(kUsageFooter).c_str());
    return 0;
  }
  if (flags.version) {
    std::printf("depin-simulator, version %s\n", DEPIN_VERSION);
    return 0;
  }
  LogLevel level;
  if (!ParseLogLevel(flags.log_level, &level)) {
    log.Error("bad flags", {{"err", "--log.level must be debug, info, warn or error"}});
    return 1;
  }
  log.set_level(level);
  auto hp = cli::ParseHostPort(flags.listen_address);
  if (!hp.ok()) {
    log.Error("bad flags", {{"err", "--web.listen-address: " + hp.status().message()}});
    return 1;
  }
  auto config = BuildFleetConfig(flags);
  if (!config.ok()) {
    log.Error("bad fleet config", {{"err", config.status().message()}});
    return 1;
  }
  auto fleet = Fleet::Create(config.value());
  if (!fleet.ok()) {
    log.Error("bad fleet config", {{"err", fleet.status().message()}});
    return 1;
  }

  // Signals are taken by sigwait in this thread; blocked before the server
  // starts its workers so none of those receives them.
  sigset_t stop_signals = cli::BlockTerminationSignals(/*include_hup=*/false);

  LiveFleet live(std::move(fleet.value()));
  httplib::Server svr;
  svr.set_socket_options(cli::SetListenSocketOptions);
  if (hp->port == 0) {
    hp->port = svr.bind_to_any_port(hp->host);
    if (hp->port <= 0) hp->port = -1;
  } else if (!svr.bind_to_port(hp->host, hp->port)) {
    hp->port = -1;
  }
  if (hp->port < 0) {
    log.Error("cannot listen", {{"address", flags.listen_address},
                                {"err", "bind failed (address in use or not available)"}});
    return 1;
  }
  Route(svr, live, *hp, flags.external_address);
  std::thread server([&svr] { svr.listen_after_bind(); });
  log.Info("listening", {{"address", cli::JoinHostPort(hp->host, hp->port)},
                         {"providers", std::to_string(config->providers.size())},
                         {"seed", std::to_string(config->seed)},
                         {"time_scale", FormatValue(config->time_scale)},
                         {"version", DEPIN_VERSION}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log.Info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  svr.stop();
  server.join();
  return 0;
}

}  // namespace
}  // namespace depin::sim

int main(int argc, char** argv) { return depin::sim::Run(argc, argv); }
