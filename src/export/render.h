// Renders the derived series of one evaluation (DESIGN §4) as text.
#pragma once

#include <string>

#include "analytics/scoreboard.h"
#include "export/text_writer.h"

namespace depin::exposition {

// The derived families in text format 0.0.4, every family with HELP and TYPE.
// Providers without a score only appear in depin_provider_confidence (0).
// The text is written into `buffer` (its contents are discarded), so that
// a body no longer served can lend its memory to the next one.
std::string RenderScoreboard(const analytics::Scoreboard& board, std::string buffer = {});

// The same families and samples, handed to any sink (e.g. the store).
void RenderScoreboard(const analytics::Scoreboard& board, SampleSink& sink);

}  // namespace depin::exposition
