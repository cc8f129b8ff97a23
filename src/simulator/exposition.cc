#include "simulator/exposition.h"

#include "export/text_writer.h"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <utility>

namespace depin::sim {
namespace {

using Label = std::pair<std::string_view, std::string_view>;

// What one family needs to render one provider.
struct View {
  const ProviderSpec& spec;
  const ProviderState& state;
  const Params& params;
};

// Appends samples, prefixing every label set with the current provider label.
class PageWriter {
 public:
  explicit PageWriter(std::string* out) : out_(*out) {}

  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void SetProvider(std::string_view id) { provider_ = id; }

  void Sample(std::string_view name, std::initializer_list<Label> labels, double value) {
    out_.append(name);
    bool first = true;
    auto add = [&](std::string_view k, std::string_view v) {
      out_.append(first ? "{" : ",").append(k).append("=\"");
      exposition::AppendEscaped(&out_, v);
      out_.append("\"");
      first = false;
    };
    if (!provider_.empty()) add("provider", provider_);
    for (const auto& [k, v] : labels) add(k, v);
    if (!first) out_.append("}");
    out_.append(" ");
    exposition::AppendValue(&out_, value);
    out_.append("\n");
  }

 private:
  std::string& out_;
  std::string_view provider_;
};

template <size_t N>
void EmitHistogram(PageWriter& w, std::string_view name, const Histogram<N>& h,
                   const std::array<double, N>& bounds) {
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += h.counts[i];
    std::string le = i + 1 == N ? "+Inf" : FormatValue(bounds[i]);
    w.Sample(bucket, {{"le", le}}, static_cast<double>(cumulative));
  }
  w.Sample(std::string(name) + "_sum", {}, h.sum);
  w.Sample(std::string(name) + "_count", {}, static_cast<double>(h.count));
}

void EmitCompleted(PageWriter& w, const View& v) {
  w.Sample("depin_jobs_completed_total", {}, static_cast<double>(v.state.jobs_completed));
}
void EmitFailed(PageWriter& w, const View& v) {
  for (size_t r = 0; r < kFailureReasons.size(); ++r) {
    w.Sample("depin_jobs_failed_total", {{"reason", kFailureReasons[r]}},
             static_cast<double>(v.state.jobs_failed[r]));
  }
}
void EmitJobDuration(PageWriter& w, const View& v) {
  EmitHistogram(w, "depin_job_duration_seconds", v.state.job_duration, kJobDurationBuckets);
}
void EmitResponse(PageWriter& w, const View& v) {
  EmitHistogram(w, "depin_provider_response_seconds", v.state.response, kResponseBuckets);
}

// dcgm-exporter's label set: gpu index, UUID and model name.
template <typename F>
void EmitPerGpu(PageWriter& w, const View& v, std::string_view name, F value) {
  const std::string model = "NVIDIA " + v.spec.gpu_model;
  for (size_t g = 0; g < v.state.gpus.size(); ++g) {
    const std::string index = std::to_string(g);
    const GpuState& gpu = v.state.gpus[g];
    w.Sample(name, {{"gpu", index}, {"UUID", gpu.uuid}, {"modelName", model}}, value(gpu));
  }
}
void EmitGpuUtil(PageWriter& w, const View& v) {
  EmitPerGpu(w, v, "DCGM_FI_DEV_GPU_UTIL",
             [](const GpuState& g) { return std::round(g.util_percent); });
}
void EmitFbUsed(PageWriter& w, const View& v) {
  EmitPerGpu(w, v, "DCGM_FI_DEV_FB_USED", [](const GpuState& g) { return g.fb_used_mib; });
}

void EmitGpusTotal(PageWriter& w, const View& v) {
  w.Sample("depin_provider_gpus_total", {}, v.params.gpus_total);
}
void EmitGpusAllocated(PageWriter& w, const View& v) {
  w.Sample("depin_provider_gpus_allocated", {}, v.params.gpus_allocated);
}
void EmitPrice(PageWriter& w, const View& v) {
  // Rounded to a millionth of a dollar: no float noise such as 1.5299999999999998.
  w.Sample("depin_provider_price_per_gpu_hour", {},
           std::round(v.params.price_per_gpu_hour * 1e6) / 1e6);
}
void EmitInfo(PageWriter& w, const View& v) {
  w.Sample("depin_provider_info", {{"region", v.spec.region}, {"gpu_model", v.spec.gpu_model}}, 1);
}

void EmitCpu(PageWriter& w, const View& v) {
  for (size_t c = 0; c < v.state.cpu_seconds.size(); ++c) {
    const std::string cpu = std::to_string(c);
    for (size_t m = 0; m < kCpuModes.size(); ++m) {
      w.Sample("node_cpu_seconds_total", {{"cpu", cpu}, {"mode", kCpuModes[m]}},
               v.state.cpu_seconds[c][m]);
    }
  }
}
void EmitMemAvailable(PageWriter& w, const View& v) {
  w.Sample("node_memory_MemAvailable_bytes", {}, v.state.memory_available_bytes);
}
void EmitMemTotal(PageWriter& w, const View& v) {
  w.Sample("node_memory_MemTotal_bytes", {}, v.state.memory_total_bytes);
}
void EmitNetwork(PageWriter& w, const View& v) {
  w.Sample("node_network_receive_bytes_total", {{"device", "eth0"}}, v.state.network_receive_bytes);
}
void EmitDisk(PageWriter& w, const View& v) {
  w.Sample("node_disk_io_time_seconds_total", {{"device", "nvme0n1"}},
           v.state.disk_io_time_seconds);
}

struct FamilyDef {
  std::string_view name;
  std::string_view type;
  std::string_view help;
  void (*emit)(PageWriter&, const View&);
};

// Every family a provider exposes, in page order. Help texts of the
// dcgm/node series follow their real exporters.
constexpr FamilyDef kFamilies[] = {
    {"depin_jobs_completed_total", "counter", "Jobs the provider finished successfully.",
     EmitCompleted},
    {"depin_jobs_failed_total", "counter", "Jobs the provider failed, by reason.", EmitFailed},
    {"depin_job_duration_seconds", "histogram", "Duration of successfully finished jobs.",
     EmitJobDuration},
    {"depin_provider_response_seconds", "histogram",
     "Time the provider took to answer a bid or lease request.", EmitResponse},
    {"DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).", EmitGpuUtil},
    {"DCGM_FI_DEV_FB_USED", "gauge", "Framebuffer memory used (in MiB).", EmitFbUsed},
    {"depin_provider_gpus_total", "gauge", "GPUs the provider offers.", EmitGpusTotal},
    {"depin_provider_gpus_allocated", "gauge", "GPUs currently leased out.", EmitGpusAllocated},
    {"depin_provider_price_per_gpu_hour", "gauge", "Asking price in dollars per GPU-hour.",
     EmitPrice},
    {"depin_provider_info", "gauge", "Provider attributes; value is always 1.", EmitInfo},
    {"node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.", EmitCpu},
    {"node_memory_MemAvailable_bytes", "gauge", "Memory information field MemAvailable_bytes.",
     EmitMemAvailable},
    {"node_memory_MemTotal_bytes", "gauge", "Memory information field MemTotal_bytes.",
     EmitMemTotal},
    {"node_network_receive_bytes_total", "counter", "Network device statistic receive_bytes.",
     EmitNetwork},
    {"node_disk_io_time_seconds_total", "counter", "Total seconds spent doing I/Os.", EmitDisk},
};

std::string Render(const Fleet& fleet, const std::vector<size_t>& providers, bool label) {
  std::vector<Params> params;
  params.reserve(providers.size());
  for (size_t i : providers) params.push_back(fleet.ParamsAt(i, fleet.now_ms()));
  std::string out;
  out.reserve(providers.size() * 6000);
  PageWriter w(&out);
  for (const FamilyDef& f : kFamilies) {
    w.Family(f.name, f.type, f.help);
    for (size_t k = 0; k < providers.size(); ++k) {
      const size_t i = providers[k];
      w.SetProvider(label ? std::string_view(fleet.spec(i).id) : std::string_view());
      f.emit(w, View{fleet.spec(i), fleet.state(i), params[k]});
    }
  }
  return out;
}

// JSON object builder for flat objects: enough for /sd and /truth.
class JsonObject {
 public:
  JsonObject& Str(std::string_view k, std::string_view v) {
    return Raw(k, "\"" + EscapeJson(v) + "\"");
  }
  JsonObject& Num(std::string_view k, double v) {
    return Raw(k, std::isfinite(v) ? FormatValue(v) : std::string("null"));
  }
  JsonObject& Bool(std::string_view k, bool v) { return Raw(k, v ? "true" : "false"); }
  JsonObject& Raw(std::string_view k, std::string_view json) {
    body_.append(body_.empty() ? "{" : ",")
        .append("\"")
        .append(EscapeJson(k))
        .append("\":")
        .append(json);
    return *this;
  }
  std::string Done() const { return body_.empty() ? "{}" : body_ + "}"; }

