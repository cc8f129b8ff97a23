#include "loadgen_traffic.h"

#include <snappy.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <utility>

#include "remote.pb.h"
#include "simulator/exposition.h"
#include "simulator/fleet.h"

namespace depin::loadgen {
namespace {

using Label = std::pair<std::string_view, std::string_view>;

// Prometheus's staleness marker (value.StaleNaN).
const double kStaleNaN = std::bit_cast<double>(uint64_t{0x7ff0000000000002ULL});

constexpr uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

uint64_t Fnv(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * kFnvPrime;
  return h;
}

// Protobuf wire format of prometheus.WriteRequest, written directly: the
// generated classes cost ~2.4 us per sample, which made building 10^7 samples
// slower than sending them. The first request of each shard is also built
// with the generated classes and must serialize to the same bytes.
void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
// Proto3 leaves empty strings and zero numbers out.
size_t BytesFieldSize(std::string_view v) {
  return v.empty() ? 0 : 1 + VarintSize(v.size()) + v.size();
}
void PutBytesField(std::string* out, char tag, std::string_view v) {
  if (v.empty()) return;
  out->push_back(tag);
  PutVarint(out, v.size());
  out->append(v);
}

// Batches samples per shard as Prometheus's queue manager does.
class Encoder {
 public:
  Encoder(const TrafficOptions& o, Traffic* out)
      : shards_(static_cast<size_t>(o.shards)), max_samples_(o.max_samples_per_send), out_(*out) {
    out_.shards.assign(shards_.size(), {});
  }

  // One sample of the series with `labels` (sorted here, as Prometheus sends).
  void Add(std::vector<Label>* labels, int64_t ts, double value) {
    std::sort(labels->begin(), labels->end());
    uint64_t h = kFnvOffset;
    for (const auto& [name, v] : *labels) h = Fnv(Fnv(h, name) * kFnvPrime, v) * kFnvPrime;
    const size_t s = h % shards_.size();
    Pending& p = shards_[s];

    const uint64_t value_bits = std::bit_cast<uint64_t>(value);
    const size_t sample_size =
        (value_bits != 0 ? 9 : 0) + (ts != 0 ? 1 + VarintSize(static_cast<uint64_t>(ts)) : 0);
    size_t series_size = 1 + VarintSize(sample_size) + sample_size;
    for (const auto& [name, v] : *labels) {
      const size_t label_size = BytesFieldSize(name) + BytesFieldSize(v);
      series_size += 1 + VarintSize(label_size) + label_size;
    }
    std::string& b = p.raw;
    b.push_back(0x0a);  // WriteRequest.timeseries = 1
    PutVarint(&b, series_size);
    for (const auto& [name, v] : *labels) {
      b.push_back(0x0a);  // TimeSeries.labels = 1
      PutVarint(&b, BytesFieldSize(name) + BytesFieldSize(v));
      PutBytesField(&b, 0x0a, name);  // Label.name = 1
      PutBytesField(&b, 0x12, v);     // Label.value = 2
    }
    b.push_back(0x12);  // TimeSeries.samples = 2
    PutVarint(&b, sample_size);
    if (value_bits != 0) {
      b.push_back(0x09);  // Sample.value = 1, fixed64 little-endian
      for (int i = 0; i < 8; ++i) b.push_back(static_cast<char>(value_bits >> (8 * i)));
    }
    if (ts != 0) {
      b.push_back(0x10);  // Sample.timestamp = 2, varint
      PutVarint(&b, static_cast<uint64_t>(ts));
    }
    if (p.check) {
      auto* series = p.check->add_timeseries();
      for (const auto& [name, v] : *labels) {
        auto* l = series->add_labels();
        l->set_name(name.data(), name.size());
        l->set_value(v.data(), v.size());
      }
      auto* sample = series->add_samples();
      sample->set_timestamp(ts);
      sample->set_value(value);
    }
    if (++p.samples == max_samples_) Seal(s);
  }

  // Seals every shard's partial batch; false when a checked request's bytes
  // differ from the generated classes' serialization.
  bool Flush() {
    for (size_t s = 0; s < shards_.size(); ++s) {
      if (shards_[s].samples > 0) Seal(s);
    }
    return checks_ok_;
  }

 private:
  struct Pending {
    std::string raw;
    int samples = 0;
    std::unique_ptr<prometheus::WriteRequest> check = std::make_unique<prometheus::WriteRequest>();
  };

