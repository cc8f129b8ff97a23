#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <snappy.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "ingest/decode.h"
#include "ingest/ingester.h"
#include "ingest/limiter.h"

namespace depin::ingest {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

void AddSeries(prometheus::WriteRequest* req, const Labels& labels,
               std::vector<std::pair<int64_t, double>> samples) {
  auto* ts = req->add_timeseries();
  for (const auto& [n, v] : labels) {
    auto* l = ts->add_labels();
    l->set_name(n);
    l->set_value(v);
  }
  for (auto [t, v] : samples) {
    auto* s = ts->add_samples();
    s->set_timestamp(t);
    s->set_value(v);
  }
}

std::string Compress(const prometheus::WriteRequest& req) {
  std::string raw = req.SerializeAsString(), out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

TEST(Decode, SnappyRoundTripAndErrors) {
  std::string raw(1000, 'a'), compressed, out;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  ASSERT_TRUE(DecompressSnappy(compressed, 10'000, &out).ok());
  EXPECT_EQ(out, raw);
  EXPECT_EQ(DecompressSnappy(compressed, 999, &out).code(), Status::Code::kTooLarge);
  EXPECT_EQ(DecompressSnappy("\xff\xff\xff\xff\xff\xff", 10'000, &out).code(),
            Status::Code::kInvalidArgument);
  // A header announcing 1 GiB is refused before any allocation.
  std::string bomb = "\x80\x80\x80\x80\x04" + std::string(8, 'x');
  EXPECT_EQ(DecompressSnappy(bomb, 1 << 20, &out).code(), Status::Code::kTooLarge);
  // Valid length header, corrupt body.
  std::string corrupt = compressed;
  corrupt.resize(corrupt.size() / 2);
  EXPECT_FALSE(DecompressSnappy(corrupt, 10'000, &out).ok());
}

TEST(Decode, RejectsNonProtobuf) {
  prometheus::WriteRequest req;
  EXPECT_FALSE(ParseWriteRequest("\xff\xff\xff\xff", &req).ok());
  EXPECT_TRUE(ParseWriteRequest("", &req).ok());  // empty message is valid
}

LabelProblem Validate(const Labels& labels, const LabelLimits& limits) {
  std::vector<route::LabelRef> refs;
  for (const auto& [name, value] : labels) refs.push_back({name, value});
  return ValidateLabels(refs, limits);
}

TEST(Decode, LabelValidation) {
  LabelLimits lim;
  EXPECT_EQ(Validate({{"__name__", "up"}, {"provider", "a"}}, lim), LabelProblem::kOk);
  EXPECT_EQ(Validate({{"provider", "a"}, {"__name__", "up"}}, lim), LabelProblem::kUnsortedLabels);
  EXPECT_EQ(Validate({{"__name__", "up"}, {"a", "1"}, {"a", "2"}}, lim),
            LabelProblem::kDuplicateLabel);
  EXPECT_EQ(Validate({{"provider", "a"}}, lim), LabelProblem::kMissingName);
  EXPECT_EQ(Validate({{"__name__", "up"}, {"1bad", "x"}}, lim), LabelProblem::kInvalidLabelName);
  EXPECT_EQ(Validate({{"__name__", "bad-name"}}, lim), LabelProblem::kInvalidMetricName);
  EXPECT_EQ(Validate({{"__name__", "up"}, {"a", ""}}, lim), LabelProblem::kEmptyLabelValue);
  EXPECT_EQ(Validate({}, lim), LabelProblem::kNoLabels);
  LabelLimits tight{2, 8, 3};
  EXPECT_EQ(Validate({{"__name__", "up"}, {"a", "1"}, {"b", "2"}}, tight),
            LabelProblem::kTooManyLabels);
  EXPECT_EQ(Validate({{"__name__", "up"}, {"abcdefghi", "1"}}, tight),
            LabelProblem::kLabelNameTooLong);
  EXPECT_EQ(Validate({{"__name__", "up"}, {"a", "1234"}}, tight), LabelProblem::kLabelValueTooLong);
  EXPECT_TRUE(IsValidMetricName("a:b_c9"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
}

class IngesterTest : public ::testing::Test {
 protected:
  IngesterTest()
      : config_(DefaultConfig()),
        router_(config_),
        store_(config_.windows, config_.limits),
        ingester_(config_.limits, router_, store_, registry_) {}

  WriteOutcome Write(const std::string& body, std::string type = "application/x-protobuf",
                     std::string encoding = "snappy") {
    return ingester_.Write({type, encoding, body}, now_);
  }
  double Counter(const std::string& family, const std::string& reason = "") {
    for (const auto& f : registry_.Collect()) {
      if (f.name != family) continue;
      for (const auto& m : f.metric) {
        bool match = reason.empty();
        for (const auto& l : m.label) match |= (l.name == "reason" && l.value == reason);
        if (match) return m.counter.value;
      }
    }
    return 0;
  }

  int64_t now_ = 1'700'000'000'000;
  Config config_;
  route::Router router_;
  windows::WindowStore store_;
  prometheus::Registry registry_;
  Ingester ingester_;
};

TEST_F(IngesterTest, StoresGoodSeriesAndAnswers204) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"job", "x"}, {"provider", "p1"}}, {{now_, 1}});
  AddSeries(&req, {{"__name__", "unrelated_metric"}, {"provider", "p1"}}, {{now_, 5}});
  auto out = Write(Compress(req));
  EXPECT_EQ(out.http_status, 204) << out.message;
  EXPECT_EQ(out.samples_received, 2);
  EXPECT_EQ(out.samples_stored, 1);
  EXPECT_EQ(store_.provider_count(), 1u);
  EXPECT_EQ(Counter("depin_sidecar_series_dropped_total", "not_in_contract"), 1);
}

TEST_F(IngesterTest, OneBadSeriesDoesNotDropItsNeighbours) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"provider", "p1"}, {"__name__", "up"}}, {{now_, 1}});  // unsorted
  AddSeries(&req, {{"__name__", "up"}, {"provider", "p2"}}, {{now_, 1}});
  AddSeries(&req, {{"__name__", "depin_jobs_completed_total"}}, {{now_, 3}});  // no provider
  auto out = Write(Compress(req));
  EXPECT_EQ(out.http_status, 400);
  EXPECT_NE(out.message.find("unsorted_labels"), std::string::npos) << out.message;
  EXPECT_EQ(out.message.find('\n'), std::string::npos);
  EXPECT_EQ(out.samples_stored, 1);
  EXPECT_EQ(out.series_dropped, 2);
  EXPECT_EQ(store_.provider_count(), 1u);
  EXPECT_EQ(Counter("depin_sidecar_series_dropped_total", "missing_provider"), 1);
  EXPECT_EQ(Counter("depin_sidecar_samples_rejected_total", "unsorted_labels"), 1);
}

TEST_F(IngesterTest, AnswersPerTheSpec) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"provider", "p1"}}, {{now_, 1}});
  std::string good = Compress(req);
  EXPECT_EQ(Write(good, "text/plain").http_status, 415);
  EXPECT_EQ(Write(good, "application/x-protobuf", "gzip").http_status, 415);
  // A 1.0 body announced as 2.0 parses as an empty 2.0 request (its fields
  // are reserved there): nothing written, and the counts say so.
  auto as_v2 = Write(good, "application/x-protobuf;proto=io.prometheus.write.v2.Request");
  EXPECT_EQ(as_v2.http_status, 204);
  EXPECT_TRUE(as_v2.remote_write_v2);
  EXPECT_EQ(as_v2.samples_written, 0);
  auto unknown = Write(good, "application/x-protobuf;proto=io.prometheus.write.v3.Request");
  EXPECT_EQ(unknown.http_status, 415);
  EXPECT_NE(unknown.message.find("io.prometheus.write.v3.Request"), std::string::npos);
  EXPECT_NE(unknown.message.find("expected prometheus.WriteRequest or"), std::string::npos);
  auto v1 = Write(good, "application/x-protobuf;proto=prometheus.WriteRequest");
  EXPECT_EQ(v1.http_status, 204);
  EXPECT_FALSE(v1.remote_write_v2);
  EXPECT_EQ(Write("not snappy at all").http_status, 400);
  std::string garbage = "\xff\xff\xff\xff\xff\xff\xff\xff";
  std::string compressed;
  snappy::Compress(garbage.data(), garbage.size(), &compressed);
  auto out = Write(compressed);
  EXPECT_EQ(out.http_status, 400);
  EXPECT_NE(out.message.find("protobuf"), std::string::npos);
  EXPECT_EQ(Write(std::string(config_.limits.max_body_bytes + 1, 'x')).http_status, 413);
}