 private:
  std::string body_;
};

std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out.append(i ? "," : "").append(items[i]);
  return out + "]";
}

// Derived parameters carry float noise (1 - 0.18 = 0.8200000000000001);
// nine decimals are more than any consumer of the truth needs.
double Clean(double v) { return std::round(v * 1e9) / 1e9; }

std::string TruthProvider(const Fleet& fleet, size_t i, int rank) {
  const ProviderSpec& spec = fleet.spec(i);
  const ProviderState& state = fleet.state(i);
  const int64_t now = fleet.now_ms();
  const Params p = fleet.ParamsAt(i, now);
  const Fleet::OutageSchedule schedule = fleet.ScheduleAt(i, now);
  return JsonObject()
      .Str("id", spec.id)
      .Num("quality", Clean(p.quality))
      .Num("failure_ratio", Clean(p.failure_ratio))
      .Num("mean_response_seconds", Clean(p.mean_response_s))
      .Num("mean_job_duration_seconds", Clean(p.mean_job_duration_s))
      .Num("uptime_ratio", Clean(1.0 - p.outage_ratio))
      .Num("price_per_gpu_hour", Clean(p.price_per_gpu_hour))
      .Num("gpus_total", p.gpus_total)
      .Num("gpus_allocated", p.gpus_allocated)
      .Num("gpu_util_percent", Clean(p.gpu_util_percent))
      .Str("region", spec.region)
      .Str("gpu_model", spec.gpu_model)
      .Num("expected_rank", rank)
      .Bool("up", fleet.IsUpAt(i, now))
      .Num("outage_period_seconds", static_cast<double>(schedule.period_ms) / 1000)
      .Num("outage_seconds", static_cast<double>(schedule.down_ms) / 1000)
      .Num("outage_offset_seconds", static_cast<double>(schedule.offset_ms) / 1000)
      .Num("jobs_completed", static_cast<double>(state.jobs_completed))
      .Num("jobs_failed", static_cast<double>(state.jobs_failed_total()))
      .Done();
}

