// Sends remote-write 1.0 requests to one target over HTTP(S), with its
// authentication and TLS settings. Used by one sender thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "config/config.h"

namespace httplib {
class Client;
}

namespace depin::forward {

struct SendResult {
  int status = 0;               // HTTP status; 0 when no response came
  int64_t retry_after_ms = -1;  // from Retry-After; -1 when absent
  std::string error;            // connection error, or the start of the response body
};

class RemoteClient {
 public:
  // Reads the secret files now; InvalidArgument on a bad URL, NotFound on an
  // unreadable secret, CA, certificate or key file.
  static Result<std::unique_ptr<RemoteClient>> Create(const RemoteWriteConfig& config,
                                                      const std::string& user_agent);
  ~RemoteClient();
  RemoteClient(const RemoteClient&) = delete;
  RemoteClient& operator=(const RemoteClient&) = delete;

  // POSTs one compressed WriteRequest with the remote-write 1.0 headers.
  SendResult Send(const std::string& body);

 private:
  RemoteClient() = default;
  std::unique_ptr<httplib::Client> http_;
  std::string path_;
  std::string authorization_;  // the Authorization header value, or empty
  std::string user_agent_;
};

}  // namespace depin::forward
