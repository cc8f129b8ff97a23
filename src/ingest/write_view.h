// WriteRequestView: a decoded remote-write 1.0 request (prometheus.WriteRequest)
// as flat arrays of label and sample references, with no per-string copies.
// The ingest path reads only labels and float samples, so the wire reader
// below decodes just those and checks the rest only for well-formedness
// (docs/architecture.md, "A wire reader of our own for remote-write 1.0").
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "remote.pb.h"
#include "route/router.h"

namespace depin::ingest {

struct SampleRef {
  int64_t timestamp_ms = 0;
  double value = 0;
};

class WriteRequestView {
 public:
  size_t series_count() const { return series_.size(); }
  // The labels and samples of series `i`, in wire order. The string_views
  // point into whatever the view was built from and live as long as it.
  std::span<const route::LabelRef> labels(size_t i) const;
  std::span<const SampleRef> samples(size_t i) const;

  // Empties the view, keeping its capacity.
  void Clear();
  // Building: a series, then its labels and samples.
  void StartSeries() {
    series_.push_back(
        {static_cast<uint32_t>(labels_.size()), static_cast<uint32_t>(samples_.size())});
  }
  void AddLabel(std::string_view name, std::string_view value) { labels_.push_back({name, value}); }
  void AddSample(int64_t timestamp_ms, double value) { samples_.push_back({timestamp_ms, value}); }

 private:
  struct SeriesStart {
    uint32_t label_begin;
    uint32_t sample_begin;
  };
  std::vector<SeriesStart> series_;
  std::vector<route::LabelRef> labels_;
  std::vector<SampleRef> samples_;
};

// Decodes a serialized prometheus.WriteRequest into `view` (cleared first),
// whose strings then point into `raw`. Accepts and rejects exactly what
// libprotobuf's parser of proto/remote.proto does, with the same result:
// unknown fields and fields of an unexpected wire type are skipped (groups
// included, nested at most 100 deep), the last occurrence of a scalar
// wins, and exemplars and metadata are checked but not kept.
// InvalidArgument when `raw` is not a WriteRequest.
Status ParseWriteRequestView(std::string_view raw, WriteRequestView* view);

// Fills `view` (cleared first) with references into `request`, which must
// outlive it and stay unchanged.
void ViewWriteRequest(const prometheus::WriteRequest& request, WriteRequestView* view);

}  // namespace depin::ingest
