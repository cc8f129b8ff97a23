// Ingest and evaluation benchmarks. The "floor" is snappy decompression plus
// protobuf parsing of the same payload: what any receiver must pay.
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>
#include <prometheus/registry.h>
#include <snappy.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "analytics/scoreboard.h"
#include "config/config.h"
#include "evaluate/evaluator.h"
#include "export/metrics_cache.h"
#include "export/render.h"
#include "ingest/decode.h"
#include "ingest/ingester.h"
#include "ingest/write_view.h"
#include "payload.h"
#include "server/http_server.h"
#include "server/web_security.h"

namespace depin::bench {
namespace {

constexpr int kScrapes = 32;

struct Payloads {
  std::vector<std::string> bodies;
  int64_t samples_per_body = 0;
};

const Payloads& GetPayloads(int providers) {
  static std::map<int, Payloads> cache;
  auto it = cache.find(providers);
  if (it != cache.end()) return it->second;
  Payloads p;
  PayloadOptions o;
  o.providers = providers;
  for (int s = 0; s < kScrapes; ++s) {
    auto req = MakeRequest(o, s);
    p.samples_per_body = CountSamples(req);
    p.bodies.push_back(Compress(req));
  }
  return cache.emplace(providers, std::move(p)).first->second;
}

Config BenchConfig() {
  Config c = DefaultConfig();
  c.windows.step_ms = 15'000;
  c.windows.length_ms = 3'600'000;
  c.limits.max_decompressed_bytes = 1LL << 30;
  c.limits.max_body_bytes = 1LL << 30;
  c.limits.max_series_per_request = 10'000'000;
  c.limits.max_providers = 1'000'000;
  return c;
}

void BM_DecodeFloor(benchmark::State& state) {
  const Payloads& p = GetPayloads(static_cast<int>(state.range(0)));
  std::string raw;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& body = p.bodies[i++ % p.bodies.size()];
    size_t n = 0;
    snappy::GetUncompressedLength(body.data(), body.size(), &n);
    raw.resize(n);
    snappy::RawUncompress(body.data(), body.size(), raw.data());
    google::protobuf::Arena arena;
    auto* req = google::protobuf::Arena::CreateMessage<prometheus::WriteRequest>(&arena);
    benchmark::DoNotOptimize(req->ParseFromString(raw));
  }
  state.SetItemsProcessed(state.iterations() * p.samples_per_body);
}

// The same floor with the sidecar's own wire reader (string_views into the
// decompressed buffer) in place of libprotobuf.
void BM_DecodeFloorView(benchmark::State& state) {
  const Payloads& p = GetPayloads(static_cast<int>(state.range(0)));
  std::string raw;
  ingest::WriteRequestView view;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& body = p.bodies[i++ % p.bodies.size()];
    benchmark::DoNotOptimize(ingest::DecompressSnappy(body, 1LL << 30, &raw).ok());
    benchmark::DoNotOptimize(ingest::ParseWriteRequestView(raw, &view).ok());
  }
  state.SetItemsProcessed(state.iterations() * p.samples_per_body);
}

