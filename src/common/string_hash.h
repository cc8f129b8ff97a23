// Hashing for unordered containers keyed by std::string that are looked up
// by std::string_view without building a string (C++20 heterogeneous lookup):
//   std::unordered_map<std::string, V, StringHash, std::equal_to<>>
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace depin {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// A map by string key with string_view lookups. The analytics keep their
// per-provider state in these: one probe per lookup, where a std::map over
// 100k providers walks ~17 nodes that are rarely in cache.
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace depin
