#include "payload.h"

#include <snappy.h>

#include <algorithm>
#include <map>

namespace depin::bench {
namespace {

using LabelMap = std::map<std::string, std::string>;

void Add(prometheus::WriteRequest* req, const LabelMap& labels, int64_t ts, double value) {
  // std::map iterates sorted: as Prometheus sends
  AddSeries(req, LabelPairs(labels.begin(), labels.end()), {{ts, value}});
}

}  // namespace

void AddSeries(prometheus::WriteRequest* request, const LabelPairs& labels,
               const SamplePairs& samples) {
  auto* series = request->add_timeseries();
  for (const auto& [name, value] : labels) {
    auto* l = series->add_labels();
    l->set_name(name);
    l->set_value(value);
  }
  for (const auto& [ts, value] : samples) {
    auto* s = series->add_samples();
    s->set_timestamp(ts);
    s->set_value(value);
  }
}

prometheus::WriteRequest MakeRequest(const PayloadOptions& o, int scrape) {
  prometheus::WriteRequest req;
  const int64_t ts = o.timestamp_ms + scrape * 15'000LL;
  for (int p = 0; p < o.providers; ++p) {
    char id[16];
    std::snprintf(id, sizeof id, "p-%06d", p);
    LabelMap base = {
        {"instance", std::string("10.0.0.1:9500")}, {"job", "depin-providers"}, {"provider", id}};
    auto with = [&base](std::initializer_list<std::pair<const std::string, std::string>> extra) {
      LabelMap m = base;
      m.insert(extra);
      return m;
    };
    const double t = scrape + p * 0.01;
    Add(&req, with({{"__name__", "up"}}), ts, 1);
    Add(&req, with({{"__name__", "depin_jobs_completed_total"}}), ts, 100 + 30 * t);
    for (const char* reason : {"timeout", "oom", "hardware", "preempted"}) {
      Add(&req, with({{"__name__", "depin_jobs_failed_total"}, {"reason", reason}}), ts, 2 + t);
    }
    for (const char* family : {"depin_job_duration_seconds", "depin_provider_response_seconds"}) {
      std::string f = family;
      int i = 1;
      for (const char* le : {"0.5", "1", "5", "30", "60", "300", "600", "3600", "+Inf"}) {
        Add(&req, with({{"__name__", f + "_bucket"}, {"le", le}}), ts, i++ * (10 + t));
      }
      Add(&req, with({{"__name__", f + "_sum"}}), ts, 1000 + 50 * t);
      Add(&req, with({{"__name__", f + "_count"}}), ts, 90 + 9 * t);
    }
    for (int g = 0; g < o.gpus_per_provider; ++g) {
      std::string gpu = std::to_string(g);
      Add(&req,
          with({{"__name__", "DCGM_FI_DEV_GPU_UTIL"}, {"gpu", gpu}, {"modelName", "NVIDIA A100"}}),
          ts, 60 + g);
      Add(&req,
          with({{"__name__", "DCGM_FI_DEV_FB_USED"}, {"gpu", gpu}, {"modelName", "NVIDIA A100"}}),
          ts, 30000 + g);
    }
    for (int c = 0; c < o.cpus_per_provider; ++c) {
      for (const char* mode : {"idle", "user", "system", "iowait"}) {
        Add(&req,
            with({{"__name__", "node_cpu_seconds_total"},
                  {"cpu", std::to_string(c)},
                  {"mode", mode}}),
            ts, 1000 + t);
      }
    }
    Add(&req, with({{"__name__", "node_memory_MemAvailable_bytes"}}), ts, 1e10);
    Add(&req, with({{"__name__", "node_memory_MemTotal_bytes"}}), ts, 6.4e10);
    Add(&req, with({{"__name__", "depin_provider_gpus_total"}}), ts, o.gpus_per_provider);
    Add(&req, with({{"__name__", "depin_provider_gpus_allocated"}}), ts, 3);
    Add(&req, with({{"__name__", "depin_provider_price_per_gpu_hour"}}), ts, 2.1);
    Add(&req,
        with({{"__name__", "depin_provider_info"}, {"gpu_model", "A100"}, {"region", "eu-west"}}),
        ts, 1);
    Add(&req, with({{"__name__", "go_goroutines"}}), ts, 42);  // outside the contract
  }
  return req;
}

std::string Compress(const prometheus::WriteRequest& request) {
  std::string raw = request.SerializeAsString(), out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

int64_t CountSamples(const prometheus::WriteRequest& request) {
  int64_t n = 0;
  for (const auto& s : request.timeseries()) n += s.samples_size();
  return n;
}

}  // namespace depin::bench
