#include "store/store_sink.h"

namespace depin::store {

void StoreSink::Sample(std::string_view name, std::initializer_list<exposition::LabelPair> labels,
                       double value) {
  Labels l;
  l.reserve(labels.size() + 1);
  l.emplace_back("__name__", std::string(name));
  for (const auto& [k, v] : labels) l.emplace_back(std::string(k), std::string(v));
  if (store_.Append(std::move(l), t_ms_, value).ok()) {
    ++appended_;
  } else {
    ++rejected_;
  }
}

}  // namespace depin::store
