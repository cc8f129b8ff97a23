#include "ingest/write_view.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "ingest/decode.h"

namespace depin::ingest {
namespace {

// Hand-made protobuf wire data, built independently of libprotobuf.
std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Tag(uint32_t field, uint32_t wire_type) { return Varint(field << 3 | wire_type); }
std::string Len(uint32_t field, const std::string& payload) {
  return Tag(field, 2) + Varint(payload.size()) + payload;
}
std::string Fixed64(uint32_t field, double v) {
  std::string out = Tag(field, 1);
  char bytes[8];
  std::memcpy(bytes, &v, 8);
  return out + std::string(bytes, 8);
}
std::string Label(const std::string& name, const std::string& value) {
  return Len(1, Len(1, name) + Len(2, value));
}
std::string Sample(int64_t ts, double value) {
  return Len(2, Fixed64(1, value) + Tag(2, 0) + Varint(static_cast<uint64_t>(ts)));
}
std::string Series(const std::string& fields) { return Len(1, fields); }

// Parses `raw` both ways and expects the same verdict and contents.
::testing::AssertionResult SameAsLibprotobuf(const std::string& raw, bool expect_ok) {
  prometheus::WriteRequest reference;
  const bool reference_ok = ParseWriteRequest(raw, &reference).ok();
  WriteRequestView view;
  const bool view_ok = ParseWriteRequestView(raw, &view).ok();
  if (reference_ok != expect_ok) {
    return ::testing::AssertionFailure() << "libprotobuf says " << reference_ok;
  }
  if (view_ok != reference_ok) return ::testing::AssertionFailure() << "view says " << view_ok;
  if (!view_ok) return ::testing::AssertionSuccess();
  if (view.series_count() != static_cast<size_t>(reference.timeseries_size())) {
    return ::testing::AssertionFailure() << "series count " << view.series_count();
  }
  for (size_t i = 0; i < view.series_count(); ++i) {
    const auto& ts = reference.timeseries(static_cast<int>(i));
    if (view.labels(i).size() != static_cast<size_t>(ts.labels_size()) ||
        view.samples(i).size() != static_cast<size_t>(ts.samples_size())) {
      return ::testing::AssertionFailure() << "sizes of series " << i;
    }
    for (int k = 0; k < ts.labels_size(); ++k) {
      if (view.labels(i)[k].name != ts.labels(k).name() ||
          view.labels(i)[k].value != ts.labels(k).value()) {
        return ::testing::AssertionFailure() << "label " << k << " of series " << i;
      }
    }
    for (int k = 0; k < ts.samples_size(); ++k) {
      const SampleRef& s = view.samples(i)[k];
      const double v = ts.samples(k).value();
      if (s.timestamp_ms != ts.samples(k).timestamp() || std::memcmp(&s.value, &v, 8) != 0) {
        return ::testing::AssertionFailure() << "sample " << k << " of series " << i;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(WriteView, ReadsWhatLibprotobufWrites) {
  prometheus::WriteRequest req;
  for (int i = 0; i < 3; ++i) {
    auto* ts = req.add_timeseries();
    auto* name = ts->add_labels();
    name->set_name("__name__");
    name->set_value("up");
    auto* provider = ts->add_labels();
    provider->set_name("provider");
    provider->set_value("p" + std::to_string(i));
    for (int k = 0; k < i; ++k) {
      auto* s = ts->add_samples();
      s->set_timestamp(1'700'000'000'000 + k * 15'000);
      s->set_value(k == 1 ? std::nan("") : -k * 0.5);
    }
  }
  req.add_timeseries();  // no labels, no samples
  auto* md = req.add_metadata();
  md->set_metric_family_name("up");
  md->set_type(prometheus::MetricMetadata::GAUGE);
  const std::string raw = req.SerializeAsString();
  EXPECT_TRUE(SameAsLibprotobuf(raw, true));
  WriteRequestView view;
  ASSERT_TRUE(ParseWriteRequestView(raw, &view).ok());
  ASSERT_EQ(view.series_count(), 4u);
  EXPECT_EQ(view.labels(2)[1].value, "p2");
  EXPECT_EQ(view.samples(2)[0].timestamp_ms, 1'700'000'000'000);
  EXPECT_TRUE(view.labels(3).empty());
  // The strings are views into the buffer: no copies.
  EXPECT_GE(view.labels(0)[0].name.data(), raw.data());
  EXPECT_LT(view.labels(0)[0].name.data(), raw.data() + raw.size());

  // ViewWriteRequest gives the same view of the decoded message.
  WriteRequestView of_message;
  ViewWriteRequest(req, &of_message);
  ASSERT_EQ(of_message.series_count(), 4u);
  EXPECT_EQ(of_message.labels(1)[1].value, "p1");
  EXPECT_EQ(of_message.samples(2)[0].value, -0.0);
}

TEST(WriteView, EmptyInputIsAnEmptyRequest) {
  EXPECT_TRUE(SameAsLibprotobuf("", true));
  EXPECT_TRUE(SameAsLibprotobuf(Series(""), true));
}

TEST(WriteView, SkipsUnknownFieldsOfEveryWireType) {
  const std::string unknown = Tag(9, 0) + Varint(300) + Tag(10, 1) + std::string(8, 'x') +
                              Len(11, "opaque") + Tag(12, 5) + std::string(4, 'y') + Tag(13, 3) +
                              Tag(1, 0) + Varint(1) + Tag(13, 4);
  const std::string label = Len(1, unknown + Len(1, "__name__") + unknown + Len(2, "up"));
  const std::string sample = Len(2, unknown + Fixed64(1, 2.5) + Tag(2, 0) + Varint(7));
  // Native histograms (field 4 of TimeSeries) are not read by 1.0 ingest.
  EXPECT_TRUE(SameAsLibprotobuf(
      unknown + Series(label + unknown + sample + Len(4, "hist")) + unknown, true));
}

TEST(WriteView, KnownFieldsOfAnotherWireTypeAreSkipped) {
  // A label name sent as a varint, a sample value as a varint, a series as
  // a fixed32: all unknown fields to libprotobuf.
  const std::string label = Len(1, Tag(1, 0) + Varint(5) + Len(2, "v"));
  const std::string sample = Len(2, Tag(1, 0) + Varint(5) + Tag(2, 0) + Varint(9));
  EXPECT_TRUE(SameAsLibprotobuf(Series(label + sample) + Tag(1, 5) + "abcd", true));
}

TEST(WriteView, LastScalarWins) {
  const std::string label = Len(1, Len(1, "a") + Len(2, "x") + Len(1, "b") + Len(2, "y"));
  const std::string sample =
      Len(2, Fixed64(1, 1) + Tag(2, 0) + Varint(1) + Fixed64(1, 2) + Tag(2, 0) + Varint(2));
  EXPECT_TRUE(SameAsLibprotobuf(Series(label + sample), true));
  // Negative timestamps are ten-byte varints.
  EXPECT_TRUE(
      SameAsLibprotobuf(Series(Len(2, Tag(2, 0) + Varint(static_cast<uint64_t>(-5)))), true));
}

TEST(WriteView, RejectsMalformedData) {
  const std::string good = Series(Label("__name__", "up") + Sample(1, 1));
  EXPECT_TRUE(SameAsLibprotobuf(good.substr(0, good.size() - 1), false));    // truncated
  EXPECT_TRUE(SameAsLibprotobuf(Tag(1, 6) + "x", false));                    // wire type 6
  EXPECT_TRUE(SameAsLibprotobuf(Tag(1, 7) + "x", false));                    // wire type 7
  EXPECT_TRUE(SameAsLibprotobuf(Tag(0, 0) + Varint(1), false));              // field number 0
  EXPECT_TRUE(SameAsLibprotobuf(std::string(1, '\0'), false));               // tag 0
  EXPECT_TRUE(SameAsLibprotobuf(Tag(5, 4), false));                          // end without start
  EXPECT_TRUE(SameAsLibprotobuf(Tag(5, 3) + Tag(6, 4), false));              // mismatched end
  EXPECT_TRUE(SameAsLibprotobuf(Tag(5, 3) + Tag(1, 0) + Varint(1), false));  // unterminated
  EXPECT_TRUE(
      SameAsLibprotobuf(Tag(9, 0) + std::string(11, '\x80') + '\x01', false));  // long varint
  EXPECT_TRUE(SameAsLibprotobuf(Tag(1, 2) + Varint(100) + "short", false));     // length past end
  EXPECT_TRUE(SameAsLibprotobuf(Tag(9, 1) + "1234567", false));                 // short fixed64
  EXPECT_TRUE(SameAsLibprotobuf(Tag(9, 5) + "123", false));                     // short fixed32
  // Exemplars and metadata are not kept, but must be well-formed.
  EXPECT_TRUE(SameAsLibprotobuf(Series(Len(3, Len(1, Tag(1, 7)))), false));
  EXPECT_TRUE(SameAsLibprotobuf(Series(Len(3, Len(1, Len(1, "a")) + Fixed64(2, 1))), true));
  EXPECT_TRUE(SameAsLibprotobuf(Len(3, Tag(2, 6)), false));
  // A bad label fails the whole request, as in libprotobuf.
  EXPECT_TRUE(SameAsLibprotobuf(good + Series(Len(1, Tag(1, 2) + Varint(9))), false));
  // After a failure the view is empty, not half-filled.
  WriteRequestView view;
  EXPECT_FALSE(ParseWriteRequestView(good + Tag(1, 7), &view).ok());
  EXPECT_EQ(view.series_count(), 0u);
}

TEST(WriteView, NestingIsLimitedAsInLibprotobuf) {
  auto groups = [](int depth) {
    std::string open, close;
    for (int i = 0; i < depth; ++i) {
      open += Tag(7, 3);
      close += Tag(7, 4);
    }
    return open + close;
  };
  EXPECT_TRUE(SameAsLibprotobuf(groups(100), true));
  EXPECT_TRUE(SameAsLibprotobuf(groups(101), false));
  // Inside a label two levels are used already.
  EXPECT_TRUE(SameAsLibprotobuf(Series(Len(1, groups(98))), true));
  EXPECT_TRUE(SameAsLibprotobuf(Series(Len(1, groups(99))), false));
}

TEST(WriteView, TagsAndSizesAtTheirLimits) {
  // A five-byte tag whose high bits overflow 32 bits, a size in five bytes.
  EXPECT_TRUE(SameAsLibprotobuf("\x88\x80\x80\x80\x70" + Varint(1), true));
  EXPECT_TRUE(SameAsLibprotobuf("\x88\x80\x80\x80\x80\x01" + Varint(1), false));  // six-byte tag
  EXPECT_TRUE(SameAsLibprotobuf(Tag(1, 2) + std::string("\x80\x80\x80\x80\x00", 5),
                                true));  // size 0, 5 bytes
  EXPECT_TRUE(SameAsLibprotobuf(Tag(1, 2) + std::string("\x80\x80\x80\x80\x80\x00", 6), false));
}

}  // namespace
}  // namespace depin::ingest
