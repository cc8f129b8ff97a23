// Transport-neutral request and response, so handlers above the server
// (the JSON API) stay free of the HTTP library.
#pragma once

#include <map>
#include <string>

namespace depin {

struct PlainRequest {
  std::string method;
  std::string path;
  std::multimap<std::string, std::string> params;  // decoded query parameters
  std::string body;
};

struct PlainResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

}  // namespace depin
