// Query results as Prometheus's HTTP API writes a matrix, and as CSV.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/evaluate.h"

namespace depin::query {

// {"status":"success","data":{"resultType":"matrix","result":[{"metric":{...},
// "values":[[<unix seconds>,"<value>"],...]}]}}: times are numbers, values
// strings ("NaN", "+Inf", "-Inf"), exactly as Prometheus's query_range.
std::string MatrixJson(const std::vector<ResultSeries>& series);

// Header: every label name of the result (__name__ first, then sorted),
// then timestamp (unix seconds) and value; one row per (series, timestamp).
// A label a series lacks is an empty cell. Fields are quoted per RFC 4180.
std::string MatrixCsv(const std::vector<ResultSeries>& series);

// {"status":"error","errorType":"<type>","error":"<message>"}
std::string ErrorJson(std::string_view error_type, std::string_view message);

// Prometheus's renderings: "1700000000.5" seconds, "0.1" (shortest
// round-trip, never an exponent), "NaN", "+Inf", "-Inf".
std::string FormatTimestamp(int64_t ms);
std::string FormatValue(double v);

}  // namespace depin::query
