// A logfmt logger (ts=... level=... msg=... key=value), passed explicitly.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace depin {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn", "error"; false when unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);

class Logger {
 public:
  using Field = std::pair<std::string_view, std::string>;

  explicit Logger(LogLevel level = LogLevel::kInfo, std::FILE* out = stderr)
      : level_(level), out_(out) {}

  void Log(LogLevel level, std::string_view msg, std::initializer_list<Field> fields = {});
  void Debug(std::string_view msg, std::initializer_list<Field> f = {}) {
    Log(LogLevel::kDebug, msg, f);
  }
  void Info(std::string_view msg, std::initializer_list<Field> f = {}) {
    Log(LogLevel::kInfo, msg, f);
  }
  void Warn(std::string_view msg, std::initializer_list<Field> f = {}) {
    Log(LogLevel::kWarn, msg, f);
  }
  void Error(std::string_view msg, std::initializer_list<Field> f = {}) {
    Log(LogLevel::kError, msg, f);
  }
  void set_level(LogLevel level) { level_ = level; }

 private:
  LogLevel level_;
  std::FILE* out_;
  std::mutex mu_;
};

// Quotes a value for logfmt when it contains spaces, quotes or '='.
std::string LogfmtValue(std::string_view value);

}  // namespace depin