TEST(Decode, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii, long enough for the word-at-a-time path"));
  EXPECT_TRUE(IsValidUtf8("z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80"));  // ü € 😀
  EXPECT_FALSE(IsValidUtf8("bad \xff byte"));
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("12345678\xe2\x82"));  // truncated after an ASCII run
  EXPECT_FALSE(IsValidUtf8("\xe2\x28\xa1"));      // bad continuation
  LabelLimits lim;
  EXPECT_EQ(Validate({{"__name__", "up"}, {"provider", "p\xff"}}, lim), LabelProblem::kInvalidUtf8);
  EXPECT_EQ(LabelProblemReason(LabelProblem::kInvalidUtf8), "invalid_utf8");
}

TEST_F(IngesterTest, InvalidUtf8ValueDropsOnlyItsSeries) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"provider", "bad\xc3"}}, {{now_, 1}});
  AddSeries(&req, {{"__name__", "up"}, {"provider", "good"}}, {{now_, 1}});
  auto out = Write(Compress(req));
  EXPECT_EQ(out.http_status, 400);
  EXPECT_EQ(out.samples_stored, 1);
  EXPECT_NE(out.message.find("invalid_utf8"), std::string::npos) << out.message;
  // The message itself stays valid UTF-8 (it goes to logs and clients).
  EXPECT_TRUE(IsValidUtf8(out.message)) << out.message;
  EXPECT_EQ(Counter("depin_sidecar_series_dropped_total", "invalid_utf8"), 1);
}

