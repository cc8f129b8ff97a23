// Command-line plumbing shared by the executables: Prometheus-style flags
// (--name=value or --name value), listen addresses and termination signals.
#pragma once

#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace depin::cli {

class FlagSet {
 public:
  // A flag taking a value; `set` validates and stores it.
  void Value(std::string name, std::string placeholder, std::string help,
             std::function<Status(const std::string&)> set);
  // A string flag stored as given.
  void String(std::string name, std::string placeholder, std::string help, std::string* target);
  // A flag without a value (--help).
  void Bool(std::string name, std::string help, bool* target);

  // Parses argv[1..]; unknown flags, stray arguments and missing or invalid
  // values are errors naming the flag.
  Status Parse(const std::vector<std::string>& args) const;
  // The "Flags:" section of a usage text.
  std::string Help() const;

 private:
  struct Flag {
    std::string name, placeholder, help;
    bool takes_value;
    std::function<Status(const std::string&)> set;
  };
  const Flag* Find(const std::string& name) const;
  std::vector<Flag> flags_;
};

struct HostPort {
  std::string host;  // without IPv6 brackets; "0.0.0.0" for ":port"
  int port = 0;
};

// Parses "host:port", ":port" or "[v6]:port".
Result<HostPort> ParseHostPort(const std::string& text);
// "host:port", bracketing IPv6 hosts.
std::string JoinHostPort(const std::string& host, int port);

// Blocks SIGINT, SIGTERM (and SIGHUP when asked) in the calling thread and
// every thread it starts later, so one thread can sigwait() for them; ignores
// SIGPIPE. Call before starting any thread.
sigset_t BlockTerminationSignals(bool include_hup);

// Socket options for a listening socket: SO_REUSEADDR only. (cpp-httplib's
// default adds SO_REUSEPORT, with which a second process binds the same port
// silently instead of failing with "address in use".)
void SetListenSocketOptions(int socket_fd);

}  // namespace depin::cli
