#include "simulator/fleet.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "common/duration.h"
#include "config/yaml_reader.h"

namespace depin::sim {
namespace {

constexpr std::array<std::string_view, 3> kRegions = {"eu-west", "us-east", "ap-south"};
constexpr std::array<std::string_view, 3> kGpuModels = {"A100", "H100", "L40S"};
// Relative frequency of failure reasons; sums to 1.
constexpr std::array<double, kFailureReasons.size()> kReasonWeights = {0.40, 0.25, 0.20, 0.15};
// Log-normal shape of job durations and answer times: heavy enough tails to
// fill several buckets, narrow enough that a minute of jobs pins the mean.
constexpr double kJobDurationSigma = 0.5;
constexpr double kResponseSigma = 0.5;
constexpr double kGpuUtilSpread = 4.0;  // +- percent across a provider's GPUs
constexpr double kGpuUtilNoise = 1.5;   // percent, per second
constexpr double kMemoryPerGpuBytes = 32.0 * 1024 * 1024 * 1024;
constexpr double kNetworkBytesPerBusyGpu = 20e6;  // per second at 100% util
constexpr int kMaxProviders = 100'000;
constexpr double kMaxJobRate = 1000;
// Providers below this quality have planted outages.
constexpr double kOutageQuality = 0.6;

// ---- YAML ---------------------------------------------------------------

using yaml::MapReader;
using yaml::ReadDuration;
using yaml::ReadNumber;
using yaml::ReadOptional;
using yaml::ReadString;

Status ParseDegrade(const YAML::Node& node, const std::string& path, std::vector<Degrade>* out) {
  if (!node.IsSequence()) return Status::InvalidArgument(path + ": expected a list");
  for (size_t i = 0; i < node.size(); ++i) {
    MapReader r(node[i], path + "[" + std::to_string(i) + "]");
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    Degrade d;
    if (!r.Get("at") || !r.Get("quality")) {
      return Status::InvalidArgument(path + "[" + std::to_string(i) +
                                     "]: needs both \"at\" and \"quality\"");
    }
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "at", &d.at_ms));
    DEPIN_RETURN_IF_ERROR(ReadNumber(r, "quality", &d.quality));
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "over", &d.over_ms));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
    out->push_back(d);
  }
  std::stable_sort(out->begin(), out->end(),
                   [](const Degrade& a, const Degrade& b) { return a.at_ms < b.at_ms; });
  return Status::Ok();
}

Status ParseSeason(const YAML::Node& node, const std::string& path, Season* out) {
  MapReader r(node, path);
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  if (!r.Get("amplitude") || !r.Get("period")) {
    return Status::InvalidArgument(path + ": needs both \"amplitude\" and \"period\"");
  }
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "amplitude", &out->amplitude));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "period", &out->period_ms));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "phase", &out->phase_ms));
  return r.CheckUnknown();
}

Status ParseFlaky(const YAML::Node& node, const std::string& path, Flaky* out) {
  MapReader r(node, path);
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  if (!r.Get("at")) return Status::InvalidArgument(path + ": missing \"at\"");
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "at", &out->at_ms));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "outage_ratio", &out->outage_ratio));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "period", &out->period_ms));
  return r.CheckUnknown();
}

Status ParseBottleneck(const YAML::Node& node, const std::string& path, Bottleneck* out) {
  MapReader r(node, path);
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  if (!r.Get("at")) return Status::InvalidArgument(path + ": missing \"at\"");
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "at", &out->at_ms));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "gpu_util", &out->gpu_util_percent));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "failure_ratio", &out->failure_ratio));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "response_seconds", &out->response_seconds));
  return r.CheckUnknown();
}

Status ParseOutages(const YAML::Node& node, std::vector<RegionalOutage>* out) {
  if (!node.IsSequence()) return Status::InvalidArgument("outages: expected a list");
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string path = "outages[" + std::to_string(i) + "]";
    MapReader r(node[i], path);
    DEPIN_RETURN_IF_ERROR(r.CheckMap());
    if (!r.Get("region") || !r.Get("at") || !r.Get("duration")) {
      return Status::InvalidArgument(path + ": needs \"region\", \"at\" and \"duration\"");
    }
    RegionalOutage o;
    DEPIN_RETURN_IF_ERROR(ReadString(r, "region", &o.region));
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "at", &o.at_ms));
    DEPIN_RETURN_IF_ERROR(ReadDuration(r, "duration", &o.duration_ms));
    DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
    out->push_back(std::move(o));
  }
  std::stable_sort(out->begin(), out->end(), [](const RegionalOutage& a, const RegionalOutage& b) {
    return a.at_ms < b.at_ms;
  });
  return Status::Ok();
}

