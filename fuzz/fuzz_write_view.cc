// Differential fuzzing of the remote-write 1.0 wire reader: for any bytes,
// ParseWriteRequestView must accept exactly what libprotobuf's parser of
// the same .proto accepts, and read the same labels and samples. Input: a
// serialized (uncompressed) WriteRequest.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "ingest/decode.h"
#include "ingest/write_view.h"

namespace {
void Check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  prometheus::WriteRequest request;
  const bool reference_ok = depin::ingest::ParseWriteRequest(raw, &request).ok();
  depin::ingest::WriteRequestView view;
  const bool view_ok = depin::ingest::ParseWriteRequestView(raw, &view).ok();
  Check(reference_ok == view_ok);
  if (!view_ok) {
    Check(view.series_count() == 0);
    return 0;
  }
  Check(view.series_count() == static_cast<size_t>(request.timeseries_size()));
  for (size_t i = 0; i < view.series_count(); ++i) {
    const auto& ts = request.timeseries(static_cast<int>(i));
    const auto labels = view.labels(i);
    const auto samples = view.samples(i);
    Check(labels.size() == static_cast<size_t>(ts.labels_size()));
    Check(samples.size() == static_cast<size_t>(ts.samples_size()));
    for (size_t k = 0; k < labels.size(); ++k) {
      Check(labels[k].name == ts.labels(static_cast<int>(k)).name());
      Check(labels[k].value == ts.labels(static_cast<int>(k)).value());
    }
    for (size_t k = 0; k < samples.size(); ++k) {
      const auto& s = ts.samples(static_cast<int>(k));
      Check(samples[k].timestamp_ms == s.timestamp());
      // Bit for bit: NaN payloads included.
      const double expected = s.value();
      Check(std::memcmp(&samples[k].value, &expected, sizeof expected) == 0);
    }
  }
  return 0;
}
