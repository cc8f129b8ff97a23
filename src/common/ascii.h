// ASCII helpers for protocol text (HTTP header values, media types).
#pragma once

#include <algorithm>
#include <cctype>
#include <string_view>

namespace depin {

// Compares ASCII letters without regard to case (header tokens, RFC 9110).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace).
inline std::string_view TrimHttpWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace depin