Status ParseProvider(const YAML::Node& node, const std::string& path, ProviderSpec* p) {
  MapReader r(node, path);
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  if (!r.Get("id")) return Status::InvalidArgument(path + ": missing \"id\"");
  if (!r.Get("quality")) return Status::InvalidArgument(path + ": missing \"quality\"");
  DEPIN_RETURN_IF_ERROR(ReadString(r, "id", &p->id));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "quality", &p->quality));
  DEPIN_RETURN_IF_ERROR(ReadString(r, "region", &p->region));
  DEPIN_RETURN_IF_ERROR(ReadString(r, "gpu_model", &p->gpu_model));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "gpus", &p->gpus));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "cpus", &p->cpus));
  Overrides& o = p->overrides;
  DEPIN_RETURN_IF_ERROR(ReadOptional(r, "failure_ratio", &o.failure_ratio));
  DEPIN_RETURN_IF_ERROR(ReadOptional(r, "response_seconds", &o.response_seconds));
  DEPIN_RETURN_IF_ERROR(ReadOptional(r, "job_duration_seconds", &o.job_duration_seconds));
  DEPIN_RETURN_IF_ERROR(ReadOptional(r, "gpu_util", &o.gpu_util_percent));
  DEPIN_RETURN_IF_ERROR(ReadOptional(r, "price", &o.price));
  DEPIN_RETURN_IF_ERROR(ReadOptional(r, "allocated_ratio", &o.allocated_ratio));
  DEPIN_RETURN_IF_ERROR(ReadOptional(r, "outage_ratio", &o.outage_ratio));
  if (auto d = r.Get("degrade"))
    DEPIN_RETURN_IF_ERROR(ParseDegrade(d, r.Path("degrade"), &p->degrade));
  if (auto n = r.Get("season")) {
    DEPIN_RETURN_IF_ERROR(ParseSeason(n, r.Path("season"), &p->season.emplace()));
  }
  if (auto n = r.Get("flaky")) {
    DEPIN_RETURN_IF_ERROR(ParseFlaky(n, r.Path("flaky"), &p->flaky.emplace()));
  }
  if (auto n = r.Get("bottleneck")) {
    DEPIN_RETURN_IF_ERROR(ParseBottleneck(n, r.Path("bottleneck"), &p->bottleneck.emplace()));
  }
  return r.CheckUnknown();
}

Status ParseGenerate(const YAML::Node& node, std::vector<ProviderSpec>* out) {
  MapReader r(node, "generate");
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  int count = 0;
  double q_max = 0.97, q_min = 0.30;
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "count", &count));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "quality_max", &q_max));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "quality_min", &q_min));
  DEPIN_RETURN_IF_ERROR(r.CheckUnknown());
  if (count < 0 || count > kMaxProviders) {
    return Status::InvalidArgument("generate.count: must be 0.." + std::to_string(kMaxProviders));
  }
  for (auto& p : GenerateProviders(count, q_max, q_min)) out->push_back(std::move(p));
  return Status::Ok();
}

Status ApplyFleetYaml(const YAML::Node& root, FleetConfig* c) {
  MapReader r(root, "");
  DEPIN_RETURN_IF_ERROR(r.CheckMap());
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "seed", &c->seed));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "time_scale", &c->time_scale));
  DEPIN_RETURN_IF_ERROR(ReadNumber(r, "job_rate", &c->job_rate));
  DEPIN_RETURN_IF_ERROR(ReadDuration(r, "outage_period", &c->outage_period_ms));
  if (auto list = r.Get("providers")) {
    if (!list.IsSequence()) return Status::InvalidArgument("providers: expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      ProviderSpec p;
      DEPIN_RETURN_IF_ERROR(ParseProvider(list[i], "providers[" + std::to_string(i) + "]", &p));
      c->providers.push_back(std::move(p));
    }
  }
  if (auto g = r.Get("generate")) DEPIN_RETURN_IF_ERROR(ParseGenerate(g, &c->providers));
  if (auto o = r.Get("outages")) DEPIN_RETURN_IF_ERROR(ParseOutages(o, &c->outages));
  return r.CheckUnknown();
}

