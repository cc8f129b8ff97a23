// GET /api/v1/reports?period=24h&format=html|csv: a report on demand, built
// from the newest evaluation, the audit trail and the derived history.
// HTTP-free like the JSON API: the server hands in a PlainRequest.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/http_types.h"
#include "common/status.h"
#include "evaluate/evaluator.h"
#include "report/report.h"
#include "store/store.h"

namespace depin::report {

// Where a report's data comes from; `history` may be null.
struct ReportSources {
  std::function<std::shared_ptr<const evaluate::Evaluation>()> latest;
  std::function<std::vector<analytics::AuditRecord>()> audit;  // all records
  const store::Store* history = nullptr;
};

enum class Format { kHtml, kCsv };

struct Document {
  std::string content_type;  // with charset
  std::string body;
};

// The report over `period_ms` up to the newest evaluation. Unavailable
// before the first evaluation.
Result<Report> BuildLatest(const ReportSources& sources, int64_t period_ms,
                           const ReportOptions& options = {});

// The report in `format`.
Document Render(const Report& report, Format format);

class ReportHandler {
 public:
  ReportHandler(ReportSources sources, int64_t default_period_ms, int64_t max_period_ms);

  // 200 with the document; errors are {"error": "..."}: 400 for an unknown,
  // repeated or invalid parameter (period over the maximum included), 405
  // for anything but GET, 503 before the first evaluation, 500 when the
  // history cannot be read.
  PlainResponse Handle(const PlainRequest& request) const;

 private:
  ReportSources sources_;
  int64_t default_period_ms_;
  int64_t max_period_ms_;
};

}  // namespace depin::report
