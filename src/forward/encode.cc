#include "forward/encode.h"

#include <snappy.h>

#include <algorithm>
#include <map>

#include "remote.pb.h"

namespace depin::forward {

std::string EncodeWriteRequest(const std::vector<Sample>& samples) {
  prometheus::WriteRequest request;
  std::map<Labels, prometheus::TimeSeries*> series;
  for (const Sample& s : samples) {
    Labels sorted = s.labels;
    std::sort(sorted.begin(), sorted.end());
    auto [it, fresh] = series.try_emplace(std::move(sorted), nullptr);
    if (fresh) {
      it->second = request.add_timeseries();
      for (const auto& [name, value] : it->first) {
        auto* label = it->second->add_labels();
        label->set_name(name);
        label->set_value(value);
      }
    }
    auto* sample = it->second->add_samples();
    sample->set_timestamp(s.t_ms);
    sample->set_value(s.value);
  }
  std::string raw = request.SerializeAsString();
  std::string body;
  snappy::Compress(raw.data(), raw.size(), &body);
  return body;
}

Result<std::vector<Sample>> DecodeWriteRequest(std::string_view body) {
  std::string raw;
  if (!snappy::Uncompress(body.data(), body.size(), &raw)) {
    return Status::InvalidArgument("remote-write body: bad snappy block");
  }
  prometheus::WriteRequest request;
  if (!request.ParseFromString(raw)) {
    return Status::InvalidArgument("remote-write body: not a WriteRequest");
  }
  std::vector<Sample> out;
  for (const auto& ts : request.timeseries()) {
    Labels labels;
    for (const auto& l : ts.labels()) labels.emplace_back(l.name(), l.value());
    for (const auto& s : ts.samples()) out.push_back({labels, s.timestamp(), s.value()});
  }
  return out;
}

}  // namespace depin::forward
