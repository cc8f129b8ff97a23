#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "web/events.h"

namespace depin::web {
namespace {

using namespace std::chrono_literals;

Event E(const std::string& kind, const std::string& provider) {
  return {0, kind, provider, 1000, "{\"x\":1}"};
}

TEST(EventsTest, FormatSseSplitsLines) {
  Event e{7, "anomaly", "p", 1, "{\"a\":1}"};
  EXPECT_EQ(FormatSse(e), "id: 7\nevent: anomaly\ndata: {\"a\":1}\n\n");
  e.data = "a\nb";
  EXPECT_EQ(FormatSse(e), "id: 7\nevent: anomaly\ndata: a\ndata: b\n\n");
}

TEST(EventsTest, FilterByProviderAndKind) {
  EventFilter f;
  EXPECT_TRUE(f.Matches(E("penalty", "a")));
  f.kinds = {"penalty", "anomaly"};
  f.providers = {"a"};
  EXPECT_TRUE(f.Matches(E("penalty", "a")));
  EXPECT_FALSE(f.Matches(E("penalty", "b")));
  EXPECT_FALSE(f.Matches(E("tier_change", "a")));
  EXPECT_TRUE(IsEventKind("capacity_warning"));
  EXPECT_FALSE(IsEventKind("nothing"));
}

TEST(EventsTest, PublishReachesMatchingSubscribers) {
  EventBroker broker({});
  auto all = broker.Subscribe({}, std::nullopt).value();
  auto only_b = broker.Subscribe({{"b"}, {}}, std::nullopt).value();
  EXPECT_EQ(broker.Publish(E("penalty", "a")), 1u);
  EXPECT_EQ(broker.Publish(E("penalty", "b")), 2u);
  std::vector<Event> got;
  EXPECT_EQ(all->Next(0ms, &got), Subscription::State::kEvents);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, 1u);
  got.clear();
  EXPECT_EQ(only_b->Next(0ms, &got), Subscription::State::kEvents);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].provider, "b");
  got.clear();
  EXPECT_EQ(only_b->Next(10ms, &got), Subscription::State::kTimeout);
}

TEST(EventsTest, ClientCapAndUnsubscribeOnDestruction) {
  EventBroker broker({.history = 8, .client_queue = 8, .max_clients = 2});
  auto a = broker.Subscribe({}, std::nullopt);
  auto b = broker.Subscribe({}, std::nullopt);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = broker.Subscribe({}, std::nullopt);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kUnavailable);
  a.value().reset();
  EXPECT_EQ(broker.clients(), 1);
  EXPECT_TRUE(broker.Subscribe({}, std::nullopt).ok());
}

TEST(EventsTest, SlowClientIsDroppedWithoutBlockingPublisher) {
  EventBroker broker({.history = 16, .client_queue = 4, .max_clients = 4});
  auto slow = broker.Subscribe({}, std::nullopt).value();
  auto fast = broker.Subscribe({{}, {"anomaly"}}, std::nullopt).value();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) broker.Publish(E("penalty", "p"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  std::vector<Event> got;
  EXPECT_EQ(slow->Next(0ms, &got), Subscription::State::kClosed);
  EXPECT_EQ(got.size(), 4u);  // what was queued before the overflow
  EXPECT_TRUE(slow->overflowed());
  EXPECT_EQ(broker.dropped_clients(), 1u);
  got.clear();
  EXPECT_EQ(fast->Next(0ms, &got), Subscription::State::kTimeout);  // unaffected
  EXPECT_FALSE(fast->overflowed());
}

TEST(EventsTest, ResumeFromLastEventIdWithinBoundedHistory) {
  EventBroker broker({.history = 5, .client_queue = 100, .max_clients = 4});
  for (int i = 0; i < 10; ++i) broker.Publish(E(i % 2 ? "penalty" : "anomaly", "p"));
  auto s = broker.Subscribe({}, 7).value();
  std::vector<Event> got;
  s->Next(0ms, &got);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, 8u);
  EXPECT_EQ(got[2].id, 10u);
  // Older than the history: only what is kept (ids 6..10).
  got.clear();
  auto old = broker.Subscribe({{}, {"penalty"}}, 0).value();
  old->Next(0ms, &got);
  ASSERT_EQ(got.size(), 3u);  // 6, 8, 10
  EXPECT_EQ(got[0].id, 6u);
}

TEST(EventsTest, NextWakesOnPublishAndShutdown) {
  EventBroker broker({});
  auto s = broker.Subscribe({}, std::nullopt).value();
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    broker.Publish(E("penalty", "p"));
  });
  std::vector<Event> got;
  EXPECT_EQ(s->Next(5s, &got), Subscription::State::kEvents);
  t.join();
  got.clear();
  std::thread u([&] {
    std::this_thread::sleep_for(20ms);
    broker.Shutdown();
  });
  EXPECT_EQ(s->Next(5s, &got), Subscription::State::kClosed);
  u.join();
  EXPECT_FALSE(broker.Subscribe({}, std::nullopt).ok());
}

analytics::ProviderScore Provider(const std::string& id) {
  analytics::ProviderScore p;
  p.facts.id = id;
  return p;
}

TEST(EventsTest, DetectorReportsOnlyChanges) {
  EventDetector d;
  analytics::Scoreboard board;
  board.providers.push_back(Provider("a"));
  std::vector<analytics::AuditRecord> audit = {{1000, "a", "tier", "tiers", 0, 3, "r=80"}};
  // First call primes: nothing that was already so.
  EXPECT_TRUE(d.Detect(board, 1000, audit).empty());
  // A new audit record at the same timestamp and a later one.
  audit.push_back({1000, "a", "penalty", "outage", 0, 5, "down=1"});
  audit.push_back({2000, "a", "score", "large move", 50, 70, ""});
  board.providers[0].statistics.signals[0].anomalous = true;
  analytics::GroupFigures region;
  region.name = "eu";
  region.correlated_failure = true;
  board.network.regions.push_back(region);
  board.exhaustion_seconds = {{"us", 1200.0}};
  auto events = d.Detect(board, 2000, audit);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].kind, "penalty");
  EXPECT_EQ(events[1].kind, "score_move");
  EXPECT_EQ(events[2].kind, "anomaly");
  EXPECT_EQ(events[2].provider, "a");
  EXPECT_EQ(events[3].kind, "capacity_warning");
  EXPECT_NE(events[3].data.find("correlated_failure"), std::string::npos);
  EXPECT_NE(events[4].data.find("exhaustion_within_an_hour"), std::string::npos);
  // Same state again: nothing new.
  EXPECT_TRUE(d.Detect(board, 3000, audit).empty());
  // The anomaly clears and comes back: reported again.
  board.providers[0].statistics.signals[0].anomalous = false;
  EXPECT_TRUE(d.Detect(board, 4000, audit).empty());
  board.providers[0].statistics.signals[0].anomalous = true;
  events = d.Detect(board, 5000, audit);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "anomaly");
  // A tier record names the tiers.
  audit.push_back({6000, "a", "tier", "tiers", 3, 2, ""});
  events = d.Detect(board, 6000, audit);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "tier_change");
  EXPECT_NE(events[0].data.find("\"before\":\"gold\""), std::string::npos) << events[0].data;
}

}  // namespace
}  // namespace depin::web