  void Seal(size_t s) {
    Pending& p = shards_[s];
    if (p.check) {
      checks_ok_ = checks_ok_ && p.check->SerializeAsString() == p.raw;
      p.check.reset();
    }
    EncodedRequest r;
    snappy::Compress(p.raw.data(), p.raw.size(), &r.body);
    r.samples = p.samples;
    out_.samples += p.samples;
    out_.bytes += static_cast<int64_t>(r.body.size());
    out_.shards[s].push_back(std::move(r));
    p.raw.clear();  // keeps the capacity for the next batch
    p.samples = 0;
  }

  std::vector<Pending> shards_;
  int max_samples_;
  Traffic& out_;
  bool checks_ok_ = true;
};

enum Job : uint8_t { kDepinExporter, kDcgmExporter, kNodeExporter };
constexpr std::array<std::string_view, 3> kJobNames = {"depin-exporter", "dcgm-exporter",
                                                       "node-exporter"};
constexpr std::array<int, 3> kJobPorts = {9500, 9400, 9100};

// One scrape of one target: base labels, the scrape's timestamp, and
// whether its samples are staleness markers (first failed scrape).
class TargetWriter {
 public:
  TargetWriter(Encoder* encoder, std::string_view instance, std::string_view job,
               std::string_view provider, int64_t ts, bool stale)
      : encoder_(*encoder),
        base_{Label{"instance", instance}, Label{"job", job}, Label{"provider", provider}},
        ts_(ts),
        stale_(stale) {}

  void Sample(std::string_view name, std::initializer_list<Label> extra, double value) {
    labels_.assign(base_.begin(), base_.end());
    labels_.emplace_back("__name__", name);
    labels_.insert(labels_.end(), extra.begin(), extra.end());
    encoder_.Add(&labels_, ts_, stale_ ? kStaleNaN : value);
    ++samples_;
  }
  // Prometheus's synthetic series, appended after the scraped ones.
  void Report(bool up, int scraped, bool first_scrape, double duration_s) {
    stale_ = false;
    Sample("up", {}, up ? 1 : 0);
    Sample("scrape_duration_seconds", {}, duration_s);
    Sample("scrape_samples_scraped", {}, scraped);
    Sample("scrape_samples_post_metric_relabeling", {}, scraped);
    Sample("scrape_series_added", {}, first_scrape ? scraped : 0);
  }
  int samples() const { return samples_; }

