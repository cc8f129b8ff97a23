#include "common/cli.h"

#include <sys/socket.h>

#include <charconv>

namespace depin::cli {

void FlagSet::Value(std::string name, std::string placeholder, std::string help,
                    std::function<Status(const std::string&)> set) {
  flags_.push_back(
      {std::move(name), std::move(placeholder), std::move(help), true, std::move(set)});
}

void FlagSet::String(std::string name, std::string placeholder, std::string help,
                     std::string* target) {
  Value(std::move(name), std::move(placeholder), std::move(help), [target](const std::string& v) {
    *target = v;
    return Status::Ok();
  });
}

void FlagSet::Bool(std::string name, std::string help, bool* target) {
  flags_.push_back({std::move(name), "", std::move(help), false, [target](const std::string&) {
                      *target = true;
                      return Status::Ok();
                    }});
}

const FlagSet::Flag* FlagSet::Find(const std::string& name) const {
  for (const auto& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Status FlagSet::Parse(const std::vector<std::string>& args) const {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0)
      return Status::InvalidArgument("unexpected argument \"" + arg + "\"");
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const Flag* flag = Find(name);
    if (flag == nullptr) return Status::InvalidArgument("unknown flag --" + name);
    if (!flag->takes_value && has_value) {
      return Status::InvalidArgument("flag --" + name + " takes no value");
    }
    if (flag->takes_value && !has_value) {
      if (i + 1 >= args.size()) return Status::InvalidArgument("flag --" + name + " needs a value");
      value = args[++i];
    }
    Status st = flag->set(value);
    if (!st.ok()) return Status::InvalidArgument("--" + name + ": " + st.message());
  }
  return Status::Ok();
}

std::string FlagSet::Help() const {
  std::string out = "Flags:\n";
  for (const auto& f : flags_) {
    std::string left = "  --" + f.name + (f.takes_value ? "=" + f.placeholder : "");
    // Long flag names put their help on the next line.
    left += left.size() < 32 ? std::string(32 - left.size(), ' ') : "\n" + std::string(32, ' ');
    out += left + f.help + "\n";
  }
  return out;
}

Result<HostPort> ParseHostPort(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("address \"" + text + "\" must be host:port");
  }
  HostPort a;
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  std::string_view port = std::string_view(text).substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || a.port < 0 ||
      a.port > 65535) {
    return Status::InvalidArgument("address \"" + text + "\" has an invalid port");
  }
  return a;
}

std::string JoinHostPort(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

sigset_t BlockTerminationSignals(bool include_hup) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (include_hup) sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return set;
}

void SetListenSocketOptions(int socket_fd) {
  int yes = 1;
  setsockopt(socket_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

}  // namespace depin::cli
