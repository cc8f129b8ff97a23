#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <snappy.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "ingest/decode_v2.h"
#include "ingest/ingester.h"
#include "ingest/translate_v2.h"

namespace depin::ingest {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Builds v2 requests with a symbol table, as a sender does.
class RequestBuilder {
 public:
  RequestBuilder() { request_.add_symbols(""); }
  uint32_t Ref(const std::string& s) {
    for (int i = 0; i < request_.symbols_size(); ++i) {
      if (request_.symbols(i) == s) return static_cast<uint32_t>(i);
    }
    request_.add_symbols(s);
    return static_cast<uint32_t>(request_.symbols_size() - 1);
  }
  v2::TimeSeries* Series(const std::vector<std::pair<std::string, std::string>>& labels) {
    auto* ts = request_.add_timeseries();
    for (const auto& [n, v] : labels) {
      ts->add_labels_refs(Ref(n));
      ts->add_labels_refs(Ref(v));
    }
    return ts;
  }
  v2::Request& request() { return request_; }
  std::string Compressed() const {
    std::string raw = request_.SerializeAsString(), out;
    snappy::Compress(raw.data(), raw.size(), &out);
    return out;
  }

 private:
  v2::Request request_;
};

void AddSample(v2::TimeSeries* ts, int64_t t, double v, int64_t start = 0) {
  auto* s = ts->add_samples();
  s->set_timestamp(t);
  s->set_value(v);
  s->set_start_timestamp(start);
}

void AddSpan(google::protobuf::RepeatedPtrField<v2::BucketSpan>* spans, int32_t offset,
             uint32_t length) {
  auto* span = spans->Add();
  span->set_offset(offset);
  span->set_length(length);
}

TEST(DecodeV2, SymbolReferences) {
  RequestBuilder b;
  auto* ts = b.Series({{"__name__", "up"}, {"provider", "p1"}});
  std::vector<route::LabelRef> labels;
  ASSERT_TRUE(ResolveLabelRefs(ts->labels_refs(), b.request().symbols(), &labels).ok());
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[1].name, "provider");
  EXPECT_EQ(labels[1].value, "p1");

  ts->add_labels_refs(1);  // odd
  Status st = ResolveLabelRefs(ts->labels_refs(), b.request().symbols(), &labels);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("odd number of label references (5)"), std::string::npos);
  ts->add_labels_refs(99);
  st = ResolveLabelRefs(ts->labels_refs(), b.request().symbols(), &labels);
  EXPECT_NE(st.message().find("label reference 99 outside the symbols table of 5"),
            std::string::npos)
      << st.message();

  EXPECT_TRUE(CheckSymbols(b.request()).ok());
  b.request().set_symbols(0, "x");
  EXPECT_FALSE(CheckSymbols(b.request()).ok());
  EXPECT_TRUE(CheckSymbols(v2::Request()).ok());  // no symbols, no series: fine
}

TEST(DecodeV2, ParsesAndRejectsGarbage) {
  v2::Request req;
  EXPECT_TRUE(ParseWriteV2Request("", &req).ok());
  EXPECT_FALSE(ParseWriteV2Request("\xff\xff\xff\xff", &req).ok());
}