 private:
  Encoder& encoder_;
  std::array<Label, 3> base_;
  std::vector<Label> labels_;
  int64_t ts_;
  bool stale_;
  int samples_ = 0;
};

template <size_t N>
void EmitHistogram(TargetWriter& w, const std::string& name, const sim::Histogram<N>& h,
                   const std::array<double, N>& bounds) {
  const std::string bucket = name + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += h.counts[i];
    const std::string le = i + 1 == N ? "+Inf" : sim::FormatValue(bounds[i]);
    w.Sample(bucket, {{"le", le}}, static_cast<double>(cumulative));
  }
  w.Sample(name + "_sum", {}, h.sum);
  w.Sample(name + "_count", {}, static_cast<double>(h.count));
}

// The DePIN exporter: the same families and labels as the simulator's page.
void EmitDepinExporter(TargetWriter& w, const sim::ProviderSpec& spec, const sim::ProviderState& s,
                       const sim::Params& params, int64_t sim_ms) {
  w.Sample("depin_jobs_completed_total", {}, static_cast<double>(s.jobs_completed));
  for (size_t r = 0; r < sim::kFailureReasons.size(); ++r) {
    w.Sample("depin_jobs_failed_total", {{"reason", sim::kFailureReasons[r]}},
             static_cast<double>(s.jobs_failed[r]));
  }
  EmitHistogram(w, "depin_job_duration_seconds", s.job_duration, sim::kJobDurationBuckets);
  EmitHistogram(w, "depin_provider_response_seconds", s.response, sim::kResponseBuckets);
  w.Sample("depin_provider_gpus_total", {}, params.gpus_total);
  w.Sample("depin_provider_gpus_allocated", {}, params.gpus_allocated);
  w.Sample("depin_provider_price_per_gpu_hour", {},
           std::round(params.price_per_gpu_hour * 1e6) / 1e6);
  w.Sample("depin_provider_info", {{"region", spec.region}, {"gpu_model", spec.gpu_model}}, 1);
  // Outside the contract: the client library's process and runtime series.
  w.Sample("process_cpu_seconds_total", {}, static_cast<double>(sim_ms) / 1000 * 0.02);
  w.Sample("process_resident_memory_bytes", {}, 48e6 + static_cast<double>(sim_ms % 997) * 1e4);
  w.Sample("process_open_fds", {}, 12);
  w.Sample("go_goroutines", {}, 41);
}

// dcgm-exporter: per GPU, labelled gpu, UUID, device, modelName, Hostname.
void EmitDcgmExporter(TargetWriter& w, const sim::ProviderSpec& spec, const sim::ProviderState& s) {
  const std::string model = "NVIDIA " + spec.gpu_model;
  for (size_t g = 0; g < s.gpus.size(); ++g) {
    const std::string index = std::to_string(g);
    const std::string device = "nvidia" + index;
    const sim::GpuState& gpu = s.gpus[g];
    auto emit = [&](std::string_view name, double value) {
      w.Sample(name,
               {{"gpu", index},
                {"UUID", gpu.uuid},
                {"device", device},
                {"modelName", model},
                {"Hostname", spec.id}},
               value);
    };
    const double util = std::round(gpu.util_percent);
    emit("DCGM_FI_DEV_GPU_UTIL", util);
    emit("DCGM_FI_DEV_FB_USED", gpu.fb_used_mib);
    // Outside the contract.
    emit("DCGM_FI_DEV_FB_FREE", std::max(0.0, 81920 - gpu.fb_used_mib));
    emit("DCGM_FI_DEV_GPU_TEMP", std::round(34 + util * 0.4));
    emit("DCGM_FI_DEV_POWER_USAGE", std::round((55 + util * 3.4) * 1000) / 1000);
    emit("DCGM_FI_DEV_SM_CLOCK", util > 1 ? 1410 : 210);
  }
}

// node_exporter: the contract's CPU, memory, network and disk series and
// some of the many others it exposes.
void EmitNodeExporter(TargetWriter& w, const sim::ProviderState& s, double mean_gpu_util,
                      double start_s) {
  static constexpr std::array<std::string_view, 4> kOtherModes = {"nice", "irq", "softirq",
                                                                  "steal"};
  for (size_t c = 0; c < s.cpu_seconds.size(); ++c) {
    const std::string cpu = std::to_string(c);
    const auto& sec = s.cpu_seconds[c];
    for (size_t m = 0; m < sim::kCpuModes.size(); ++m) {
      w.Sample("node_cpu_seconds_total", {{"cpu", cpu}, {"mode", sim::kCpuModes[m]}}, sec[m]);
    }
    const std::array<double, 4> other = {sec[1] * 0.01, sec[2] * 0.02, sec[2] * 0.05, 0};
    for (size_t m = 0; m < kOtherModes.size(); ++m) {
      w.Sample("node_cpu_seconds_total", {{"cpu", cpu}, {"mode", kOtherModes[m]}},
               std::round(other[m] * 100) / 100);
    }
  }
  w.Sample("node_memory_MemAvailable_bytes", {}, s.memory_available_bytes);
  w.Sample("node_memory_MemTotal_bytes", {}, s.memory_total_bytes);
  w.Sample("node_network_receive_bytes_total", {{"device", "eth0"}}, s.network_receive_bytes);
  w.Sample("node_disk_io_time_seconds_total", {{"device", "nvme0n1"}}, s.disk_io_time_seconds);
  // Outside the contract.
  w.Sample("node_network_transmit_bytes_total", {{"device", "eth0"}},
           std::round(s.network_receive_bytes * 0.3));
  const double load = std::round(mean_gpu_util / 25 * 100) / 100;
  w.Sample("node_load1", {}, load);
  w.Sample("node_load5", {}, load);
  w.Sample("node_load15", {}, load);
  const std::initializer_list<Label> root = {
      {"device", "/dev/nvme0n1p1"}, {"fstype", "ext4"}, {"mountpoint", "/"}};
  w.Sample("node_filesystem_avail_bytes", root, 3.1e11);
  w.Sample("node_filesystem_size_bytes", root, 9.6e11);
  w.Sample("node_boot_time_seconds", {}, std::floor(start_s) - 86'400);
}

struct Target {
  int64_t offset_ms;
  uint32_t provider;
  Job job;
};

}  // namespace

uint64_t Fingerprint(uint64_t fingerprint, const std::string& body) {
  return Fnv(fingerprint == 0 ? kFnvOffset : fingerprint, body);
}

Result<Traffic> BuildTraffic(const TrafficOptions& o) {
  if (o.shards < 1 || o.max_samples_per_send < 1 || o.scrapes < 0 || o.first_scrape < 0 ||
      o.scrape_interval_ms < 1000) {
    return Status::InvalidArgument(
        "shards and max_samples_per_send must be positive, scrapes non-negative, "
        "scrape interval at least 1s");
  }
  sim::FleetConfig config;
  config.seed = o.seed;
  config.providers = sim::GenerateProviders(o.providers, 0.97, 0.30);
  Result<sim::Fleet> created = sim::Fleet::Create(std::move(config));
  if (!created.ok()) return created.status();
  sim::Fleet& fleet = created.value();

  // Each target is scraped at its own fixed offset within the interval, as
  // Prometheus spreads targets by a hash of their labels.
  std::vector<Target> targets;
  std::vector<std::array<std::string, 3>> instances(fleet.size());
  targets.reserve(fleet.size() * 3);
  for (size_t i = 0; i < fleet.size(); ++i) {
    for (Job job : {kDepinExporter, kDcgmExporter, kNodeExporter}) {
      char instance[32];
      std::snprintf(instance, sizeof instance, "10.%zu.%zu.%zu:%d", (i >> 16) & 255, (i >> 8) & 255,
                    i & 255, kJobPorts[job]);
      instances[i][job] = instance;
      const uint64_t h = Fnv(Fnv(kFnvOffset, instance), kJobNames[job]);
      targets.push_back({static_cast<int64_t>(h % static_cast<uint64_t>(o.scrape_interval_ms)),
                         static_cast<uint32_t>(i), job});
    }
  }
  std::sort(targets.begin(), targets.end(), [](const Target& a, const Target& b) {
    return a.offset_ms != b.offset_ms ? a.offset_ms < b.offset_ms : a.provider < b.provider;
  });

  Traffic traffic;
  Encoder encoder(o, &traffic);
  for (int k = 0; k < o.first_scrape + o.scrapes; ++k) {
    const int64_t round_ms = k * o.scrape_interval_ms;
    if (k < o.first_scrape) {
      fleet.AdvanceTo(round_ms + o.scrape_interval_ms - 1);
      continue;
    }
    for (const Target& t : targets) {
      const int64_t sim_ms = round_ms + t.offset_ms;
      fleet.AdvanceTo(sim_ms);
      const size_t i = t.provider;
      const bool up = fleet.IsUpAt(i, sim_ms);
      const bool was_up = k > 0 && fleet.IsUpAt(i, sim_ms - o.scrape_interval_ms);
      const sim::ProviderSpec& spec = fleet.spec(i);
      TargetWriter w(&encoder, instances[i][t.job], kJobNames[t.job], spec.id, o.start_ms + sim_ms,
                     /*stale=*/!up);
      if (up || was_up) {
        const sim::ProviderState& s = fleet.state(i);
        switch (t.job) {
          case kDepinExporter:
            EmitDepinExporter(w, spec, s, fleet.ParamsAt(i, sim_ms), sim_ms);
            break;
          case kDcgmExporter:
            EmitDcgmExporter(w, spec, s);
            break;
          case kNodeExporter: {
            double util = 0;
            for (const auto& g : s.gpus) util += g.util_percent;
            EmitNodeExporter(w, s, s.gpus.empty() ? 0 : util / static_cast<double>(s.gpus.size()),
                             static_cast<double>(o.start_ms) / 1000);
            break;
          }
        }
      }
      const int scraped = up ? w.samples() : 0;
      if (k == o.first_scrape) traffic.samples_per_scrape += w.samples() + 5;
      w.Report(up, scraped, k == 0, 0.004 + static_cast<double>(i % 40) / 1000);
    }
  }
  if (!encoder.Flush()) {
    return Status::Internal("loadgen: hand-encoded request differs from protobuf's serialization");
  }
  for (const auto& shard : traffic.shards) {
    for (const auto& r : shard) traffic.fingerprint = Fingerprint(traffic.fingerprint, r.body);
  }
  return traffic;
}

}  // namespace depin::loadgen