// ---- validation ---------------------------------------------------------

// Ids go into URL paths and label values: keep them to a safe alphabet.
bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
  });
}

bool InRange(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }

Status CheckOptional(const std::optional<double>& v, double lo, double hi,
                     const std::string& what) {
  if (v && !InRange(*v, lo, hi)) {
    std::ostringstream msg;
    msg << what << ": must be in [" << lo << ", " << hi << "]";
    return Status::InvalidArgument(msg.str());
  }
  return Status::Ok();
}

Status ValidateProvider(const ProviderSpec& p) {
  const std::string where = "provider \"" + p.id + "\"";
  if (!ValidId(p.id)) {
    return Status::InvalidArgument(where + ": id must be 1-64 characters of [A-Za-z0-9._-]");
  }
  if (!InRange(p.quality, 0, 1))
    return Status::InvalidArgument(where + ": quality must be in [0, 1]");
  if (p.region.empty() || p.gpu_model.empty()) {
    return Status::InvalidArgument(where + ": region and gpu_model must not be empty");
  }
  if (p.gpus < 1 || p.gpus > 64) return Status::InvalidArgument(where + ": gpus must be 1..64");
  if (p.cpus < 1 || p.cpus > 512) return Status::InvalidArgument(where + ": cpus must be 1..512");
  const Overrides& o = p.overrides;
  DEPIN_RETURN_IF_ERROR(CheckOptional(o.failure_ratio, 0, 1, where + ".failure_ratio"));
  DEPIN_RETURN_IF_ERROR(
      CheckOptional(o.response_seconds, 0.001, 3600, where + ".response_seconds"));
  DEPIN_RETURN_IF_ERROR(
      CheckOptional(o.job_duration_seconds, 0.001, 86400, where + ".job_duration_seconds"));
  DEPIN_RETURN_IF_ERROR(CheckOptional(o.gpu_util_percent, 0, 100, where + ".gpu_util"));
  DEPIN_RETURN_IF_ERROR(CheckOptional(o.price, 0, 1e6, where + ".price"));
  DEPIN_RETURN_IF_ERROR(CheckOptional(o.allocated_ratio, 0, 1, where + ".allocated_ratio"));
  DEPIN_RETURN_IF_ERROR(CheckOptional(o.outage_ratio, 0, 0.99, where + ".outage_ratio"));
  for (const auto& d : p.degrade) {
    if (d.at_ms < 0 || !InRange(d.quality, 0, 1) || d.over_ms < 0) {
      return Status::InvalidArgument(where +
                                     ".degrade: at and over must be >= 0 and quality in [0, 1]");
    }
  }
  if (const auto& s = p.season) {
    if (!InRange(s->amplitude, 0, 100) || s->period_ms < 1000 || s->phase_ms < 0) {
      return Status::InvalidArgument(
          where + ".season: amplitude must be in [0, 100], period at least 1s, phase >= 0");
    }
  }
  if (const auto& f = p.flaky) {
    if (f->at_ms < 0 || !InRange(f->outage_ratio, 0, 0.99) || f->period_ms < 1000) {
      return Status::InvalidArgument(
          where + ".flaky: at must be >= 0, outage_ratio in [0, 0.99], period at least 1s");
    }
  }
  if (const auto& b = p.bottleneck) {
    if (b->at_ms < 0 || !InRange(b->gpu_util_percent, 0, 100) || !InRange(b->failure_ratio, 0, 1) ||
        !InRange(b->response_seconds, 0.001, 3600)) {
      return Status::InvalidArgument(where +
                                     ".bottleneck: at must be >= 0, gpu_util in [0, 100], "
                                     "failure_ratio in [0, 1], response_seconds in [0.001, 3600]");
    }
  }
  return Status::Ok();
}

// ---- randomness ---------------------------------------------------------

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Seeds from the id, not the position, so adding a provider leaves the
// others' streams (and thus their series) unchanged.
uint64_t HashId(std::string_view id) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char ch : id) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ULL;
  return h;
}

