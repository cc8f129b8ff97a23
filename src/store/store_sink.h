// Feeds rendered families into the store: the same samples /metrics shows,
// stamped with the evaluation time.
#pragma once

#include <cstdint>

#include "export/text_writer.h"
#include "store/store.h"

namespace depin::store {

class StoreSink : public exposition::SampleSink {
 public:
  StoreSink(Store& store, int64_t t_ms) : store_(store), t_ms_(t_ms) {}
  void Family(std::string_view, std::string_view, std::string_view) override {}
  // NaN and infinities are stored as Prometheus stores them.
  void Sample(std::string_view name, std::initializer_list<exposition::LabelPair> labels,
              double value) override;
  int64_t appended() const { return appended_; }
  int64_t rejected() const { return rejected_; }  // out of order or bad labels

 private:
  Store& store_;
  int64_t t_ms_;
  int64_t appended_ = 0;
  int64_t rejected_ = 0;
};

}  // namespace depin::store