TEST(DecodeV2, IntegerHistogramDeltasSpansAndZeroBucket) {
  v2::Histogram h;
  h.set_schema(0);
  h.set_count_int(9);
  h.set_sum(20);
  h.set_zero_threshold(0.001);
  h.set_zero_count_int(1);
  h.set_timestamp(1234);
  // Buckets 0,1 then, after a gap of one, 3: counts 2, 3, 2 as deltas.
  AddSpan(h.mutable_positive_spans(), 0, 2);
  AddSpan(h.mutable_positive_spans(), 1, 1);
  for (int64_t d : {2, 1, -1}) h.add_positive_deltas(d);
  // Negative bucket 1 = [-2, -1): one observation.
  AddSpan(h.mutable_negative_spans(), 1, 1);
  h.add_negative_deltas(1);

  ClassicHistogram c;
  ASSERT_TRUE(ToClassicHistogram(h, &c).ok());
  EXPECT_EQ(c.timestamp, 1234);
  EXPECT_EQ(c.count, 9);
  EXPECT_EQ(c.sum, 20);
  EXPECT_EQ(c.min_positive_index, 0);
  EXPECT_EQ(c.max_positive_index, 3);
  // Bounds: -1 (negative bucket), 0.001 (zero bucket), 1, 2, 8.
  ASSERT_EQ(c.buckets.size(), 5u);
  EXPECT_EQ(c.buckets[0], std::make_pair(-1.0, 1.0));
  EXPECT_EQ(c.buckets[1], std::make_pair(0.001, 1.0));
  EXPECT_EQ(c.buckets[2], std::make_pair(1.0, 2.0));
  EXPECT_EQ(c.buckets[3], std::make_pair(2.0, 3.0));
  EXPECT_EQ(c.buckets[4], std::make_pair(8.0, 2.0));
  EXPECT_EQ(CumulativeAt(c, -5), 0);
  EXPECT_EQ(CumulativeAt(c, 0.5), 2);
  EXPECT_EQ(CumulativeAt(c, 1), 4);
  EXPECT_EQ(CumulativeAt(c, 4), 7);
  EXPECT_EQ(CumulativeAt(c, 8), 9);
  EXPECT_EQ(CumulativeAt(c, kInf), 9);
}

TEST(DecodeV2, FinerSchemasMergeExactlyToSchemaZero) {
  v2::Histogram h;
  h.set_schema(2);  // boundaries 2^(i/4)
  h.set_count_float(10);
  // Indexes 1..4 lie in (1, 2]; index 5 in (2, 4]; index 0 in (0.5, 1].
  AddSpan(h.mutable_positive_spans(), 0, 6);
  for (double v : {1.0, 1.0, 2.0, 3.0, 1.0, 2.0}) h.add_positive_counts(v);
  ClassicHistogram c;
  ASSERT_TRUE(ToClassicHistogram(h, &c).ok());
  EXPECT_EQ(c.schema, 0);
  ASSERT_EQ(c.buckets.size(), 3u);
  EXPECT_EQ(c.buckets[0], std::make_pair(1.0, 1.0));
  EXPECT_EQ(c.buckets[1], std::make_pair(2.0, 7.0));
  EXPECT_EQ(c.buckets[2], std::make_pair(4.0, 2.0));
  // Coarser schemas keep their own boundaries: schema -1 index 1 = (4, 16].
  EXPECT_EQ(ExponentialUpperBound(-1, 1), 4.0);
  EXPECT_EQ(ExponentialUpperBound(0, -3), 0.125);
  EXPECT_EQ(ExponentialUpperBound(-4, 100), kInf);  // 2^1600: past double
}

TEST(DecodeV2, CustomBucketsAreClassicBuckets) {
  v2::Histogram h;
  h.set_schema(kCustomBucketsSchema);
  for (double b : {0.1, 0.5, 1.0}) h.add_custom_values(b);
  h.set_count_float(10);
  AddSpan(h.mutable_positive_spans(), 0, 4);  // index 3 = +Inf bucket
  for (double v : {1.0, 2.0, 3.0, 4.0}) h.add_positive_counts(v);
  ClassicHistogram c;
  ASSERT_TRUE(ToClassicHistogram(h, &c).ok());
  EXPECT_EQ(CumulativeAt(c, 0.1), 1);
  EXPECT_EQ(CumulativeAt(c, 0.5), 3);
  EXPECT_EQ(CumulativeAt(c, 1.0), 6);
  EXPECT_EQ(CumulativeAt(c, kInf), 10);
}