void BM_IngestPath(benchmark::State& state) {
  const Payloads& p = GetPayloads(static_cast<int>(state.range(0)));
  Config c = BenchConfig();
  route::Router router(c);
  prometheus::Registry registry;
  auto store = std::make_unique<windows::WindowStore>(c.windows, c.limits);
  auto ingester = std::make_unique<ingest::Ingester>(c.limits, router, *store, registry);
  size_t i = 0;
  for (auto _ : state) {
    if (i > 0 && i % p.bodies.size() == 0) {  // timestamps would repeat: start a fresh store
      state.PauseTiming();
      ingester.reset();
      store = std::make_unique<windows::WindowStore>(c.windows, c.limits);
      ingester = std::make_unique<ingest::Ingester>(c.limits, router, *store, registry);
      state.ResumeTiming();
    }
    const std::string& body = p.bodies[i++ % p.bodies.size()];
    auto out =
        ingester->Write({"application/x-protobuf", "snappy", body}, 1'700'000'000'000 + 3'600'000);
    if (out.http_status != 204) state.SkipWithError(out.message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * p.samples_per_body);
}

// A store holding every scrape of the benchmark payload for `providers`.
struct FilledStore {
  explicit FilledStore(int providers)
      : config(BenchConfig()), router(config), store(config.windows, config.limits) {
    ingest::Ingester ingester(config.limits, router, store, registry);
    for (const auto& body : GetPayloads(providers).bodies) {
      ingester.Write({"application/x-protobuf", "snappy", body}, 1'700'000'000'000 + 3'600'000);
    }
  }
  static constexpr int64_t kNow = 1'700'000'000'000 + int64_t{kScrapes} * 15'000;
  Config config;
  route::Router router;
  prometheus::Registry registry;
  windows::WindowStore store;
};

// The evaluator's copy of the windows: into a fresh vector (range(1) == 0)
// or into the previous cycle's, as the evaluator does (1).
void BM_Snapshot(benchmark::State& state) {
  FilledStore filled(static_cast<int>(state.range(0)));
  const bool reuse = state.range(1) != 0;
  std::vector<windows::ProviderView> views;
  for (auto _ : state) {
    if (!reuse) views = {};
    filled.store.Snapshot(FilledStore::kNow, &views);
    benchmark::DoNotOptimize(views.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The analytics alone over one snapshot, with their state carried from one
// cycle to the next as the evaluator carries it: the "analytics" phase.
void BM_ComputeScoreboard(benchmark::State& state) {
  const int providers = static_cast<int>(state.range(0));
  FilledStore filled(providers);
  std::vector<windows::ProviderView> views;
  filled.store.Snapshot(FilledStore::kNow, &views);
  analytics::AnalyticsState analytics_state(filled.config);
  for (auto _ : state) {
    auto board =
        analytics::ComputeScoreboard(views, filled.config, FilledStore::kNow, analytics_state);
    benchmark::DoNotOptimize(board.providers.data());
  }
  // Seconds of analytics per provider per cycle: the budget is 10 us.
  state.counters["per_provider"] = benchmark::Counter(
      providers, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_EvaluateAndRender(benchmark::State& state) {
  const int providers = static_cast<int>(state.range(0));
  FilledStore filled(providers);
  const Config& c = filled.config;
  windows::WindowStore& store = filled.store;
  prometheus::Registry& registry = filled.registry;
  exposition::MetricsCache cache;
  Logger log(LogLevel::kError);
  evaluate::Evaluator evaluator(c, store, cache, registry, log);
  for (auto _ : state) evaluator.EvaluateOnce(FilledStore::kNow);
  state.counters["providers"] = providers;
  // The last evaluation's phases, from the evaluator's own self-metric.
  for (const auto& family : registry.Collect()) {
    if (family.name != "depin_sidecar_evaluation_phase_duration_seconds") continue;
    for (const auto& m : family.metric) {
      state.counters[m.label.at(0).value + "_ms"] = m.gauge.value * 1000;
    }
  }
  state.counters["metrics_bytes"] = static_cast<double>(cache.Get()->size());
  state.counters["window_bytes_per_provider"] =
      static_cast<double>(store.window_bytes()) / providers;
  // Recent samples kept per cumulative series for out-of-order placement.
  state.counters["late_state_bytes_per_provider"] =
      static_cast<double>(store.recent_sample_bytes()) / providers;
}

// The scoreboard of a real evaluation of 1000 providers, replicated under
// new provider ids to `providers`: how the /metrics benchmarks reach fleets
// too large to hold in the windows here (100k providers need ~17 GB).
analytics::Scoreboard ReplicatedScoreboard(int providers) {
  constexpr int kEvaluated = 1000;
  analytics::Scoreboard board;
  {
    FilledStore filled(kEvaluated);
    exposition::MetricsCache cache;
    Logger log(LogLevel::kError);
    evaluate::Evaluator evaluator(filled.config, filled.store, cache, filled.registry, log);
    evaluator.EvaluateOnce(FilledStore::kNow);
    board = evaluator.Latest()->board;
  }
  const std::vector<analytics::ProviderScore> evaluated = std::move(board.providers);
  board.providers.clear();
  board.providers.reserve(static_cast<size_t>(providers));
  for (int i = 0; board.providers.size() < static_cast<size_t>(providers); ++i) {
    const analytics::ProviderScore& from = evaluated[static_cast<size_t>(i) % evaluated.size()];
    board.providers.push_back(from);
    board.providers.back().facts.id = from.facts.id + "-r" + std::to_string(i / kEvaluated);
  }
  board.scored = static_cast<int>(std::count_if(
      board.providers.begin(), board.providers.end(),
      [](const analytics::ProviderScore& p) { return p.reputation.score.has_value(); }));
  return board;
}

// Rendering the derived /metrics body, as the evaluator does every cycle.
void BM_RenderScoreboard(benchmark::State& state) {
  const int providers = static_cast<int>(state.range(0));
  const analytics::Scoreboard board = ReplicatedScoreboard(providers);
  size_t bytes = 0;
  std::string body;
  for (auto _ : state) {
    // The evaluator hands the previous body back once no scrape holds it.
    body = exposition::RenderScoreboard(board, std::move(body));
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["providers"] = providers;
  state.counters["metrics_bytes"] = static_cast<double>(bytes);
  state.counters["bytes_per_provider"] = static_cast<double>(bytes) / providers;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

// Sends `request` to 127.0.0.1:port and reads the answer to its end (the
// request asks the server to close): the bytes received, 0 on failure. A
// plain socket, so that the client's own costs stay out of the figure.
size_t LoopbackGet(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  size_t received = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    static char buffer[1 << 20];
    for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;)
      received += static_cast<size_t>(n);
  }
  close(fd);
  return received;
}

// GET /metrics from the real HTTP server over loopback, wall time until the
// whole answer is received. range(1): 0 identity; 1 gzip, the deflated
// body already cached (every scrape after an evaluation's first); 2 gzip,
// the first scrape after an evaluation, which deflates the body.
void BM_ServeMetrics(benchmark::State& state) {
  const int providers = static_cast<int>(state.range(0));
  const int mode = static_cast<int>(state.range(1));
  const std::string body = exposition::RenderScoreboard(ReplicatedScoreboard(providers));
  Config c = BenchConfig();
  route::Router router(c);
  prometheus::Registry registry;
  windows::WindowStore store(c.windows, c.limits);
  ingest::Ingester ingester(c.limits, router, store, registry);
  exposition::MetricsCache cache;
  cache.Set(body);
  Logger log(LogLevel::kError);
  auto security = server::BuildWebSecurity({});
  if (!security.ok()) {
    state.SkipWithError(security.status().message().c_str());
    return;
  }
  server::HttpServer http({{"127.0.0.1", 0}, 16 << 20, "bench", false}, security.value(), ingester,
                          cache, registry, log);
  if (auto st = http.Bind(); !st.ok()) {
    state.SkipWithError(st.message().c_str());
    return;
  }
  std::thread serving([&http] { http.Serve(); });
  const std::string request = std::string("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n") +
                              (mode != 0 ? "Accept-Encoding: gzip\r\n" : "") +
                              "Connection: close\r\n\r\n";
  if (mode == 1) (void)LoopbackGet(http.bound_port(), request);  // deflates once
  size_t wire_bytes = 0;
  for (auto _ : state) {
    if (mode == 2) {
      state.PauseTiming();
      cache.Set(body);  // a new evaluation's body
      state.ResumeTiming();
    }
    wire_bytes = LoopbackGet(http.bound_port(), request);
    if (wire_bytes == 0) {
      state.SkipWithError("GET /metrics failed");
      break;
    }
  }
  http.Stop();
  serving.join();
  state.counters["providers"] = providers;
  state.counters["metrics_bytes"] = static_cast<double>(body.size());
  state.counters["wire_bytes"] = static_cast<double>(wire_bytes);
}

BENCHMARK(BM_DecodeFloor)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeFloorView)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_IngestPath)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Snapshot)
    ->Args({1000, 0})
    ->Args({1000, 1})
    ->Args({10000, 0})
    ->Args({10000, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ComputeScoreboard)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EvaluateAndRender)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderScoreboard)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ServeMetrics)
    ->ArgsProduct({{10000, 100000}, {0, 1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace depin::bench

BENCHMARK_MAIN();
