#include "query/handler.h"

#include <utility>

#include "query/render.h"

namespace depin::query {
namespace {

PlainResponse Error(int status, std::string_view type, std::string_view message) {
  return {status, "application/json", ErrorJson(type, message)};
}

PlainResponse FromStatus(const Status& st) {
  if (st.code() == Status::Code::kTooLarge) return Error(422, "execution", st.message());
  if (st.code() == Status::Code::kInvalidArgument) return Error(400, "bad_data", st.message());
  return Error(500, "internal", st.message());
}

}  // namespace

HistoryHandler::HistoryHandler(const store::Store& store, HistoryOptions options,
                               std::function<int64_t()> now_ms)
    : store_(store), options_(options), now_ms_(std::move(now_ms)) {}

PlainResponse HistoryHandler::Handle(const PlainRequest& request) const {
  if (request.method != "GET" && request.method != "POST") {
    return Error(405, "bad_data", "use GET, or POST with a form body");
  }
  auto params = request.params;
  if (request.method == "POST" && !request.body.empty()) {
    auto form = ParseForm(request.body);
    if (!form.ok()) return FromStatus(form.status());
    // The HTTP server may have merged the form into the parameters already;
    // add only the pairs it did not.
    for (auto& [name, value] : form.value()) {
      bool present = false;
      auto [begin, end] = params.equal_range(name);
      for (auto it = begin; it != end && !present; ++it) present = it->second == value;
      if (!present) params.emplace(name, value);
    }
  }
  auto parsed = ParseHistoryParams(params, options_.defaults, now_ms_());
  if (!parsed.ok()) return FromStatus(parsed.status());
  auto result = Evaluate(store_, parsed->query, options_.limits);
  if (!result.ok()) return FromStatus(result.status());
  if (parsed->csv) return {200, "text/csv; charset=utf-8", MatrixCsv(result.value())};
  return {200, "application/json", MatrixJson(result.value())};
}

}  // namespace depin::query