TEST(DecodeV2, RejectsMalformedHistograms) {
  ClassicHistogram c;
  v2::Histogram h;
  h.set_schema(9);
  EXPECT_NE(ToClassicHistogram(h, &c).message().find("unsupported histogram schema 9"),
            std::string::npos);
  h.set_schema(0);
  AddSpan(h.mutable_positive_spans(), 0, 3);
  h.add_positive_deltas(1);
  EXPECT_NE(ToClassicHistogram(h, &c).message().find("spans cover 3 buckets but 1 counts"),
            std::string::npos);
  h.add_positive_deltas(-1);
  h.add_positive_deltas(-1);  // running count 1, 0, -1
  EXPECT_NE(ToClassicHistogram(h, &c).message().find("invalid count"), std::string::npos);
  v2::Histogram custom;
  custom.set_schema(kCustomBucketsSchema);
  custom.add_custom_values(1);
  custom.add_custom_values(1);
  EXPECT_NE(ToClassicHistogram(custom, &c).message().find("do not increase"), std::string::npos);
  v2::Histogram wide;
  wide.set_schema(-4);  // 2^16 per bucket: 200 populated buckets cannot merge
  AddSpan(wide.mutable_positive_spans(), -100, 200);
  for (int i = 0; i < 200; ++i) wide.add_positive_deltas(i == 0 ? 1 : 0);
  EXPECT_NE(ToClassicHistogram(wide, &c).message().find("more than 160 buckets"),
            std::string::npos);
  EXPECT_EQ(FormatLe(0.25), "0.25");
  EXPECT_EQ(FormatLe(kInf), "+Inf");
}

class TranslateV2Test : public ::testing::Test {
 protected:
  TranslateV2Test() : config_(DefaultConfig()), router_(config_) {}
  Config config_;
  route::Router router_;
};

// Labels of a translated series as name=value pairs.
std::vector<std::pair<std::string, std::string>> LabelsOf(const prometheus::TimeSeries& ts) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& l : ts.labels()) out.emplace_back(l.name(), l.value());
  return out;
}

TEST_F(TranslateV2Test, FloatSeriesBadReferencesAndHistograms) {
  RequestBuilder b;
  auto* up = b.Series({{"__name__", "up"}, {"provider", "p1"}});
  AddSample(up, 1000, 1);
  auto* bad = b.Series({{"__name__", "up"}});
  bad->add_labels_refs(1);  // odd
  AddSample(bad, 1000, 1);
  auto* lat = b.Series({{"__name__", "depin_provider_response_seconds"}, {"provider", "p1"}});
  lat->set_created_timestamp(500);
  for (int64_t t : {1000, 2000}) {
    auto* h = lat->add_histograms();
    h->set_schema(0);
    h->set_timestamp(t);
    h->set_count_int(t / 1000 * 3);
    h->set_sum(1.5 * static_cast<double>(t / 1000));
    AddSpan(h->mutable_positive_spans(), -1, 3);  // bounds 0.5, 1, 2
    for (int64_t d : {t / 1000, int64_t{0}, int64_t{0}}) h->add_positive_deltas(d);
  }
  lat->add_exemplars()->set_value(0.7);
  auto* other = b.Series({{"__name__", "some_native_histogram"}, {"provider", "p1"}});
  other->add_histograms()->set_count_int(1);
  auto* gauge = b.Series({{"__name__", "depin_job_duration_seconds"}, {"provider", "p1"}});
  gauge->add_histograms()->set_reset_hint(v2::Histogram::RESET_HINT_GAUGE);
  auto* both = b.Series({{"__name__", "up"}, {"provider", "p2"}});
  AddSample(both, 1000, 1);
  both->add_histograms();

  prometheus::WriteRequest out;
  V2Translation tr;
  ASSERT_TRUE(TranslateV2Request(b.request(), router_, {}, &out, &tr).ok());
  EXPECT_EQ(tr.float_samples, 3);
  EXPECT_EQ(tr.histograms, 5);
  EXPECT_EQ(tr.histograms_converted, 2);
  EXPECT_EQ(tr.exemplars, 1);
  // up, then the histogram: the lower edge 0.25, 3 buckets, +Inf, _sum, _count.
  ASSERT_EQ(out.timeseries_size(), 1 + 5 + 2);
  ASSERT_EQ(tr.origin.size(), 8u);
  EXPECT_EQ(tr.origin[0], SeriesOrigin::kFloat);
  EXPECT_TRUE(tr.start_ms[0].empty());
  using L = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(LabelsOf(out.timeseries(1)), (L{{"__name__", "depin_provider_response_seconds_bucket"},
                                            {"le", "0.25"},
                                            {"provider", "p1"}}));
  EXPECT_EQ(LabelsOf(out.timeseries(5)), (L{{"__name__", "depin_provider_response_seconds_bucket"},
                                            {"le", "+Inf"},
                                            {"provider", "p1"}}));
  // Cumulative: at 2s the histogram has 2 observations in each bucket.
  EXPECT_EQ(out.timeseries(1).samples(1).value(), 0);
  EXPECT_EQ(out.timeseries(2).samples(1).value(), 2);
  EXPECT_EQ(out.timeseries(3).samples(1).value(), 4);
  EXPECT_EQ(out.timeseries(4).samples(1).value(), 6);
  EXPECT_EQ(out.timeseries(5).samples(1).value(), 6);
  EXPECT_EQ(out.timeseries(6).labels(0).value(), "depin_provider_response_seconds_sum");
  EXPECT_EQ(out.timeseries(6).samples(1).value(), 3);
  EXPECT_EQ(out.timeseries(7).labels(0).value(), "depin_provider_response_seconds_count");
  EXPECT_EQ(tr.origin[7], SeriesOrigin::kHistogramCount);
  EXPECT_EQ(tr.start_ms[7], (std::vector<int64_t>{500, 500}));

  ASSERT_EQ(tr.dropped.size(), 4u);
  EXPECT_EQ(tr.dropped[0].reason, "invalid_symbol_ref");
  EXPECT_TRUE(tr.dropped[0].is_error);
  EXPECT_EQ(tr.dropped[1].reason, "not_in_contract");
  EXPECT_FALSE(tr.dropped[1].is_error);
  EXPECT_EQ(tr.dropped[2].reason, "gauge_histogram");
  EXPECT_FALSE(tr.dropped[2].is_error);
  EXPECT_EQ(tr.dropped[3].reason, "samples_and_histograms");
  EXPECT_EQ(tr.dropped[3].samples, 2);

  b.request().set_symbols(0, "not empty");
  prometheus::WriteRequest out2;
  V2Translation tr2;
  EXPECT_FALSE(TranslateV2Request(b.request(), router_, {}, &out2, &tr2).ok());
}

