// Fuzzes the remote-write 1.0 body decoders alone: a snappy block, then a
// prometheus.WriteRequest read in place (fuzz_write_view compares that
// reader with libprotobuf). Input: the request body as sent on the wire.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/decode.h"
#include "ingest/write_view.h"

// libprotobuf logs every invalid UTF-8 string it rejects; the fuzzer finds
// thousands, and the log would hide the sanitizer reports.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string raw;
  // 1 MiB: large enough for every seed, small enough that a length header
  // near the limit is cheap to allocate.
  depin::Status st = depin::ingest::DecompressSnappy(body, 1 << 20, &raw);
  if (!st.ok()) return 0;
  depin::ingest::WriteRequestView request;
  if (!depin::ingest::ParseWriteRequestView(raw, &request).ok()) return 0;
  const depin::ingest::LabelLimits limits;
  for (size_t i = 0; i < request.series_count(); ++i) {
    depin::ingest::ValidateLabels(request.labels(i), limits);
  }
  return 0;
}
