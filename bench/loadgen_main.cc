// depin-loadgen: replays remote-write 1.0 traffic of a simulated DePIN fleet
// to one URL at a fixed rate or as fast as the receiver answers, for a bounded
// time and/or number of requests, and reports what happened as JSON.
// Payloads are built (or loaded from --payload-cache) before the clock starts.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/cli.h"
#include "loadgen_sender.h"
#include "loadgen_traffic.h"

namespace depin::loadgen {
namespace {

constexpr std::string_view kUsage = R"(usage: depin-loadgen --url=<url> [<flags>]

Sends a simulated DePIN fleet's remote-write 1.0 traffic (as Prometheus 2.42
scraping DePIN, DCGM and node exporters sends it) to <url> and prints a JSON
report: requests, samples sent/accepted, status counts, latency quantiles,
achieved rate. See docs/benchmarks.md.

)";

// Samples one provider's three targets send per scrape when all are up
// (8 GPUs, 4 CPUs in the fleet model); sizes --scrapes=0.
constexpr int kSamplesPerProvider = 140;

struct Flags {
  std::string url;
  TrafficOptions traffic;
  SendOptions send;
  std::string start_ms;  // empty: the last scrape lands at the current time
  std::string payload_cache;
  std::string output;
  bool build_only = false;
  bool help = false;
};

template <typename T>
std::function<Status(const std::string&)> Number(T* target) {
  return [target](const std::string& text) -> Status {
    try {
      size_t used = 0;
      double v = std::stod(text, &used);
      if (used != text.size() || !std::isfinite(v) || v < 0) {
        return Status::InvalidArgument("expected a non-negative number, got " + text);
      }
      *target = static_cast<T>(v);
      return Status::Ok();
    } catch (...) {
      return Status::InvalidArgument("expected a number, got " + text);
    }
  };
}

// The key a cached payload must match to be reused.
std::string CacheKey(const TrafficOptions& o) {
  std::ostringstream k;
  k << "depin-loadgen-v1 providers=" << o.providers << " seed=" << o.seed << " shards=" << o.shards
    << " batch=" << o.max_samples_per_send << " interval=" << o.scrape_interval_ms
    << " start=" << o.start_ms << " first=" << o.first_scrape << " scrapes=" << o.scrapes;
  return k.str();
}

template <typename T>
void Put(std::ostream& out, T v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
bool Get(std::istream& in, T* v) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(v), sizeof *v));
}

Status SaveTraffic(const std::string& path, const std::string& key, const Traffic& t) {
  std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
  out << key << '\n';
  Put<int64_t>(out, t.samples_per_scrape);
  Put<uint64_t>(out, t.shards.size());
  for (const auto& shard : t.shards) {
    Put<uint64_t>(out, shard.size());
    for (const auto& r : shard) {
      Put<int32_t>(out, r.samples);
      Put<uint64_t>(out, r.body.size());
      out.write(r.body.data(), static_cast<std::streamsize>(r.body.size()));
    }
  }
  out.close();
  if (!out) return Status::Internal("cannot write " + path);
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return Status::Internal("cannot rename to " + path);
  }
  return Status::Ok();
}

// The cached traffic when the file exists and was built with the same key.
std::optional<Traffic> LoadTraffic(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || line != key) return std::nullopt;
  Traffic t;
  uint64_t shards = 0;
  if (!Get(in, &t.samples_per_scrape) || !Get(in, &shards)) return std::nullopt;
  t.shards.resize(shards);
  for (auto& shard : t.shards) {
    uint64_t n = 0;
    if (!Get(in, &n)) return std::nullopt;
    shard.resize(n);
    for (auto& r : shard) {
      uint64_t size = 0;
      if (!Get(in, &r.samples) || !Get(in, &size)) return std::nullopt;
      r.body.resize(size);
      if (!in.read(r.body.data(), static_cast<std::streamsize>(size))) return std::nullopt;
      t.samples += r.samples;
      t.bytes += static_cast<int64_t>(size);
      t.fingerprint = Fingerprint(t.fingerprint, r.body);
    }
  }
  return t;
}