TEST_F(TranslateV2Test, ExpansionIsBounded) {
  RequestBuilder b;
  for (int i = 0; i < 3; ++i) {
    auto* lat = b.Series(
        {{"__name__", "depin_provider_response_seconds"}, {"provider", "p" + std::to_string(i)}});
    auto* h = lat->add_histograms();
    h->set_count_int(2);
    AddSpan(h->mutable_positive_spans(), -50, 1);  // two buckets 100 apart: 103 bounds
    AddSpan(h->mutable_positive_spans(), 99, 1);
    h->add_positive_deltas(1);
    h->add_positive_deltas(0);
  }
  prometheus::WriteRequest out;
  V2Translation tr;
  ASSERT_TRUE(TranslateV2Request(b.request(), router_, {}, &out, &tr).ok());
  EXPECT_EQ(out.timeseries_size(), 3 * (102 + 1 + 2));
  prometheus::WriteRequest capped;
  V2Translation tr2;
  Status st = TranslateV2Request(b.request(), router_, {300, 1000}, &capped, &tr2);
  EXPECT_EQ(st.code(), Status::Code::kTooLarge);
  EXPECT_NE(st.message().find("more than 300 series once native histograms are expanded"),
            std::string::npos)
      << st.message();
}

TEST_F(TranslateV2Test, GapsAndTheLowerEdgeAreFilled) {
  RequestBuilder b;
  auto* lat = b.Series({{"__name__", "depin_provider_response_seconds"}, {"provider", "p1"}});
  auto* h = lat->add_histograms();
  h->set_count_int(2);
  AddSpan(h->mutable_positive_spans(), -2, 1);  // (0.125, 0.25]
  AddSpan(h->mutable_positive_spans(), 3, 1);   // (2, 4]
  h->add_positive_deltas(1);
  h->add_positive_deltas(0);
  prometheus::WriteRequest out;
  V2Translation tr;
  ASSERT_TRUE(TranslateV2Request(b.request(), router_, {}, &out, &tr).ok());
  std::vector<std::string> les;
  for (const auto& ts : out.timeseries()) {
    for (const auto& l : ts.labels()) {
      if (l.name() == "le") les.push_back(l.value());
    }
  }
  EXPECT_EQ(les, (std::vector<std::string>{"0.125", "0.25", "0.5", "1", "2", "4", "+Inf"}));
}

