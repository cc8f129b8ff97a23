// Strict YAML reading shared by every config loader: each key is looked up
// by name, and keys nobody asked for are reported as unknown.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace depin::yaml {

// Reads one mapping; `path` ("windows", "providers[2]") prefixes messages.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  // InvalidArgument unless the node is a mapping.
  Status CheckMap() const;
  // The child at `key` (undefined when absent); marks the key as known.
  YAML::Node Get(std::string_view key);
  // "path.key", for messages.
  std::string Path(std::string_view key) const;
  // InvalidArgument naming the first key that Get() was never asked for.
  Status CheckUnknown() const;

 private:
  YAML::Node node_;  // a handle: held by value, callers often pass temporaries
  std::string path_;
  std::vector<std::string> known_;
};

// Each Read* leaves `out` untouched when the key is absent, and returns an
// error naming the key when the value has the wrong type.
template <typename T>
Status ReadScalar(MapReader& r, std::string_view key, T* out, const char* expected) {
  YAML::Node n = r.Get(key);
  if (!n) return Status::Ok();
  if (!n.IsScalar()) return Status::InvalidArgument(r.Path(key) + ": expected " + expected);
  try {
    *out = n.as<T>();
  } catch (const YAML::Exception&) {
    return Status::InvalidArgument(r.Path(key) + ": expected " + expected);
  }
  return Status::Ok();
}
template <typename T>
Status ReadNumber(MapReader& r, std::string_view key, T* out) {
  return ReadScalar(r, key, out, "a number");
}
inline Status ReadBool(MapReader& r, std::string_view key, bool* out) {
  return ReadScalar(r, key, out, "true or false");
}
inline Status ReadString(MapReader& r, std::string_view key, std::string* out) {
  return ReadScalar(r, key, out, "a string");
}
Status ReadOptional(MapReader& r, std::string_view key, std::optional<double>* out);
Status ReadStringList(MapReader& r, std::string_view key, std::vector<std::string>* out);
// A Prometheus duration ("15s") into milliseconds.
Status ReadDuration(MapReader& r, std::string_view key, int64_t* out_ms);

}  // namespace depin::yaml
