// Fuzzes the whole remote-write 1.0 ingest path: Ingester::Write with a
// snappy-compressed protobuf body, then a windows Snapshot. Input: a
// serialized (uncompressed) WriteRequest; the target compresses it, so the
// fuzzer spends its time on protobuf and sample structure rather than on
// snappy framing (fuzz_decode covers that). Each input gets a fresh store
// and is written twice (the second time as a retry 15 s later), so
// duplicates and out-of-order samples are exercised as well.
#include <prometheus/registry.h>
#include <snappy.h>

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "ingest/ingester.h"

namespace {

// Sample timestamps in the seed corpus start here (see make_corpus.cc).
constexpr int64_t kNowMs = 1'700'000'000'000 + 600'000;

const depin::Config& GetConfig() {
  static const depin::Config config = [] {
    depin::Config c = depin::DefaultConfig();
    c.windows.step_ms = 15'000;
    c.windows.length_ms = 600'000;
    c.limits.max_providers = 64;
    c.limits.max_series_per_provider = 256;
    c.limits.max_series_per_request = 4096;
    c.limits.max_labels_per_series = 16;
    c.limits.max_label_value_length = 128;
    c.limits.max_decompressed_bytes = 1 << 20;
    return c;
  }();
  return config;
}

}  // namespace

// libprotobuf logs every invalid UTF-8 string it rejects; the fuzzer finds
// thousands, and the log would hide the sanitizer reports.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const depin::Config& config = GetConfig();
  static const depin::route::Router router(config);
  std::string body;
  snappy::Compress(reinterpret_cast<const char*>(data), size, &body);

  prometheus::Registry registry;
  depin::windows::WindowStore store(config.windows, config.limits);
  depin::ingest::Ingester ingester(config.limits, router, store, registry);
  const depin::ingest::WriteInput input{"application/x-protobuf", "snappy", body};
  for (int64_t now : {kNowMs, kNowMs + 15'000}) {
    depin::ingest::WriteOutcome out = ingester.Write(input, now);
    if (out.samples_stored > out.samples_received) __builtin_trap();
    (void)store.Snapshot(now);
  }
  return 0;
}