std::string GpuUuid(std::string_view provider_id, int gpu) {
  uint64_t a = SplitMix64(HashId(provider_id) + 2 * static_cast<uint64_t>(gpu));
  uint64_t b = SplitMix64(a ^ 0x5bd1e995ULL);
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  std::string h(hex);
  return "GPU-" + h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" +
         h.substr(16, 4) + "-" + h.substr(20, 12);
}

// Log-normal with the given mean (not median): mu = ln(mean) - sigma^2/2.
double DrawLogNormal(SplitMixRng& rng, double mean, double sigma) {
  std::lognormal_distribution<double> dist(std::log(mean) - sigma * sigma / 2, sigma);
  return dist(rng);
}

double DrawNormal(SplitMixRng& rng, double sd) {
  std::normal_distribution<double> dist(0.0, sd);
  return dist(rng);
}

// Framebuffer size by GPU model; unknown models get a mid-range card's.
double FramebufferMiB(std::string_view model) {
  if (model.find("A100") != std::string_view::npos) return 81920;
  if (model.find("H100") != std::string_view::npos) return 81559;
  if (model.find("L40") != std::string_view::npos) return 46068;
  if (model.find("4090") != std::string_view::npos) return 24564;
  return 24576;
}

}  // namespace

// ---- config -------------------------------------------------------------

Result<FleetConfig> ParseFleetYaml(std::string_view yaml) {
  FleetConfig c;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) return Status::InvalidArgument("empty fleet config");
    DEPIN_RETURN_IF_ERROR(ApplyFleetYaml(root, &c));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("YAML: ") + e.what());
  }
  DEPIN_RETURN_IF_ERROR(ValidateFleet(c));
  return c;
}

Result<FleetConfig> LoadFleetFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read fleet config " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  auto c = ParseFleetYaml(buf.str());
  if (!c.ok()) return Status::InvalidArgument(path + ": " + c.status().message());
  return c;
}

std::vector<ProviderSpec> GenerateProviders(int count, double q_max, double q_min) {
  std::vector<ProviderSpec> out;
  const int width =
      std::max<int>(3, static_cast<int>(std::to_string(std::max(count - 1, 0)).size()));
  for (int i = 0; i < count; ++i) {
    ProviderSpec p;
    std::string n = std::to_string(i);
    p.id = "p-" + std::string(width - n.size(), '0') + n;
    p.quality = count == 1 ? q_max : q_max + (q_min - q_max) * i / (count - 1);
    // Cycle regions fastest and models per region round, so neighbours in
    // quality differ in region and every region gets a spread of quality.
    p.region = std::string(kRegions[i % kRegions.size()]);
    p.gpu_model = std::string(kGpuModels[(i / kRegions.size()) % kGpuModels.size()]);
    out.push_back(std::move(p));
  }
  return out;
}

FleetConfig DefaultFleet() {
  FleetConfig c;
  c.providers = GenerateProviders(6, 0.97, 0.30);
  return c;
}

Status ValidateFleet(const FleetConfig& c) {
  if (!InRange(c.time_scale, 1e-3, 1e4))
    return Status::InvalidArgument("time_scale must be in [0.001, 10000]");
  if (!InRange(c.job_rate, 1e-6, kMaxJobRate)) {
    return Status::InvalidArgument("job_rate must be in (0, " + std::to_string(int(kMaxJobRate)) +
                                   "]");
  }
  if (c.outage_period_ms < 1000)
    return Status::InvalidArgument("outage_period must be at least 1s");
  if (c.providers.empty()) return Status::InvalidArgument("fleet has no providers");
  if (c.providers.size() > static_cast<size_t>(kMaxProviders)) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxProviders) + " providers");
  }
  std::vector<std::string_view> ids;
  for (const auto& p : c.providers) {
    DEPIN_RETURN_IF_ERROR(ValidateProvider(p));
    ids.push_back(p.id);
  }
  std::sort(ids.begin(), ids.end());
  auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end())
    return Status::InvalidArgument("duplicate provider id \"" + std::string(*dup) + "\"");
  for (size_t i = 0; i < c.outages.size(); ++i) {
    const RegionalOutage& o = c.outages[i];
    const std::string where = "outages[" + std::to_string(i) + "]";
    if (o.at_ms < 0 || o.duration_ms < 1000) {
      return Status::InvalidArgument(where + ": at must be >= 0 and duration at least 1s");
    }
    // A region no provider is in is a typo, not an outage.
    if (std::none_of(c.providers.begin(), c.providers.end(),
                     [&](const ProviderSpec& p) { return p.region == o.region; })) {
      return Status::InvalidArgument(where + ": no provider in region \"" + o.region + "\"");
    }
  }
  return Status::Ok();
}

