#include "config/yaml_reader.h"

#include <algorithm>

#include "common/duration.h"

namespace depin::yaml {

Status MapReader::CheckMap() const {
  if (!node_.IsMap()) {
    return Status::InvalidArgument((path_.empty() ? "" : path_ + ": ") + "expected a mapping");
  }
  return Status::Ok();
}

YAML::Node MapReader::Get(std::string_view key) {
  known_.emplace_back(key);
  return node_[std::string(key)];
}

std::string MapReader::Path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Status MapReader::CheckUnknown() const {
  for (const auto& kv : node_) {
    auto key = kv.first.as<std::string>();
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
      return Status::InvalidArgument("unknown key \"" + Path(key) + "\"");
    }
  }
  return Status::Ok();
}

Status ReadOptional(MapReader& r, std::string_view key, std::optional<double>* out) {
  double v = 0;
  if (!r.Get(key)) return Status::Ok();
  Status st = ReadNumber(r, key, &v);
  if (st.ok()) *out = v;
  return st;
}

Status ReadStringList(MapReader& r, std::string_view key, std::vector<std::string>* out) {
  YAML::Node n = r.Get(key);
  if (!n) return Status::Ok();
  if (!n.IsSequence()) return Status::InvalidArgument(r.Path(key) + ": expected a list");
  out->clear();
  for (const auto& v : n) {
    if (!v.IsScalar()) return Status::InvalidArgument(r.Path(key) + ": expected strings");
    out->push_back(v.as<std::string>());
  }
  return Status::Ok();
}

Status ReadDuration(MapReader& r, std::string_view key, int64_t* out_ms) {
  std::string text;
  if (!r.Get(key)) return Status::Ok();
  Status st = ReadString(r, key, &text);
  if (!st.ok()) return Status::InvalidArgument(r.Path(key) + ": expected a duration");
  auto d = ParseDuration(text);
  if (!d.ok()) return Status::InvalidArgument(r.Path(key) + ": " + d.status().message());
  *out_ms = d.value();
  return Status::Ok();
}

}  // namespace depin::yaml
