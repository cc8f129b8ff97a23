#include "app/flags.h"

#include <gtest/gtest.h>

#include "common/cli.h"

namespace depin {
namespace {

TEST(Flags, BothSpellingsAndErrors) {
  auto f = app::ParseFlags(
      {"--config.file=a.yml", "--web.listen-address", "127.0.0.1:1", "--check-config"});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->config_file, "a.yml");
  EXPECT_EQ(f->listen_address, "127.0.0.1:1");
  EXPECT_TRUE(f->check_config);
  EXPECT_FALSE(app::ParseFlags({"--nope"}).ok());
  EXPECT_FALSE(app::ParseFlags({"--config.file"}).ok());
  EXPECT_FALSE(app::ParseFlags({"stray"}).ok());
  EXPECT_FALSE(app::ParseFlags({"--help=yes"}).ok());
  EXPECT_TRUE(app::ParseFlags({}).ok());
}

TEST(Flags, QueryLimits) {
  auto d = app::ParseFlags({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->query_max_series, 10000);
  EXPECT_EQ(d->query_max_points, 11000);
  EXPECT_EQ(d->query_max_samples, 50000000);
  EXPECT_EQ(d->query_lookback_ms, 300000);
  auto f = app::ParseFlags({"--query.max-series=5", "--query.max-points", "100",
                            "--query.max-samples=1e6", "--query.lookback-delta=1m"});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->query_max_series, 5);
  EXPECT_EQ(f->query_max_points, 100);
  EXPECT_EQ(f->query_max_samples, 1000000);
  EXPECT_EQ(f->query_lookback_ms, 60000);
  EXPECT_FALSE(app::ParseFlags({"--query.max-series=-1"}).ok());
  EXPECT_FALSE(app::ParseFlags({"--query.lookback-delta=0"}).ok());
  EXPECT_NE(app::Usage().find("--query.max-points"), std::string::npos);
}

TEST(ListenAddress, Forms) {
  EXPECT_EQ(cli::ParseHostPort(":9470")->host, "0.0.0.0");
  EXPECT_EQ(cli::ParseHostPort("127.0.0.1:80")->port, 80);
  EXPECT_EQ(cli::ParseHostPort("[::1]:80")->host, "::1");
  EXPECT_FALSE(cli::ParseHostPort("localhost").ok());
  EXPECT_FALSE(cli::ParseHostPort("h:99999").ok());
  EXPECT_FALSE(cli::ParseHostPort("h:x").ok());
}

}  // namespace
}  // namespace depin