Params DeriveParams(double q, int gpus, const Overrides& o) {
  const double bad = 1.0 - q;
  Params p;
  p.quality = q;
  p.failure_ratio = o.failure_ratio.value_or(0.01 + 0.25 * bad);
  p.mean_response_s = o.response_seconds.value_or(0.3 + 4.0 * bad);
  p.mean_job_duration_s = o.job_duration_seconds.value_or(60 + 600 * bad);
  p.gpu_util_percent = o.gpu_util_percent.value_or(40 + 55 * q);
  p.price_per_gpu_hour = o.price.value_or(2.5 - 1.0 * q);
  p.allocated_ratio = o.allocated_ratio.value_or(0.7 - 0.3 * q);
  p.outage_ratio = o.outage_ratio.value_or(std::max(0.0, kOutageQuality - q));
  p.gpus_total = gpus;
  p.gpus_allocated = static_cast<int>(std::lround(gpus * p.allocated_ratio));
  return p;
}

uint64_t ProviderState::jobs_failed_total() const {
  return std::accumulate(jobs_failed.begin(), jobs_failed.end(), uint64_t{0});
}

// ---- fleet --------------------------------------------------------------

Result<Fleet> Fleet::Create(FleetConfig config) {
  DEPIN_RETURN_IF_ERROR(ValidateFleet(config));
  return Fleet(std::move(config));
}

Fleet::Fleet(FleetConfig config) : config_(std::move(config)) {
  // Configs built in code need not be sorted; the lookups assume they are.
  std::stable_sort(
      config_.outages.begin(), config_.outages.end(),
      [](const RegionalOutage& a, const RegionalOutage& b) { return a.at_ms < b.at_ms; });
  for (auto& spec : config_.providers) {
    std::stable_sort(spec.degrade.begin(), spec.degrade.end(),
                     [](const Degrade& a, const Degrade& b) { return a.at_ms < b.at_ms; });
  }
  providers_.resize(config_.providers.size());
  constexpr double kGolden = 0.6180339887498949;
  for (size_t i = 0; i < providers_.size(); ++i) {
    const ProviderSpec& spec = config_.providers[i];
    Provider& p = providers_[i];
    p.rng = SplitMixRng(SplitMix64(config_.seed ^ HashId(spec.id)));
    // Golden-ratio phases spread outages over the period so providers are not
    // all down together (which would look like a correlated regional failure).
    double phase = std::fmod(static_cast<double>(i) * kGolden, 1.0);
    p.outage_offset_ms =
        static_cast<int64_t>(phase * static_cast<double>(config_.outage_period_ms));
    p.state.gpus.resize(spec.gpus);
    for (int g = 0; g < spec.gpus; ++g) p.state.gpus[g].uuid = GpuUuid(spec.id, g);
    p.state.cpu_seconds.resize(spec.cpus);
    p.state.memory_total_bytes = kMemoryPerGpuBytes * spec.gpus;
    DrawGauges(p, ParamsAt(i, 0), spec);
  }
}

std::optional<size_t> Fleet::Find(std::string_view id) const {
  for (size_t i = 0; i < config_.providers.size(); ++i) {
    if (config_.providers[i].id == id) return i;
  }
  return std::nullopt;
}

namespace {

// Quality at t under the first `n` degrade steps: a step applies from its
// time on; a ramp (over > 0) moves linearly from the quality in effect at its
// start to its target.
double DegradedQuality(double base, const std::vector<Degrade>& steps, size_t n, int64_t t) {
  if (n == 0) return base;
  const Degrade& d = steps[n - 1];
  if (t < d.at_ms) return DegradedQuality(base, steps, n - 1, t);
  if (d.over_ms > 0 && t < d.at_ms + d.over_ms) {
    const double from = DegradedQuality(base, steps, n - 1, d.at_ms);
    const double f = static_cast<double>(t - d.at_ms) / static_cast<double>(d.over_ms);
    return from + (d.quality - from) * f;
  }
  return d.quality;
}

}  // namespace

