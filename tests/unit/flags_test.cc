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