TEST_F(IngesterTest, InvalidUtf8InMetadataDoesNotFailTheRequest) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"provider", "p1"}}, {{now_, 1}});
  auto* md = req.add_metadata();
  md->set_metric_family_name("up");
  md->set_help("bad \xff help");
  auto out = Write(Compress(req));
  EXPECT_EQ(out.http_status, 204) << out.message;
  EXPECT_EQ(out.samples_stored, 1);
}

TEST_F(IngesterTest, RejectsSamplesTooFarInTheFuture) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"provider", "p1"}}, {{now_ + 3'600'000, 1}, {now_, 1}});
  auto out = Write(Compress(req));
  EXPECT_EQ(out.http_status, 204);
  EXPECT_EQ(out.samples_stored, 1);
  EXPECT_EQ(Counter("depin_sidecar_samples_rejected_total", "too_far_in_future"), 1);
}

TEST_F(IngesterTest, LateCounterSamplesWithinTheTolerancePlacedOlderOnes400) {
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "depin_jobs_completed_total"}, {"provider", "p1"}},
            {{now_ - 120'000, 10}, {now_, 20}, {now_ - 60'000, 15}, {now_ - 400'000, 5}});
  auto out = Write(Compress(req));
  EXPECT_EQ(out.http_status, 400);
  EXPECT_EQ(out.samples_stored, 3);
  EXPECT_NE(out.message.find("out_of_order: 1 samples"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find("tolerance of 5m"), std::string::npos) << out.message;
  EXPECT_NE(out.message.find(std::to_string(now_ - 400'000)), std::string::npos) << out.message;
  EXPECT_EQ(Counter("depin_sidecar_samples_out_of_order_accepted_total"), 1);
  EXPECT_EQ(Counter("depin_sidecar_samples_rejected_total", "out_of_order"), 1);
}

TEST(ConcurrencyLimiter, AdmitsUpToTheLimitAndReleasesOnDestruction) {
  ConcurrencyLimiter limiter(2);
  auto a = limiter.TryAcquire();
  auto b = limiter.TryAcquire();
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
  EXPECT_FALSE(limiter.TryAcquire());
  EXPECT_EQ(limiter.in_flight(), 2);
  { auto moved = std::move(a); }  // released with its new owner
  EXPECT_FALSE(a);
  EXPECT_EQ(limiter.in_flight(), 1);
  auto c = limiter.TryAcquire();
  EXPECT_TRUE(c);
  c = ConcurrencyLimiter::Permit();
  EXPECT_EQ(limiter.in_flight(), 1);
  EXPECT_EQ(EffectiveMaxConcurrentWrites(5), 5);
  EXPECT_GE(EffectiveMaxConcurrentWrites(0), 2);
}

TEST(ConcurrencyLimiter, NeverAdmitsMoreThanTheLimitUnderContention) {
  ConcurrencyLimiter limiter(3);
  std::atomic<int> inside{0}, most{0}, admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20'000; ++i) {
        auto permit = limiter.TryAcquire();
        if (!permit) {
          ++refused;
          continue;
        }
        ++admitted;
        int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_EQ(admitted + refused, 8 * 20'000);
  EXPECT_EQ(limiter.in_flight(), 0);
}

// Saturates the ingester: the test holds the window store's lock, so
// admitted writes wait inside (holding their place) until it lets go.
TEST(IngesterOverload, PastTheLimitAnswers503WithRetryAfterAndLosesNothing) {
  Config config = DefaultConfig();
  config.limits.max_concurrent_writes = 3;
  route::Router router(config);
  windows::WindowStore store(config.windows, config.limits);
  prometheus::Registry registry;
  Ingester ingester(config.limits, router, store, registry);
  const int64_t now = 1'700'000'000'000;
  prometheus::WriteRequest req;
  AddSeries(&req, {{"__name__", "up"}, {"provider", "p1"}}, {{now, 1}});
  const std::string body = Compress(req);
  auto write = [&] { return ingester.Write({"application/x-protobuf", "snappy", body}, now); };

  std::vector<std::thread> admitted;
  std::vector<WriteOutcome> admitted_out(3);
  std::vector<WriteOutcome> refused;
  {
    auto hold = store.BeginBatch(now);
    for (int i = 0; i < 3; ++i) admitted.emplace_back([&, i] { admitted_out[i] = write(); });
    for (int spin = 0; ingester.writes_in_flight() < 3 && spin < 10'000; ++spin)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(ingester.writes_in_flight(), 3);
    std::vector<std::thread> extra;
    std::vector<WriteOutcome> extra_out(5);
    for (int i = 0; i < 5; ++i) extra.emplace_back([&, i] { extra_out[i] = write(); });
    for (auto& t : extra) t.join();
    refused = extra_out;
  }
  for (auto& t : admitted) t.join();
  for (const auto& out : refused) {
    EXPECT_EQ(out.http_status, 503);
    EXPECT_EQ(out.retry_after_s, 1);
    EXPECT_NE(out.message.find("max_concurrent_writes"), std::string::npos) << out.message;
  }
  for (const auto& out : admitted_out) {
    EXPECT_EQ(out.http_status, 204) << out.message;
    EXPECT_EQ(out.retry_after_s, 0);
  }
  EXPECT_EQ(ingester.writes_in_flight(), 0);
  // Once the load is gone the retry succeeds.
  EXPECT_EQ(write().http_status, 204);
  double by_503 = 0;
  for (const auto& f : registry.Collect()) {
    if (f.name != "depin_sidecar_write_requests_total") continue;
    for (const auto& m : f.metric) {
      for (const auto& l : m.label)
        if (l.name == "code" && l.value == "503") by_503 = m.counter.value;
    }
  }
  EXPECT_EQ(by_503, 5);
}

}  // namespace
}  // namespace depin::ingest