double Fleet::QualityAt(size_t i, int64_t sim_ms) const {
  const ProviderSpec& spec = config_.providers[i];
  return DegradedQuality(spec.quality, spec.degrade, spec.degrade.size(), sim_ms);
}

Params Fleet::ParamsAt(size_t i, int64_t sim_ms) const {
  const ProviderSpec& spec = config_.providers[i];
  Params p = DeriveParams(QualityAt(i, sim_ms), spec.gpus, spec.overrides);
  if (spec.season) {
    const Season& s = *spec.season;
    constexpr double kTwoPi = 6.283185307179586;
    const double wave = std::sin(kTwoPi * static_cast<double>(sim_ms - s.phase_ms) /
                                 static_cast<double>(s.period_ms));
    p.gpu_util_percent = std::clamp(p.gpu_util_percent + s.amplitude * wave, 0.0, 100.0);
    p.allocated_ratio = std::clamp(p.allocated_ratio + s.amplitude / 100.0 * wave, 0.0, 1.0);
    p.gpus_allocated = static_cast<int>(std::lround(p.gpus_total * p.allocated_ratio));
  }
  if (spec.bottleneck && sim_ms >= spec.bottleneck->at_ms) {
    p.gpu_util_percent = spec.bottleneck->gpu_util_percent;
    p.failure_ratio = spec.bottleneck->failure_ratio;
    p.mean_response_s = spec.bottleneck->response_seconds;
  }
  if (spec.flaky && sim_ms >= spec.flaky->at_ms) p.outage_ratio = spec.flaky->outage_ratio;
  return p;
}

Fleet::OutageSchedule Fleet::ScheduleAt(size_t i, int64_t sim_ms) const {
  const ProviderSpec& spec = config_.providers[i];
  OutageSchedule s;
  if (spec.flaky && sim_ms >= spec.flaky->at_ms) {
    s.period_ms = spec.flaky->period_ms;
    s.offset_ms = spec.flaky->at_ms;  // the first flaky outage starts at `at`
  } else {
    s.period_ms = config_.outage_period_ms;
    s.offset_ms = providers_[i].outage_offset_ms;
  }
  s.down_ms = static_cast<int64_t>(
      std::llround(ParamsAt(i, sim_ms).outage_ratio * static_cast<double>(s.period_ms)));
  return s;
}

const RegionalOutage* Fleet::RegionalOutageAt(size_t i, int64_t sim_ms) const {
  const std::string& region = config_.providers[i].region;
  for (const auto& o : config_.outages) {
    if (o.at_ms > sim_ms) break;  // sorted by start
    if (o.region == region && sim_ms < o.at_ms + o.duration_ms) return &o;
  }
  return nullptr;
}

bool Fleet::IsUpAt(size_t i, int64_t sim_ms) const {
  if (!config_.outages.empty() && RegionalOutageAt(i, sim_ms) != nullptr) return false;
  const OutageSchedule s = ScheduleAt(i, sim_ms);
  if (s.down_ms <= 0) return true;
  int64_t phase = (sim_ms - s.offset_ms) % s.period_ms;
  if (phase < 0) phase += s.period_ms;
  return phase >= s.down_ms;
}

std::vector<size_t> Fleet::OrderAt(int64_t sim_ms) const {
  std::vector<size_t> order(size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> q(size());
  for (size_t i = 0; i < size(); ++i) q[i] = QualityAt(i, sim_ms);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (q[a] != q[b]) return q[a] > q[b];
    return config_.providers[a].id < config_.providers[b].id;
  });
  return order;
}

void Fleet::AdvanceTo(int64_t sim_ms) {
  if (sim_ms <= now_ms_) return;
  now_ms_ = sim_ms;
  const int64_t target_s = sim_ms / 1000;
  for (; stepped_s_ < target_s; ++stepped_s_) {
    for (size_t i = 0; i < providers_.size(); ++i) StepSecond(i, stepped_s_ * 1000);
  }
}