nlohmann::json Report(const Flags& f, const Traffic& t, double build_s, bool cached,
                      const SendReport& r) {
  auto ms = [](const std::vector<double>& v) {
    return nlohmann::json{{"p50", Quantile(v, 0.5)},
                          {"p90", Quantile(v, 0.9)},
                          {"p99", Quantile(v, 0.99)},
                          {"max", v.empty() ? 0 : v.back()}};
  };
  char fingerprint[17];
  std::snprintf(fingerprint, sizeof fingerprint, "%016llx",
                static_cast<unsigned long long>(t.fingerprint));
  const double elapsed = r.elapsed_s > 0 ? r.elapsed_s : 1e-9;
  nlohmann::json j = {
      {"url", f.url},
      {"providers", f.traffic.providers},
      {"connections", f.traffic.shards},
      {"max_samples_per_send", f.traffic.max_samples_per_send},
      {"target_rate", f.send.rate},
      {"duration_limit_s", f.send.duration_s},
      {"payload",
       {{"first_scrape", f.traffic.first_scrape},
        {"scrapes", f.traffic.scrapes},
        {"start_ms", f.traffic.start_ms},
        {"samples_per_scrape", t.samples_per_scrape},
        {"requests",
         [&t] {
           size_t n = 0;
           for (const auto& s : t.shards) n += s.size();
           return n;
         }()},
        {"samples", t.samples},
        {"bytes", t.bytes},
        {"fingerprint", fingerprint},
        {"build_seconds", build_s},
        {"from_cache", cached}}},
      {"requests", r.requests},
      {"samples_sent", r.samples_sent},
      {"samples_accepted", r.samples_accepted},
      {"status",
       {{"2xx", r.status_2xx},
        {"4xx", r.status_4xx},
        {"429", r.status_429},
        {"503", r.status_503},
        {"5xx", r.status_5xx},
        {"transport_errors", r.transport_errors}}},
      {"first_error", r.first_error},
      {"latency_ms", ms(r.latency_ms)},
      {"schedule_lag_ms", ms(r.lag_ms)},
      {"elapsed_s", r.elapsed_s},
      {"achieved_rate", static_cast<double>(r.samples_sent) / elapsed},
      {"accepted_rate", static_cast<double>(r.samples_accepted) / elapsed},
      {"payload_exhausted", r.payload_exhausted},
  };
  return j;
}

