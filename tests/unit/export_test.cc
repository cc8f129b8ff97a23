#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "analytics/scoreboard.h"
#include "export/render.h"
#include "export/text_writer.h"

namespace depin::exposition {
namespace {

TEST(TextWriter, FormatsValuesAndEscapesLabels) {
  TextWriter w;
  w.Family("x", "Help with \\ and\nnewline.", "gauge");
  w.Sample("x", {{"a", "q\"uote\\n\nl"}}, 0.1);
  w.Sample("x", {}, std::numeric_limits<double>::infinity());
  w.Sample("x", {}, std::nan(""));
  EXPECT_EQ(w.Take(),
            "# HELP x Help with \\\\ and\\nnewline.\n# TYPE x gauge\n"
            "x{a=\"q\\\"uote\\\\n\\nl\"} 0.1\nx +Inf\nx NaN\n");
}

TEST(Render, ScoredAndUnscoredProviders) {
  analytics::Scoreboard board;
  analytics::ProviderScore a;
  a.facts.id = "p-a";
  a.performance.score = 90;
  a.performance.confidence = 0.8;
  a.performance.components[0] = 0.95;
  a.reputation.score = 88;
  a.rank = 1;
  a.percentile = 100;
  a.tier_level = 3;
  analytics::ProviderScore b;
  b.facts.id = "p-b";
  board.providers = {a, b};
  board.providers_per_tier[3] = 1;
  std::string text = RenderScoreboard(board);
  EXPECT_NE(text.find("depin_provider_performance_score{provider=\"p-a\"} 90\n"),
            std::string::npos);
  EXPECT_NE(
      text.find(
          "depin_provider_score_component{component=\"completion_rate\",provider=\"p-a\"} 0.95\n"),
      std::string::npos);
  EXPECT_NE(text.find("depin_provider_tier{provider=\"p-a\",tier=\"gold\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("depin_provider_tier{provider=\"p-a\",tier=\"platinum\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("depin_provider_tier_level{provider=\"p-a\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("depin_provider_confidence{provider=\"p-b\"} 0\n"), std::string::npos);
  EXPECT_EQ(text.find("depin_provider_rank{provider=\"p-b\"}"), std::string::npos);
  EXPECT_NE(text.find("depin_network_providers{tier=\"gold\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace depin::exposition
