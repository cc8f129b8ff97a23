// A Report as a document: CSV (one table, a row per provider) or a
// self-contained HTML page with inline SVG charts (no script, no external
// stylesheet). Both are pure functions of the Report.
#pragma once

#include <string>
#include <vector>

#include "report/report.h"

namespace depin::report {

// The CSV header, in order (documented in docs/reports.md).
const std::vector<std::string>& CsvColumns();

// RFC 4180: a header line, then one line per provider in rank order
// (unranked last); absent figures are empty fields. Lines end with \r\n.
std::string RenderCsv(const Report& report);

// A complete HTML5 document: summary, leaders per tier, movers, incidents,
// cost efficiency by tier and region, capacity outlook; charts inline.
std::string RenderHtml(const Report& report);

}  // namespace depin::report
