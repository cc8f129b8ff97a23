#include <gtest/gtest.h>

#include <charconv>
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

TEST(TextWriter, ValuesPrintAsTheShortestRoundTripForm) {
  // Whole numbers take a faster path: it must print what to_chars does.
  auto shortest = [](double v) {
    char buf[64];
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  };
  for (int i = -200'000; i <= 200'000; ++i) {
    for (double v : {static_cast<double>(i), i + 0.5, i * 1e-3}) {
      std::string out;
      AppendValue(&out, v);
      ASSERT_EQ(out, shortest(v)) << v;
    }
  }
  for (double v : {-0.0, 1e5, 1e6, 123456789.0, 1e21, -1e-300, 0.1, 2.5e-7}) {
    std::string out;
    AppendValue(&out, v);
    EXPECT_EQ(out, shortest(v)) << v;
  }
}

TEST(TextWriter, WritesOverTheBufferItIsLent) {
  std::string lent(4096, 'z');
  const char* memory = lent.data();
  TextWriter w(std::move(lent));
  w.Sample("y", {{"provider", "p-1"}}, 2);
  std::string text = w.Take();
  EXPECT_EQ(text, "y{provider=\"p-1\"} 2\n");
  EXPECT_EQ(text.data(), memory);
  // Growing past the lent memory keeps what was written.
  TextWriter small(std::string(8, 'z'));
  for (int i = 0; i < 1000; ++i) small.Sample("y", {}, i);
  text = small.Take();
  EXPECT_EQ(text.substr(0, 8), "y 0\ny 1\n");
  EXPECT_EQ(text.substr(text.size() - 6), "y 999\n");
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
