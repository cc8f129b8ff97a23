// Command-line flags in Prometheus style: --name=value or --name value.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace depin::app {

struct Flags {
  std::string config_file;  // empty: built-in defaults
  std::string listen_address = "0.0.0.0:9470";
  std::string web_config_file;  // empty: plain HTTP, no authentication
  bool enable_lifecycle = false;
  std::string log_level = "info";
  bool check_config = false;
  bool help = false;
  bool version = false;
};

// Parses argv[1..]; unknown flags and missing values are errors.
Result<Flags> ParseFlags(const std::vector<std::string>& args);

std::string Usage();

}  // namespace depin::app