class IngesterV2Test : public ::testing::Test {
 protected:
  IngesterV2Test()
      : config_(DefaultConfig()),
        router_(config_),
        store_(config_.windows, config_.limits),
        ingester_(config_.limits, router_, store_, registry_) {}

  WriteOutcome Write(
      const std::string& body,
      std::string type = "application/x-protobuf;proto=io.prometheus.write.v2.Request") {
    return ingester_.Write({type, "snappy", body}, now_);
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
  const windows::ProviderView* View(const std::string& provider) {
    views_ = store_.Snapshot(now_);
    for (const auto& v : views_) {
      if (v.id == provider) return &v;
    }
    return nullptr;
  }

  int64_t now_ = 1'700'000'000'000;
  Config config_;
  route::Router router_;
  windows::WindowStore store_;
  prometheus::Registry registry_;
  Ingester ingester_;
  std::vector<windows::ProviderView> views_;
};

TEST_F(IngesterV2Test, GoodSeriesStoredBesideBadReferencesWithCounts) {
  RequestBuilder b;
  AddSample(b.Series({{"__name__", "up"}, {"provider", "p1"}}), now_, 1);
  auto* bad = b.Series({{"__name__", "up"}, {"provider", "p2"}});
  bad->set_labels_refs(3, 4242);
  AddSample(bad, now_, 1);
  AddSample(b.Series({{"__name__", "not_ours"}, {"provider", "p1"}}), now_, 1);
  auto out = Write(b.Compressed());
  EXPECT_EQ(out.http_status, 400);
  EXPECT_TRUE(out.remote_write_v2);
  EXPECT_NE(out.message.find("dropped 1 of 3 series (others stored); first: invalid_symbol_ref: "
                             "label reference 4242 outside the symbols table"),
            std::string::npos)
      << out.message;
  EXPECT_EQ(out.samples_written, 1);
  EXPECT_EQ(out.histograms_written, 0);
  EXPECT_EQ(out.series_dropped, 2);
  EXPECT_EQ(store_.provider_count(), 1u);
  EXPECT_EQ(Counter("depin_sidecar_series_dropped_total", "invalid_symbol_ref"), 1);
}

TEST_F(IngesterV2Test, RequestLevelErrors) {
  RequestBuilder b;
  AddSample(b.Series({{"__name__", "up"}, {"provider", "p1"}}), now_, 1);
  b.request().set_symbols(0, "x");
  auto out = Write(b.Compressed());
  EXPECT_EQ(out.http_status, 400);
  EXPECT_TRUE(out.remote_write_v2);
  EXPECT_NE(out.message.find("symbols[0] must be the empty string"), std::string::npos);
  std::string garbage = "\xff\xff\xff\xff", compressed;
  snappy::Compress(garbage.data(), garbage.size(), &compressed);
  out = Write(compressed);
  EXPECT_EQ(out.http_status, 400);
  EXPECT_NE(out.message.find("io.prometheus.write.v2.Request"), std::string::npos);
  EXPECT_EQ(
      Write(compressed, "application/x-protobuf;proto=io.prometheus.write.v1.Request").http_status,
      415);
  EXPECT_EQ(ingester_
                .Write({"application/x-protobuf;proto=io.prometheus.write.v2.Request", "gzip",
                        b.Compressed()},
                       now_)
                .http_status,
            415);
}

TEST_F(IngesterV2Test, NativeHistogramFeedsTheLatencyWindow) {
  auto send = [&](int64_t t, int64_t n) {
    RequestBuilder b;
    auto* lat = b.Series({{"__name__", "depin_provider_response_seconds"}, {"provider", "p1"}});
    auto* h = lat->add_histograms();
    h->set_timestamp(t);
    h->set_count_int(4 * n);
    h->set_sum(2.5 * static_cast<double>(n));
    AddSpan(h->mutable_positive_spans(), -2, 4);  // (0.125,0.25] .. (1,2]: n each
    for (int64_t d : {n, int64_t{0}, int64_t{0}, int64_t{0}}) h->add_positive_deltas(d);
    return Write(b.Compressed());
  };
  auto first = send(now_ - 60'000, 10);
  EXPECT_EQ(first.http_status, 204) << first.message;
  EXPECT_EQ(first.histograms_written, 1);
  EXPECT_EQ(first.samples_written, 0);
  auto second = send(now_, 15);
  EXPECT_EQ(second.histograms_written, 1);
  const auto* view = View("p1");
  ASSERT_NE(view, nullptr);
  const auto& hist = view->histogram(Signal::kResponseLatency);
  EXPECT_EQ(hist.count, 20);  // 60 - 40 observations between the two
  EXPECT_DOUBLE_EQ(hist.sum, 12.5);
  ASSERT_EQ(hist.upper_bounds, (std::vector<double>{0.125, 0.25, 0.5, 1, 2, kInf}));
  EXPECT_EQ(hist.buckets, (std::vector<double>{0, 5, 10, 15, 20, 20}));
  EXPECT_EQ(Counter("depin_sidecar_native_histograms_converted_total"), 2);
}

TEST_F(IngesterV2Test, CreatedTimestampAfterThePreviousSampleIsAReset) {
  const std::vector<std::pair<std::string, std::string>> labels = {
      {"__name__", "depin_jobs_completed_total"}, {"provider", "p1"}};
  RequestBuilder b1;
  auto* s1 = b1.Series(labels);
  s1->set_created_timestamp(now_ - 3'600'000);  // long ago: no zero, first sample a baseline
  AddSample(s1, now_ - 90'000, 100);
  EXPECT_EQ(Write(b1.Compressed()).http_status, 204);
  // The counter restarted 20 s before its next sample and counted 150 since:
  // without the created timestamp this would read as an increase of 50.
  RequestBuilder b2;
  auto* s2 = b2.Series(labels);
  s2->set_created_timestamp(now_ - 20'000);
  AddSample(s2, now_, 150);
  auto out = Write(b2.Compressed());
  EXPECT_EQ(out.http_status, 204) << out.message;
  EXPECT_EQ(out.samples_written, 1);  // the zero is not the sender's sample
  // Sent again (a retry): the zero is already there, nothing counts twice.
  Write(b2.Compressed());
  const auto* view = View("p1");
  ASSERT_NE(view, nullptr);
  const auto& jobs = view->scalar(Signal::kJobsCompleted);
  EXPECT_EQ(std::accumulate(jobs.sum.begin(), jobs.sum.end(), 0.0), 150);
  EXPECT_EQ(Counter("depin_sidecar_created_timestamp_zeros_total"), 1);

  // rc.4 senders put it on the sample instead.
  RequestBuilder b3;
  AddSample(b3.Series(labels), now_ + 30'000, 7, now_ + 10'000);
  EXPECT_EQ(Write(b3.Compressed()).samples_written, 1);
  EXPECT_EQ(Counter("depin_sidecar_created_timestamp_zeros_total"), 2);
}

TEST_F(IngesterV2Test, GaugesIgnoreCreatedTimestamps) {
  RequestBuilder b;
  auto* s = b.Series({{"__name__", "up"}, {"provider", "p1"}});
  s->set_created_timestamp(now_ - 10'000);
  AddSample(s, now_, 1);
  EXPECT_EQ(Write(b.Compressed()).samples_written, 1);
  EXPECT_EQ(Counter("depin_sidecar_created_timestamp_zeros_total"), 0);
}

}  // namespace
}  // namespace depin::ingest