// Simulated milliseconds as seconds, and as Unix time given the start.
struct TimeMap {
  double start_unix = 0;
  double time_scale = 1;
  double Seconds(int64_t ms) const { return static_cast<double>(ms) / 1000; }
  double Unix(int64_t ms) const { return start_unix + Seconds(ms) / time_scale; }
};

// An event's common part: kind, what it covers, and when (simulated seconds
// and Unix time; `until` absent for events that last to the end).
JsonObject EventBase(std::string_view kind, const TimeMap& tm, int64_t now_ms, int64_t at_ms,
                     std::optional<int64_t> until_ms) {
  JsonObject o;
  o.Str("kind", kind).Num("at_seconds", tm.Seconds(at_ms)).Num("at_time", tm.Unix(at_ms));
  if (until_ms) o.Num("until_seconds", tm.Seconds(*until_ms)).Num("until_time", tm.Unix(*until_ms));
  o.Bool("active", now_ms >= at_ms && (!until_ms || now_ms < *until_ms));
  return o;
}

std::string JsonStrings(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  quoted.reserve(items.size());
  for (const auto& s : items) quoted.push_back("\"" + EscapeJson(s) + "\"");
  return JsonArray(quoted);
}

// The planted events of the fleet (docs/simulator.md, "Scenarios").
std::string TruthEvents(const Fleet& fleet, const TimeMap& tm) {
  const int64_t now = fleet.now_ms();
  std::vector<std::string> events;
  for (const auto& o : fleet.config().outages) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < fleet.size(); ++i) {
      if (fleet.spec(i).region == o.region) ids.push_back(fleet.spec(i).id);
    }
    events.push_back(EventBase("regional_outage", tm, now, o.at_ms, o.at_ms + o.duration_ms)
                         .Str("region", o.region)
                         .Raw("providers", JsonStrings(ids))
                         .Done());
  }
  for (size_t i = 0; i < fleet.size(); ++i) {
    const ProviderSpec& spec = fleet.spec(i);
    const std::string ids = JsonStrings({spec.id});
    for (const auto& d : spec.degrade) {
      const double from = d.at_ms > 0 ? fleet.QualityAt(i, d.at_ms - 1) : spec.quality;
      events.push_back(EventBase("degrade", tm, now, d.at_ms, std::nullopt)
                           .Str("region", spec.region)
                           .Raw("providers", ids)
                           .Num("over_seconds", tm.Seconds(d.over_ms))
                           .Num("quality_from", Clean(from))
                           .Num("quality_to", Clean(d.quality))
                           .Done());
    }
    if (const auto& f = spec.flaky) {
      events.push_back(EventBase("flaky", tm, now, f->at_ms, std::nullopt)
                           .Str("region", spec.region)
                           .Raw("providers", ids)
                           .Num("outage_ratio", f->outage_ratio)
                           .Num("period_seconds", tm.Seconds(f->period_ms))
                           .Done());
    }
    if (const auto& b = spec.bottleneck) {
      events.push_back(EventBase("bottleneck", tm, now, b->at_ms, std::nullopt)
                           .Str("region", spec.region)
                           .Raw("providers", ids)
                           .Str("resource", "gpu")
                           .Num("gpu_util_percent", b->gpu_util_percent)
                           .Num("failure_ratio", b->failure_ratio)
                           .Num("response_seconds", b->response_seconds)
                           .Done());
    }
    if (const auto& s = spec.season) {
      events.push_back(EventBase("season", tm, now, 0, std::nullopt)
                           .Str("region", spec.region)
                           .Raw("providers", ids)
                           .Str("signal", "gpu_util")
                           .Num("amplitude", s->amplitude)
                           .Num("period_seconds", tm.Seconds(s->period_ms))
                           .Num("phase_seconds", tm.Seconds(s->phase_ms))
                           .Done());
    }
  }
  return JsonArray(events);
}

}  // namespace

