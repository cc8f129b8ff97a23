// Prometheus series selectors, `metric{label="v",other=~"re"}`, parsed
// strictly into store matchers (docs/query.md). Only selectors: no ranges,
// offsets, functions or operators, so nothing pretends to be PromQL.
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace depin::query {

// Matchers of one selector: the metric name (if given) as __name__="...",
// then the braces' matchers in order. Strings may be quoted with ", ' or `
// (Go escapes in the first two). As Prometheus, at least one matcher must
// not match the empty string, and a trailing comma inside braces is allowed.
// Regexes are checked here (anchored, as the store runs them).
// InvalidArgument with the character position of the first problem.
Result<std::vector<store::Matcher>> ParseSelector(std::string_view text);

}  // namespace depin::query