int Run(const std::vector<std::string>& args) {
  Flags f;
  cli::FlagSet flags;
  flags.String("url", "<url>", "Remote-write endpoint, e.g. http://127.0.0.1:9470/api/v1/write.",
               &f.url);
  flags.Value("providers", "<n>", "Providers in the fleet (1..100000; default 10000).",
              Number(&f.traffic.providers));
  flags.Value("seed", "<n>", "Fleet model seed (default 42).", Number(&f.traffic.seed));
  flags.Value("concurrency", "<n>",
              "Connections, one per queue shard; the payload depends on it (default 1).",
              Number(&f.traffic.shards));
  flags.Value("max-samples-per-send", "<n>", "Samples per request (default 2000).",
              Number(&f.traffic.max_samples_per_send));
  flags.Value("scrape-interval-ms", "<ms>", "Simulated scrape interval (default 15000).",
              Number(&f.traffic.scrape_interval_ms));
  flags.String("start-ms", "<unix ms>",
               "Timestamp of scrape 0; give the same value to every run that must send "
               "identical payloads (default: the last scrape lands at now).",
               &f.start_ms);
  flags.Value("first-scrape", "<n>",
              "First scrape to send; earlier ones only advance the model (default 0).",
              Number(&f.traffic.first_scrape));
  flags.Value("scrapes", "<n>",
              "Scrapes to encode; 0 sizes them to --rate x --duration, or 1 without a rate "
              "(default 0).",
              Number(&f.traffic.scrapes));
  flags.Value("rate", "<samples/s>", "Fixed send rate; 0 sends as fast as answered (default 0).",
              Number(&f.send.rate));
  flags.Value("duration", "<s>", "Stop sending after this many seconds; 0: no limit (default 0).",
              Number(&f.send.duration_s));
  flags.Value("max-requests", "<n>", "Stop after this many requests; 0: no limit (default 0).",
              Number(&f.send.max_requests));
  flags.Value("timeout", "<s>", "Per-request timeout (default 30).", Number(&f.send.timeout_s));
  flags.String("payload-cache", "<file>",
               "Reuse the payload stored here when built with the same options; store it "
               "otherwise.",
               &f.payload_cache);
  flags.String("output", "<file>", "Write the JSON report here instead of stdout.", &f.output);
  flags.Bool("build-only", "Build (and store with --payload-cache) the payload, send nothing.",
             &f.build_only);
  flags.Bool("help", "Show this help.", &f.help);
  f.traffic.scrapes = 0;
  if (Status s = flags.Parse(args); !s.ok()) {
    std::cerr << "depin-loadgen: " << s.message() << "\n";
    return 2;
  }
  if (f.help) {
    std::cout << kUsage << flags.Help();
    return 0;
  }
  if (f.traffic.providers < 1 || f.traffic.providers > 100'000) {
    std::cerr << "depin-loadgen: --providers must be 1..100000\n";
    return 2;
  }
  Result<Endpoint> endpoint = ParseUrl(f.url);
  if (!endpoint.ok()) {
    std::cerr << "depin-loadgen: --url: " << endpoint.status().message() << "\n";
    return 2;
  }
  if (f.traffic.scrapes == 0) {
    const double per_scrape = static_cast<double>(kSamplesPerProvider) * f.traffic.providers;
    f.traffic.scrapes =
        f.send.rate > 0 && f.send.duration_s > 0
            ? static_cast<int>(std::ceil(f.send.rate * f.send.duration_s / per_scrape))
            : 1;
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  if (f.start_ms.empty()) {
    f.traffic.start_ms =
        now_ms - (f.traffic.first_scrape + f.traffic.scrapes) * f.traffic.scrape_interval_ms;
  } else {
    try {
      f.traffic.start_ms = std::stoll(f.start_ms);
    } catch (...) {
      std::cerr << "depin-loadgen: --start-ms: not an integer\n";
      return 2;
    }
  }

  const auto build_start = std::chrono::steady_clock::now();
  const std::string key = CacheKey(f.traffic);
  std::optional<Traffic> traffic;
  bool cached = false;
  if (!f.payload_cache.empty()) {
    traffic = LoadTraffic(f.payload_cache, key);
    cached = traffic.has_value();
  }
  if (!traffic) {
    Result<Traffic> built = BuildTraffic(f.traffic);
    if (!built.ok()) {
      std::cerr << "depin-loadgen: " << built.status().message() << "\n";
      return 2;
    }
    traffic = std::move(built.value());
    if (!f.payload_cache.empty()) {
      if (Status s = SaveTraffic(f.payload_cache, key, *traffic); !s.ok()) {
        std::cerr << "depin-loadgen: " << s.message() << "\n";
        return 1;
      }
    }
  }
  const double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();

  if (f.build_only) {
    std::cout << nlohmann::json{{"samples", traffic->samples},
                                {"bytes", traffic->bytes},
                                {"build_seconds", build_s},
                                {"from_cache", cached}}
                     .dump()
              << "\n";
    return 0;
  }
  // A driver measuring the receiver's CPU starts its clock on this line.
  std::cerr << "depin-loadgen: sending" << std::endl;
  const SendReport report = Send(*traffic, endpoint.value(), f.send);
  const std::string json = Report(f, *traffic, build_s, cached, report).dump(2) + "\n";
  if (f.output.empty()) {
    std::cout << json;
  } else {
    std::ofstream out(f.output);
    out << json;
    if (!out) {
      std::cerr << "depin-loadgen: cannot write " << f.output << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace depin::loadgen

int main(int argc, char** argv) {
  return depin::loadgen::Run(std::vector<std::string>(argv + 1, argv + argc));
}
