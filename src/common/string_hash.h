// Hashing for unordered containers keyed by std::string that are looked up
// by std::string_view without building a string (C++20 heterogeneous lookup):
//   std::unordered_map<std::string, V, StringHash, std::equal_to<>>
#pragma once

#include <functional>
#include <string_view>

namespace depin {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace depin
