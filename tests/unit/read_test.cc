#include <gtest/gtest.h>
#include <snappy.h>

#include <string>
#include <vector>

#include "read/remote_read.h"
#include "remote.pb.h"
#include "store/crc32c.h"
#include "store/store.h"
#include "store/xor_chunk.h"

namespace depin::read {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

void Fill(store::Store& st) {
  for (int p = 0; p < 3; ++p)
    for (int i = 0; i < 300; ++i)
      ASSERT_TRUE(st.Append({{"__name__", "depin_provider_reputation_score"},
                             {"provider", "p" + std::to_string(p)}},
                            kT0 + i * 15'000, 50 + p + 0.25 * (i % 7))
                      .ok());
}

prometheus::Query* AddQuery(prometheus::ReadRequest* req, int64_t start, int64_t end) {
  auto* q = req->add_queries();
  q->set_start_timestamp_ms(start);
  q->set_end_timestamp_ms(end);
  auto* m = q->add_matchers();
  m->set_type(prometheus::LabelMatcher::EQ);
  m->set_name("__name__");
  m->set_value("depin_provider_reputation_score");
  return q;
}

ReadInput Encode(const prometheus::ReadRequest& req) {
  ReadInput in;
  std::string raw = req.SerializeAsString();
  snappy::Compress(raw.data(), raw.size(), &in.body);
  return in;
}

std::string Header(const ReadOutcome& out, const std::string& name) {
  for (const auto& [k, v] : out.headers)
    if (k == name) return v;
  return "";
}

prometheus::ReadResponse DecodeSamples(const ReadOutcome& out) {
  std::string raw;
  EXPECT_TRUE(snappy::Uncompress(out.body.data(), out.body.size(), &raw));
  prometheus::ReadResponse resp;
  EXPECT_TRUE(resp.ParseFromString(raw));
  return resp;
}

std::vector<prometheus::ChunkedReadResponse> DecodeFrames(const std::string& body) {
  std::vector<prometheus::ChunkedReadResponse> out;
  size_t pos = 0;
  while (pos < body.size()) {
    uint64_t n = 0;
    int shift = 0;
    while (true) {
      auto b = static_cast<unsigned char>(body.at(pos++));
      n |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    std::string data = body.substr(pos, n);
    pos += n;
    uint32_t crc = 0;
    for (int i = 0; i < 4; ++i) crc = (crc << 8) | static_cast<unsigned char>(body.at(pos++));
    EXPECT_EQ(crc, store::Crc32c(data));
    prometheus::ChunkedReadResponse frame;
    EXPECT_TRUE(frame.ParseFromString(data));
    out.push_back(frame);
  }
  return out;
}

TEST(RemoteRead, SamplesByDefault) {
  store::Store st({});
  Fill(st);
  prometheus::ReadRequest req;
  AddQuery(&req, kT0 + 15'000, kT0 + 60'000);
  auto* q2 = AddQuery(&req, kT0, kT0 + 300 * 15'000);
  auto* m = q2->add_matchers();
  m->set_type(prometheus::LabelMatcher::RE);
  m->set_name("provider");
  m->set_value("p1|p2");
  ReadOutcome out = HandleRead(Encode(req), st, {});
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(Header(out, "Content-Type"), "application/x-protobuf");
  EXPECT_EQ(Header(out, "Content-Encoding"), "snappy");
  auto resp = DecodeSamples(out);
  ASSERT_EQ(resp.results_size(), 2);
  ASSERT_EQ(resp.results(0).timeseries_size(), 3);
  const auto& ts = resp.results(0).timeseries(0);
  ASSERT_EQ(ts.samples_size(), 4);
  EXPECT_EQ(ts.samples(0).timestamp(), kT0 + 15'000);
  EXPECT_EQ(ts.samples(0).value(), 50.25);
  EXPECT_EQ(ts.labels(0).name(), "__name__");
  EXPECT_EQ(ts.labels(1).value(), "p0");
  ASSERT_EQ(resp.results(1).timeseries_size(), 2);
  EXPECT_EQ(resp.results(1).timeseries(0).samples_size(), 300);
}

TEST(RemoteRead, StreamedChunksMatchSamples) {
  store::Store st({});
  Fill(st);
  prometheus::ReadRequest req;
  AddQuery(&req, kT0 + 100 * 15'000, kT0 + 130 * 15'000);
  req.add_accepted_response_types(prometheus::ReadRequest::STREAMED_XOR_CHUNKS);
  req.add_accepted_response_types(prometheus::ReadRequest::SAMPLES);
  ReadOutcome out = HandleRead(Encode(req), st, {});
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(Header(out, "Content-Type"), kStreamedContentType);
  auto frames = DecodeFrames(out.body);
  ASSERT_EQ(frames.size(), 3u);  // one per series
  for (const auto& f : frames) {
    EXPECT_EQ(f.query_index(), 0);
    ASSERT_EQ(f.chunked_series_size(), 1);
    // Samples 100..130 span the first two chunks (0-119, 120-239), whole.
    ASSERT_EQ(f.chunked_series(0).chunks_size(), 2);
    const auto& c = f.chunked_series(0).chunks(0);
    EXPECT_EQ(c.type(), prometheus::Chunk::XOR);
    EXPECT_EQ(c.min_time_ms(), kT0);
    store::XorChunkReader r(c.data());
    int n = 0;
    while (r.Next()) ++n;
    EXPECT_EQ(n, 120);
  }
  // SAMPLES listed first wins.
  prometheus::ReadRequest samples = req;
  samples.clear_accepted_response_types();
  samples.add_accepted_response_types(prometheus::ReadRequest::SAMPLES);
  samples.add_accepted_response_types(prometheus::ReadRequest::STREAMED_XOR_CHUNKS);
  EXPECT_EQ(Header(HandleRead(Encode(samples), st, {}), "Content-Type"), "application/x-protobuf");
  // A tiny frame limit splits a series over several frames.
  ReadLimits small;
  small.max_frame_bytes = 10;
  EXPECT_EQ(DecodeFrames(HandleRead(Encode(req), st, small).body).size(), 6u);
}

TEST(RemoteRead, BadInputIsA4xxWithAMessage) {
  store::Store st({});
  Fill(st);
  ReadInput garbage;
  garbage.body = "definitely not snappy";
  EXPECT_EQ(HandleRead(garbage, st, {}).status, 400);
  ReadInput empty;
  EXPECT_EQ(HandleRead(empty, st, {}).status, 400);
  ReadInput not_proto;
  std::string junk(64, '\xff');
  snappy::Compress(junk.data(), junk.size(), &not_proto.body);
  ReadOutcome np = HandleRead(not_proto, st, {});
  EXPECT_EQ(np.status, 400);
  EXPECT_NE(np.body.find("malformed"), std::string::npos);

  prometheus::ReadRequest bad_re;
  auto* m = AddQuery(&bad_re, kT0, kT0 + 1000)->add_matchers();
  m->set_type(prometheus::LabelMatcher::RE);
  m->set_name("provider");
  m->set_value("(unclosed");
  ReadOutcome re = HandleRead(Encode(bad_re), st, {});
  EXPECT_EQ(re.status, 400);
  EXPECT_NE(re.body.find("regular expression"), std::string::npos) << re.body;

  prometheus::ReadRequest none;
  EXPECT_EQ(HandleRead(Encode(none), st, {}).status, 400);

  prometheus::ReadRequest req;
  AddQuery(&req, kT0, kT0 + 300 * 15'000);
  ReadLimits limits;
  limits.max_range_ms = 3600'000;
  ReadOutcome range = HandleRead(Encode(req), st, limits);
  EXPECT_EQ(range.status, 400);
  EXPECT_NE(range.body.find("time range"), std::string::npos);
  limits = {};
  limits.max_series = 2;
  ReadOutcome series = HandleRead(Encode(req), st, limits);
  EXPECT_EQ(series.status, 413);
  EXPECT_NE(series.body.find("3 series"), std::string::npos) << series.body;
  limits = {};
  limits.max_samples = 899;
  EXPECT_EQ(HandleRead(Encode(req), st, limits).status, 413);
  limits.max_samples = 900;
  EXPECT_EQ(HandleRead(Encode(req), st, limits).status, 200);
  limits.max_decompressed_bytes = 4;
  EXPECT_EQ(HandleRead(Encode(req), st, limits).status, 413);

  prometheus::ReadRequest unknown_type = req;
  unknown_type.add_accepted_response_types(static_cast<prometheus::ReadRequest_ResponseType>(7));
  EXPECT_EQ(HandleRead(Encode(unknown_type), st, {}).status, 400);

  ReadInput get = Encode(req);
  get.method = "GET";
  EXPECT_EQ(HandleRead(get, st, {}).status, 405);
}

}  // namespace
}  // namespace depin::read
