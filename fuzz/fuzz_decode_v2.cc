// Fuzzes the remote-write 2.0 decoder: io.prometheus.write.v2.Request
// parsing, symbol references, native-histogram conversion and translation
// into the 1.0 form, then the whole Ingester::Write of it into a fresh
// store. Input: a serialized (uncompressed) v2 Request; the target
// compresses it, so mutations land on message structure.
#include <prometheus/registry.h>
#include <snappy.h>

#include <google/protobuf/stubs/logging.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "ingest/decode_v2.h"
#include "ingest/ingester.h"
#include "ingest/translate_v2.h"
#include "route/router.h"

namespace {

constexpr int64_t kNowMs = 1'700'000'000'000 + 600'000;

const depin::Config& GetConfig() {
  static const depin::Config config = [] {
    depin::Config c = depin::DefaultConfig();
    c.windows.step_ms = 15'000;
    c.windows.length_ms = 600'000;
    c.limits.max_providers = 64;
    c.limits.max_series_per_provider = 512;
    c.limits.max_series_per_request = 4096;
    c.limits.max_decompressed_bytes = 1 << 20;
    return c;
  }();
  return config;
}

// The translation's promises, checked on every input it accepts.
void CheckTranslation(const depin::ingest::v2::Request& in, const prometheus::WriteRequest& out,
                      const depin::ingest::V2Translation& tr) {
  using depin::ingest::SeriesOrigin;
  const auto n = static_cast<size_t>(out.timeseries_size());
  if (tr.origin.size() != n || tr.start_ms.size() != n) __builtin_trap();
  if (tr.histograms_converted > tr.histograms) __builtin_trap();
  if (tr.dropped.size() > static_cast<size_t>(in.timeseries_size())) __builtin_trap();
  int64_t float_samples = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto& ts = out.timeseries(static_cast<int>(i));
    if (!tr.start_ms[i].empty() && tr.start_ms[i].size() != static_cast<size_t>(ts.samples_size()))
      __builtin_trap();
    if (tr.origin[i] == SeriesOrigin::kFloat) float_samples += ts.samples_size();
    for (const auto& l : ts.labels()) {
      double le;
      if (l.name() == "le" && tr.origin[i] == SeriesOrigin::kHistogramPart &&
          !depin::route::ParseLe(l.value(), &le))
        __builtin_trap();  // every converted bucket has an `le` the router accepts
    }
  }
  if (float_samples > tr.float_samples) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const depin::Config& config = GetConfig();
  static const depin::route::Router router(config);
  const std::string_view raw(reinterpret_cast<const char*>(data), size);

  depin::ingest::v2::Request request;
  if (depin::ingest::ParseWriteV2Request(raw, &request).ok()) {
    prometheus::WriteRequest out;
    depin::ingest::V2Translation tr;
    const depin::ingest::TranslateLimits limits{4096, 1 << 17};
    if (depin::ingest::TranslateV2Request(request, router, limits, &out, &tr).ok()) {
      CheckTranslation(request, out, tr);
    }
    for (const auto& ts : request.timeseries()) {
      for (const auto& h : ts.histograms()) {
        depin::ingest::ClassicHistogram c;
        if (!depin::ingest::ToClassicHistogram(h, &c).ok()) continue;
        double previous = -INFINITY;
        for (const auto& [bound, count] : c.buckets) {
          if (!(bound > previous) || !(count >= 0)) __builtin_trap();  // ascending, counted
          previous = bound;
        }
      }
    }
  }

  std::string body;
  snappy::Compress(raw.data(), raw.size(), &body);
  prometheus::Registry registry;
  depin::windows::WindowStore store(config.windows, config.limits);
  depin::ingest::Ingester ingester(config.limits, router, store, registry);
  const depin::ingest::WriteInput input{
      "application/x-protobuf;proto=io.prometheus.write.v2.Request", "snappy", body};
  depin::ingest::WriteOutcome result = ingester.Write(input, kNowMs);
  if (result.samples_stored > result.samples_received) __builtin_trap();
  if (result.samples_written > result.samples_stored) __builtin_trap();
  if (!result.remote_write_v2) __builtin_trap();
  (void)store.Snapshot(kNowMs);
  return 0;
}
