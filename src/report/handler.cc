#include "report/handler.h"

#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "report/render.h"

namespace depin::report {
namespace {

PlainResponse Error(int status, const std::string& message) {
  return {status, "application/json", nlohmann::json{{"error", message}}.dump()};
}

}  // namespace

Result<Report> BuildLatest(const ReportSources& sources, int64_t period_ms,
                           const ReportOptions& options) {
  auto latest = sources.latest ? sources.latest() : nullptr;
  if (latest == nullptr) return Status::Unavailable("no evaluation yet; retry after the first one");
  ReportInputs in;
  in.latest = latest.get();
  if (sources.audit) in.audit = sources.audit();
  in.history = sources.history;
  in.period_ms = period_ms;
  in.now_ms = latest->at_ms;
  return BuildReport(in, options);
}

Document Render(const Report& report, Format format) {
  if (format == Format::kCsv) return {"text/csv; charset=utf-8", RenderCsv(report)};
  return {"text/html; charset=utf-8", RenderHtml(report)};
}

ReportHandler::ReportHandler(ReportSources sources, int64_t default_period_ms,
                             int64_t max_period_ms)
    : sources_(std::move(sources)),
      default_period_ms_(default_period_ms),
      max_period_ms_(max_period_ms) {}

PlainResponse ReportHandler::Handle(const PlainRequest& req) const {
  if (req.method != "GET") return Error(405, "use GET");
  int64_t period_ms = std::min(default_period_ms_, max_period_ms_);
  Format format = Format::kHtml;
  for (const auto& [name, value] : req.params) {
    if (req.params.count(name) > 1) return Error(400, "parameter \"" + name + "\" repeated");
    if (name == "period") {
      auto p = ParsePeriod(value, max_period_ms_);
      if (!p.ok()) return Error(400, p.status().message());
      period_ms = p.value();
    } else if (name == "format") {
      if (value == "html") {
        format = Format::kHtml;
      } else if (value == "csv") {
        format = Format::kCsv;
      } else {
        return Error(400, "parameter \"format\": html or csv, got \"" + value + "\"");
      }
    } else {
      return Error(400, "unknown parameter \"" + name + "\" (period, format)");
    }
  }
  auto report = BuildLatest(sources_, period_ms);
  if (!report.ok()) {
    if (report.status().code() == Status::Code::kUnavailable) {
      return Error(503, report.status().message());
    }
    return Error(500, "cannot build the report: " + report.status().message());
  }
  Document doc = Render(*report, format);
  return {200, std::move(doc.content_type), std::move(doc.body)};
}

}  // namespace depin::report