std::string FormatValue(double v) {
  std::string out;
  exposition::AppendValue(&out, v);
  return out;
}

std::string EscapeJson(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char ch : v) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(ch));
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string RenderProviderMetrics(const Fleet& fleet, size_t provider) {
  return Render(fleet, {provider}, /*label=*/false);
}

std::string RenderFleetMetrics(const Fleet& fleet, const std::vector<size_t>& providers) {
  return Render(fleet, providers, /*label=*/true);
}

std::string RenderSelfMetrics(uint64_t scrapes_total) {
  std::string out;
  PageWriter w(&out);
  w.Family("depin_simulator_scrapes_total", "counter", "Metrics pages the simulator has served.");
  w.Sample("depin_simulator_scrapes_total", {}, static_cast<double>(scrapes_total));
  return out;
}

std::string RenderServiceDiscovery(const Fleet& fleet, std::string_view target) {
  std::vector<std::string> groups;
  groups.reserve(fleet.size());
  const std::string targets = "[\"" + EscapeJson(target) + "\"]";
  for (size_t i = 0; i < fleet.size(); ++i) {
    const std::string& id = fleet.spec(i).id;
    std::string labels = JsonObject()
                             .Str("provider", id)
                             .Str("__metrics_path__", "/providers/" + id + "/metrics")
                             .Done();
    groups.push_back(JsonObject().Raw("targets", targets).Raw("labels", labels).Done());
  }
  return JsonArray(groups) + "\n";
}

std::string RenderTruthJson(const Fleet& fleet, double unix_seconds) {
  const std::vector<size_t> order = fleet.OrderAt(fleet.now_ms());
  std::vector<int> rank(fleet.size());
  for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<int>(r) + 1;
  std::vector<std::string> providers, ids;
  for (size_t i = 0; i < fleet.size(); ++i) providers.push_back(TruthProvider(fleet, i, rank[i]));
  for (size_t i : order) ids.push_back("\"" + EscapeJson(fleet.spec(i).id) + "\"");
  const double scale = fleet.config().time_scale;
  const TimeMap tm{unix_seconds - static_cast<double>(fleet.now_ms()) / 1000 / scale, scale};
  return JsonObject()
             .Num("time", unix_seconds)
             .Num("start_time", tm.start_unix)
             .Num("simulated_seconds", static_cast<double>(fleet.now_ms()) / 1000)
             .Num("time_scale", scale)
             .Num("job_rate", fleet.config().job_rate)
             .Num("outage_period_seconds",
                  static_cast<double>(fleet.config().outage_period_ms) / 1000)
             .Raw("providers", JsonArray(providers))
             .Raw("order", JsonArray(ids))
             .Raw("events", TruthEvents(fleet, tm))
             .Done() +
         "\n";
}

}  // namespace depin::sim