// One simulated second of a provider's life. While in a planted outage the
// machine is off: no jobs finish and its counters stand still.
void Fleet::StepSecond(size_t i, int64_t second_start_ms) {
  if (!IsUpAt(i, second_start_ms)) return;
  Provider& p = providers_[i];
  const Params params = ParamsAt(i, second_start_ms);
  // Expected-value accumulation: whole jobs finish as the fractional rate
  // adds up, so the count is exact to within one job at any time.
  p.job_acc += config_.job_rate;
  const int jobs = static_cast<int>(p.job_acc);
  p.job_acc -= jobs;
  FinishJobs(p, params, jobs);
  DrawGauges(p, params, config_.providers[i]);
  AccrueCounters(p, params);
}

void Fleet::FinishJobs(Provider& p, const Params& params, int jobs) {
  for (int j = 0; j < jobs; ++j) {
    p.state.response.Observe(kResponseBuckets,
                             DrawLogNormal(p.rng, params.mean_response_s, kResponseSigma));
    // Failures by accumulation too: the failed share never strays more than
    // half a job from failure_ratio, so the ratio is exact after a minute.
    p.fail_acc += params.failure_ratio;
    if (p.fail_acc < 1.0) {
      ++p.state.jobs_completed;
      p.state.job_duration.Observe(
          kJobDurationBuckets, DrawLogNormal(p.rng, params.mean_job_duration_s, kJobDurationSigma));
      continue;
    }
    p.fail_acc -= 1.0;
    // Smooth weighted round-robin keeps the reason mix at kReasonWeights.
    for (size_t r = 0; r < kReasonWeights.size(); ++r) p.reason_deficit[r] += kReasonWeights[r];
    auto it = std::max_element(p.reason_deficit.begin(), p.reason_deficit.end());
    *it -= 1.0;
    ++p.state.jobs_failed[static_cast<size_t>(it - p.reason_deficit.begin())];
  }
}

// Gauges are re-drawn every second around their means.
void Fleet::DrawGauges(Provider& p, const Params& params, const ProviderSpec& spec) {
  ProviderState& s = p.state;
  const double fb_total = FramebufferMiB(spec.gpu_model);
  const int n = static_cast<int>(s.gpus.size());
  for (int g = 0; g < n; ++g) {
    // Symmetric offsets across GPUs keep the provider's mean at the target.
    double offset = n > 1 ? kGpuUtilSpread * (2.0 * g / (n - 1) - 1.0) : 0.0;
    double util =
        std::clamp(params.gpu_util_percent + offset + DrawNormal(p.rng, kGpuUtilNoise), 0.0, 100.0);
    s.gpus[g].util_percent = util;
    s.gpus[g].fb_used_mib = std::round(fb_total * (0.15 + 0.75 * util / 100));
  }
  double used =
      std::clamp(0.25 + 0.5 * params.allocated_ratio + DrawNormal(p.rng, 0.01), 0.0, 0.99);
  s.memory_available_bytes = std::round(s.memory_total_bytes * (1 - used));
}

// Node counters grow by one second's worth of work, tied to GPU load so the
// resources move together (what a bottleneck analysis looks for).
void Fleet::AccrueCounters(Provider& p, const Params& params) {
  ProviderState& s = p.state;
  double load = 0;  // 0..1
  for (const auto& g : s.gpus) load += g.util_percent;
  load /= 100.0 * static_cast<double>(s.gpus.size());
  for (auto& cpu : s.cpu_seconds) {
    double user = std::clamp(0.10 + 0.50 * load + DrawNormal(p.rng, 0.02), 0.0, 0.9);
    double system = 0.03 + 0.05 * load;
    double iowait = 0.01 + 0.04 * (1 - params.quality);
    cpu[0] += std::max(0.0, 1.0 - user - system - iowait);
    cpu[1] += user;
    cpu[2] += system;
    cpu[3] += iowait;
  }
  double rx =
      kNetworkBytesPerBusyGpu * params.gpus_allocated * load * (1 + DrawNormal(p.rng, 0.05));
  s.network_receive_bytes += std::max(0.0, std::round(rx));
  s.disk_io_time_seconds += 0.05 + 0.30 * load;
}

}  // namespace depin::sim
