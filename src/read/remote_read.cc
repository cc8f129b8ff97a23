#include "read/remote_read.h"

#include <snappy.h>

#include <algorithm>

#include "remote.pb.h"
#include "store/crc32c.h"

namespace depin::read {
namespace {

ReadOutcome Error(int status, std::string message) {
  ReadOutcome out;
  out.status = status;
  out.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  out.body = std::move(message) + "\n";
  return out;
}

int StatusFor(const Status& st) { return st.code() == Status::Code::kTooLarge ? 413 : 400; }

Result<std::vector<store::Matcher>> ToMatchers(const prometheus::Query& q) {
  std::vector<store::Matcher> out;
  for (const auto& m : q.matchers()) {
    store::Matcher::Type type;
    switch (m.type()) {
      case prometheus::LabelMatcher::EQ:
        type = store::Matcher::Type::kEq;
        break;
      case prometheus::LabelMatcher::NEQ:
        type = store::Matcher::Type::kNeq;
        break;
      case prometheus::LabelMatcher::RE:
        type = store::Matcher::Type::kRe;
        break;
      case prometheus::LabelMatcher::NRE:
        type = store::Matcher::Type::kNre;
        break;
      default:
        return Status::InvalidArgument("unknown label matcher type " + std::to_string(m.type()));
    }
    out.push_back({type, m.name(), m.value()});
  }
  return out;
}

void PutLabels(const store::Labels& labels,
               google::protobuf::RepeatedPtrField<prometheus::Label>* out) {
  for (const auto& [name, value] : labels) {
    auto* l = out->Add();
    l->set_name(name);
    l->set_value(value);
  }
}

void PutFrame(const prometheus::ChunkedReadResponse& msg, std::string* body) {
  const std::string data = msg.SerializeAsString();
  uint64_t n = data.size();
  while (n >= 0x80) {
    body->push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  body->push_back(static_cast<char>(n));
  body->append(data);
  const uint32_t crc = store::Crc32c(data);
  for (int shift = 24; shift >= 0; shift -= 8) body->push_back(static_cast<char>(crc >> shift));
}

}  // namespace

ReadOutcome HandleRead(const ReadInput& in, const store::Store& store, const ReadLimits& limits) {
  if (in.method != "POST") {
    ReadOutcome out = Error(405, "remote-read needs POST");
    out.headers.emplace_back("Allow", "POST");
    return out;
  }
  size_t length = 0;
  if (in.body.empty() || !snappy::GetUncompressedLength(in.body.data(), in.body.size(), &length))
    return Error(400, "malformed remote-read request: body is not snappy block-compressed data");
  if (limits.max_decompressed_bytes > 0 &&
      length > static_cast<uint64_t>(limits.max_decompressed_bytes))
    return Error(413, "remote-read request decompresses to " + std::to_string(length) +
                          " bytes, more than the limit of " +
                          std::to_string(limits.max_decompressed_bytes));
  std::string raw;
  if (!snappy::Uncompress(in.body.data(), in.body.size(), &raw))
    return Error(400, "malformed remote-read request: corrupt snappy data");
  prometheus::ReadRequest req;
  if (!req.ParseFromString(raw))
    return Error(400, "malformed remote-read request: not a prometheus.ReadRequest");
  if (req.queries_size() == 0) return Error(400, "remote-read request without queries");
  if (limits.max_queries > 0 && req.queries_size() > limits.max_queries)
    return Error(413, "remote-read request has " + std::to_string(req.queries_size()) +
                          " queries, more than the limit of " + std::to_string(limits.max_queries));

  // Negotiation: the first accepted type we implement; none listed: SAMPLES.
  bool streamed = false;
  if (req.accepted_response_types_size() > 0) {
    bool found = false;
    for (int t : req.accepted_response_types()) {
      if (t == prometheus::ReadRequest::SAMPLES ||
          t == prometheus::ReadRequest::STREAMED_XOR_CHUNKS) {
        streamed = t == prometheus::ReadRequest::STREAMED_XOR_CHUNKS;
        found = true;
        break;
      }
    }
    if (!found) return Error(400, "none of the accepted response types is supported");
  }

  // Validate every query before doing any work.
  std::vector<std::vector<store::Matcher>> matchers;
  for (int i = 0; i < req.queries_size(); ++i) {
    const auto& q = req.queries(i);
    if (q.end_timestamp_ms() < q.start_timestamp_ms())
      return Error(400, "query " + std::to_string(i) + ": end before start");
    if (limits.max_range_ms > 0 &&
        q.end_timestamp_ms() - q.start_timestamp_ms() > limits.max_range_ms)
      return Error(400, "query " + std::to_string(i) + ": time range of " +
                            std::to_string(q.end_timestamp_ms() - q.start_timestamp_ms()) +
                            " ms is longer than the limit of " +
                            std::to_string(limits.max_range_ms) + " ms");
    auto m = ToMatchers(q);
    if (!m.ok()) return Error(400, "query " + std::to_string(i) + ": " + m.status().message());
    if (m->empty()) return Error(400, "query " + std::to_string(i) + ": no label matchers");
    matchers.push_back(std::move(*m));
  }

  ReadOutcome out;
  if (streamed) {
    out.headers = {{"Content-Type", kStreamedContentType}};
    for (int i = 0; i < req.queries_size(); ++i) {
      const auto& q = req.queries(i);
      auto got = store.Select(matchers[i], q.start_timestamp_ms(), q.end_timestamp_ms(),
                              store::SelectMode::kChunks, {limits.max_series, limits.max_samples});
      if (!got.ok())
        return Error(StatusFor(got.status()),
                     "query " + std::to_string(i) + ": " + got.status().message());
      for (const auto& series : *got) {
        // One frame per series; a series larger than a frame goes in several.
        prometheus::ChunkedReadResponse frame;
        frame.set_query_index(i);
        prometheus::ChunkedSeries* cs = frame.add_chunked_series();
        PutLabels(series.labels, cs->mutable_labels());
        size_t bytes = 0;
        for (const auto& c : series.chunks) {
          if (cs->chunks_size() > 0 && limits.max_frame_bytes > 0 &&
              bytes + c.data.size() > static_cast<size_t>(limits.max_frame_bytes)) {
            PutFrame(frame, &out.body);
            cs->clear_chunks();
            bytes = 0;
          }
          auto* chunk = cs->add_chunks();
          chunk->set_min_time_ms(c.min_t);
          chunk->set_max_time_ms(c.max_t);
          chunk->set_type(prometheus::Chunk::XOR);
          chunk->set_data(c.data);
          bytes += c.data.size();
        }
        PutFrame(frame, &out.body);
      }
    }
    return out;
  }

  prometheus::ReadResponse resp;
  int64_t total = 0;
  for (int i = 0; i < req.queries_size(); ++i) {
    const auto& q = req.queries(i);
    // The sample limit holds for the whole response, as Prometheus's.
    const int64_t left =
        limits.max_samples > 0 ? std::max<int64_t>(1, limits.max_samples - total) : 0;
    auto got = store.Select(matchers[i], q.start_timestamp_ms(), q.end_timestamp_ms(),
                            store::SelectMode::kSamples, {limits.max_series, left});
    if (!got.ok())
      return Error(StatusFor(got.status()),
                   "query " + std::to_string(i) + ": " + got.status().message());
    int64_t returned = 0;
    for (const auto& series : *got) returned += static_cast<int64_t>(series.samples.size());
    if (limits.max_samples > 0 && total + returned > limits.max_samples)
      return Error(413, "query " + std::to_string(i) +
                            ": the request returns more than the limit of " +
                            std::to_string(limits.max_samples) + " samples");
    auto* result = resp.add_results();
    for (const auto& series : *got) {
      auto* ts = result->add_timeseries();
      PutLabels(series.labels, ts->mutable_labels());
      for (const auto& s : series.samples) {
        auto* sample = ts->add_samples();
        sample->set_timestamp(s.t);
        sample->set_value(s.v);
      }
      total += static_cast<int64_t>(series.samples.size());
    }
  }
  const std::string raw_resp = resp.SerializeAsString();
  snappy::Compress(raw_resp.data(), raw_resp.size(), &out.body);
  out.headers = {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "snappy"}};
  return out;
}

}  // namespace depin::read
