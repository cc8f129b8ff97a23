#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <snappy.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "analytics/scoreboard.h"
#include "durable/bytes.h"
#include "durable/checkpoint.h"
#include "durable/durability.h"
#include "durable/framing.h"
#include "durable/wal.h"
#include "export/render.h"
#include "ingest/decode.h"
#include "ingest/ingester.h"
#include "route/router.h"
#include "windows/window_store.h"

namespace depin::durable {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kStep = 10'000;
constexpr int64_t kT0 = 1'700'000'000'000 - (1'700'000'000'000 % kStep);

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class TempDir {
 public:
  TempDir() {
    path_ = (std::filesystem::temp_directory_path() /
             ("durable_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++)))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

// ---------------------------------------------------------------- framing

std::string FiveRecords(std::vector<std::string>* payloads) {
  std::string file;
  for (int i = 0; i < 5; ++i) {
    payloads->push_back("record " + std::to_string(i) + std::string(20 + i, 'x'));
    AppendRecord(&file, payloads->back());
  }
  return file;
}

TEST(Framing, RoundTrip) {
  std::vector<std::string> payloads;
  const std::string file = FiveRecords(&payloads);
  ScanResult scan = ScanRecords(file);
  ASSERT_EQ(scan.payloads.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(scan.payloads[i], payloads[i]);
  EXPECT_EQ(scan.corrupt, 0);
  EXPECT_FALSE(scan.truncated);
  EXPECT_EQ(scan.lost_bytes, 0u);
}

TEST(Framing, TruncatedTailKeepsEveryWholeRecord) {
  std::vector<std::string> payloads;
  const std::string file = FiveRecords(&payloads);
  const size_t last = file.size() - (kRecordHeaderBytes + payloads[4].size());
  // Cut inside the last payload, and inside its header.
  for (size_t cut : {file.size() - 3, last + 5}) {
    ScanResult scan = ScanRecords(std::string_view(file).substr(0, cut));
    ASSERT_EQ(scan.payloads.size(), 4u) << cut;
    EXPECT_EQ(scan.payloads[3], payloads[3]);
    EXPECT_TRUE(scan.truncated);
    EXPECT_EQ(scan.corrupt, 0);
    EXPECT_EQ(scan.lost_bytes, cut - last);
  }
}

TEST(Framing, CorruptRecordInTheMiddleLosesOnlyItself) {
  std::vector<std::string> payloads;
  const std::string file = FiveRecords(&payloads);
  const size_t second = kRecordHeaderBytes + payloads[0].size();
  // A flipped payload byte (CRC mismatch), a damaged length and a damaged magic.
  for (size_t offset : {second + kRecordHeaderBytes + 3, second + 5, second + 1}) {
    std::string damaged = file;
    damaged[offset] = static_cast<char>(damaged[offset] ^ 0x40);
    ScanResult scan = ScanRecords(damaged);
    ASSERT_EQ(scan.payloads.size(), 4u) << offset;
    EXPECT_EQ(scan.payloads[0], payloads[0]);
    EXPECT_EQ(scan.payloads[1], payloads[2]);
    EXPECT_EQ(scan.payloads[3], payloads[4]);
    EXPECT_EQ(scan.corrupt, 1);
    EXPECT_FALSE(scan.truncated);
    EXPECT_EQ(scan.lost_bytes, kRecordHeaderBytes + payloads[1].size());
  }
}

TEST(Framing, GarbageIsCorruptNotTruncated) {
  ScanResult scan = ScanRecords(std::string(100, '\x7f'));
  EXPECT_TRUE(scan.payloads.empty());
  EXPECT_EQ(scan.corrupt, 1);
  EXPECT_FALSE(scan.truncated);
}

// -------------------------------------------------------------------- WAL

TEST(Wal, SegmentsRotateReplayAndAreRemoved) {
  TempDir dir;
  const std::string wal_dir = dir.path() + "/wal";
  WalWriter wal(wal_dir, /*fsync=*/true);
  ASSERT_TRUE(wal.Open(7).ok());
  ASSERT_TRUE(wal.Append({100, "application/x-protobuf", "snappy", "body one"}).ok());
  auto next = wal.Rotate();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), 8u);
  ASSERT_TRUE(wal.Append({200, "application/x-protobuf;proto=io.prometheus.write.v2.Request",
                          "snappy", std::string("\0binary\xff", 8)})
                  .ok());
  auto segments = ListWalSegments(wal_dir);
  ASSERT_TRUE(segments.ok());
  EXPECT_EQ(segments.value(), (std::vector<uint64_t>{7, 8}));

  WalSegmentContents first = DecodeWalSegment(ReadAll(WalSegmentPath(wal_dir, 7)));
  ASSERT_EQ(first.requests.size(), 1u);
  EXPECT_EQ(first.requests[0].now_ms, 100);
  EXPECT_EQ(first.requests[0].body, "body one");
  WalSegmentContents second = DecodeWalSegment(ReadAll(WalSegmentPath(wal_dir, 8)));
  ASSERT_EQ(second.requests.size(), 1u);
  EXPECT_EQ(second.requests[0].content_type,
            "application/x-protobuf;proto=io.prometheus.write.v2.Request");
  EXPECT_EQ(second.requests[0].body, std::string("\0binary\xff", 8));
  EXPECT_FALSE(second.truncated || second.bad_header || second.corrupt > 0);

  ASSERT_TRUE(wal.RemoveBefore(8).ok());
  EXPECT_EQ(ListWalSegments(wal_dir).value(), (std::vector<uint64_t>{8}));
}

TEST(Wal, TruncatedTailAndCorruptRecordAreReportedAndTheRestKept) {
  std::string segment;
  {
    TempDir dir;
    WalWriter wal(dir.path(), false);
    ASSERT_TRUE(wal.Open(1).ok());
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(wal.Append({i, "t", "snappy", "request " + std::to_string(i)}).ok());
    }
    segment = ReadAll(WalSegmentPath(dir.path(), 1));
  }
  WalSegmentContents cut = DecodeWalSegment(segment.substr(0, segment.size() - 4));
  ASSERT_EQ(cut.requests.size(), 3u);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(cut.corrupt, 0);

  std::string damaged = segment;
  const size_t pos = damaged.find("request 1");
  damaged[pos] = 'R';
  WalSegmentContents corrupt = DecodeWalSegment(damaged);
  ASSERT_EQ(corrupt.requests.size(), 3u);
  EXPECT_EQ(corrupt.requests[1].body, "request 2");
  EXPECT_EQ(corrupt.corrupt, 1);
  EXPECT_FALSE(corrupt.truncated);

  // A header of another version: nothing in the segment is trusted.
  std::string future = segment;
  std::string payload;
  ByteWriter w(&payload);
  w.U8(0);
  w.Str("depin-wal");
  w.U32(kWalFormatVersion + 1);
  std::string header;
  AppendRecord(&header, payload);
  future.replace(0, header.size(), header);
  WalSegmentContents unknown = DecodeWalSegment(future);
  EXPECT_TRUE(unknown.bad_header);
  EXPECT_TRUE(unknown.requests.empty());
}

// ------------------------------------------------- fleet through the ingester

void AddSeries(prometheus::WriteRequest* req, const Labels& labels, int64_t ts, double v) {
  auto* series = req->add_timeseries();
  for (const auto& [n, val] : labels) {
    auto* l = series->add_labels();
    l->set_name(n);
    l->set_value(val);
  }
  auto* s = series->add_samples();
  s->set_timestamp(ts);
  s->set_value(v);
}

// One remote-write request of a small fleet at time `t`: providers go down,
// fail jobs and vary their load, so tiers, penalties, anomalies and the
// audit trail all have something to do.
std::string FleetRequest(int64_t t, int providers) {
  prometheus::WriteRequest req;
  const int64_t i = (t - kT0) / 5'000;
  for (int p = 0; p < providers; ++p) {
    const std::string id = "p" + std::to_string(p);
    const bool down = p == 1 && (i / 40) % 2 == 1;
    AddSeries(&req, {{"__name__", "up"}, {"provider", id}}, t, down ? 0 : 1);
    AddSeries(&req, {{"__name__", "depin_jobs_completed_total"}, {"provider", id}}, t,
              static_cast<double>(i * (3 + p)));
    AddSeries(&req, {{"__name__", "depin_jobs_failed_total"}, {"provider", id}}, t,
              static_cast<double>(i * (p == 2 ? 2 : 0) + (i > 200 ? i - 200 : 0)));
    AddSeries(&req, {{"__name__", "DCGM_FI_DEV_GPU_UTIL"}, {"gpu", "0"}, {"provider", id}}, t,
              50 + 40 * std::sin(static_cast<double>(i) / (7.0 + p)));
    for (double le : {0.1, 0.5, 1.0}) {
      AddSeries(&req,
                {{"__name__", "depin_provider_response_seconds_bucket"},
                 {"le", le == 1.0 ? "+Inf" : std::to_string(le)},
                 {"provider", id}},
                t,
                static_cast<double>(i * (le == 0.1   ? 1
                                         : le == 0.5 ? 2 + p
                                                     : 4 + p)));
    }
    AddSeries(&req, {{"__name__", "depin_provider_response_seconds_count"}, {"provider", id}}, t,
              static_cast<double>(i * (4 + p)));
    AddSeries(&req, {{"__name__", "depin_provider_response_seconds_sum"}, {"provider", id}}, t,
              static_cast<double>(i) * (0.3 + 0.1 * p));
  }
  std::string raw = req.SerializeAsString(), out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

Config TestConfig() {
  Config c = DefaultConfig();
  c.windows.step_ms = kStep;
  c.windows.length_ms = 60 * kStep;
  c.forecast.step_ms = kStep;
  c.forecast.season_ms = 6 * kStep;  // ready after a few minutes of data
  c.forecast.horizons_ms = {kStep, 3 * kStep};
  c.statistics.usage_bucket_ms = kStep;
  return c;
}

// A sidecar's ingest and analytics, without HTTP.
struct Node {
  explicit Node(const Config& c)
      : config(c),
        router(c),
        store(c.windows, c.limits),
        ingester(c.limits, router, store, registry),
        state(c) {}
  void Write(int64_t t, int providers) {
    auto out = ingester.Write({"application/x-protobuf", "snappy", FleetRequest(t, providers)}, t);
    ASSERT_LT(out.http_status, 300) << out.message;
  }
  // The rendered scoreboard and the audit trail at `t`.
  std::string Evaluate(int64_t t) {
    auto board = analytics::ComputeScoreboard(store.Snapshot(t), config, t, state);
    std::string text = exposition::RenderScoreboard(board);
    for (const auto& r : state.audit.Records()) {
      text += std::to_string(r.timestamp_ms) + " " + r.provider + " " + r.kind + " " + r.rule +
              " " + std::to_string(r.before) + " " + std::to_string(r.after) + " " + r.inputs +
              "\n";
    }
    return text;
  }
  Config config;
  prometheus::Registry registry;
  route::Router router;
  windows::WindowStore store;
  ingest::Ingester ingester;
  analytics::AnalyticsState state;
};

std::string Windows(const windows::WindowStore& store, int64_t t) {
  std::ostringstream out;
  out.precision(17);
  for (const auto& v : store.Snapshot(t)) {
    out << v.id << "\n";
    for (int s = 0; s < kSignalCount; ++s) {
      for (size_t i = 0; i < v.scalars[s].sum.size(); ++i) {
        out << s << ":" << v.scalars[s].sum[i] << "/" << v.scalars[s].count[i] << " ";
      }
      for (double b : v.histograms[s].buckets) out << s << "b" << b << " ";
      out << v.histograms[s].sum << "/" << v.histograms[s].count << "\n";
    }
  }
  return out.str();
}

TEST(Checkpoint, RoundTripKeepsWhatTheAnalyticsProduce) {
  const Config config = TestConfig();
  Node a(config);
  int64_t t = kT0;
  for (; t < kT0 + 1'800'000; t += 5'000) {
    a.Write(t, 4);
    if (t % 30'000 == 0) a.Evaluate(t);
  }
  ASSERT_GT(a.state.audit.appended(), 0u) << "the fleet should move tiers and penalties";
  const std::string file = EncodeCheckpoint({t, 42}, a.store.Export(), a.state, 0);

  CheckpointContents c = DecodeCheckpoint(file, config);
  ASSERT_TRUE(c.header.has_value());
  EXPECT_EQ(c.header->wal_sequence, 42u);
  EXPECT_FALSE(c.damaged());
  ASSERT_TRUE(c.windows.has_value());
  Node b(config);
  ASSERT_TRUE(b.store.Import(*c.windows).ok());
  b.state = std::move(c.state);
  EXPECT_EQ(Windows(b.store, t), Windows(a.store, t));
  EXPECT_EQ(b.state.audit.appended(), a.state.audit.appended());

  // Both go on with the same data: every figure and audit record agrees.
  int compared = 0;
  for (; t < kT0 + 2'400'000; t += 5'000) {
    a.Write(t, 4);
    b.Write(t, 4);
    if (t % 30'000 == 0) {
      ASSERT_EQ(b.Evaluate(t), a.Evaluate(t)) << "at " << t;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 20);
  EXPECT_NE(a.Evaluate(t).find("depin_provider_forecast"), std::string::npos)
      << "forecast models should be ready, so their state was compared too";
}

TEST(Checkpoint, VersionMismatchTrustsNothing) {
  const Config config = TestConfig();
  Node a(config);
  a.Write(kT0, 2);
  std::string file = EncodeCheckpoint({kT0, 3}, a.store.Export(), a.state, 0);
  std::string payload;
  ByteWriter w(&payload);
  w.U8(0);
  w.Str("depin-checkpoint");
  w.U32(kCheckpointFormatVersion + 1);
  w.I64(kT0);
  w.U64(3);
  std::string header;
  AppendRecord(&header, payload);
  file.replace(0, header.size(), header);
  CheckpointContents c = DecodeCheckpoint(file, config);
  EXPECT_FALSE(c.header.has_value());
  EXPECT_EQ(c.version, kCheckpointFormatVersion + 1);
  EXPECT_FALSE(c.windows.has_value());
  EXPECT_TRUE(c.damaged());
}

TEST(Checkpoint, CorruptProviderRecordLosesOnlyThatProvider) {
  const Config config = TestConfig();
  Node a(config);
  for (int64_t t = kT0; t < kT0 + 120'000; t += 5'000) a.Write(t, 3);
  std::string file = EncodeCheckpoint({kT0, 1}, a.store.Export(), a.state, 0);
  // The provider record of p1 (its id follows the record's tag).
  const size_t pos = file.find(std::string("\x02\x02\0\0\0p1", 7));
  ASSERT_NE(pos, std::string::npos);
  file[pos + 20] = static_cast<char>(file[pos + 20] ^ 1);
  CheckpointContents c = DecodeCheckpoint(file, config);
  EXPECT_EQ(c.corrupt, 1);
  ASSERT_TRUE(c.windows.has_value());
  Node b(config);
  size_t skipped = 0;
  ASSERT_TRUE(b.store.Import(*c.windows, &skipped).ok());
  EXPECT_GT(skipped, 0u);  // p1's series, whose provider is gone
  const auto views = b.store.Snapshot(kT0 + 115'000);
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0].id, "p0");
  EXPECT_EQ(views[1].id, "p2");
  // A truncated file: everything before the cut is kept.
  CheckpointContents cut =
      DecodeCheckpoint(std::string_view(file).substr(0, file.size() - 3), config);
  EXPECT_TRUE(cut.truncated);
  EXPECT_TRUE(cut.windows.has_value());
}

TEST(Checkpoint, WindowGeometryChangeIsRefused) {
  Config config = TestConfig();
  Node a(config);
  a.Write(kT0, 1);
  CheckpointContents c =
      DecodeCheckpoint(EncodeCheckpoint({kT0, 1}, a.store.Export(), a.state, 0), config);
  config.windows.step_ms = 2 * kStep;
  windows::WindowStore other(config.windows, config.limits);
  EXPECT_EQ(other.Import(*c.windows).code(), Status::Code::kInvalidArgument);
}

TEST(Checkpoint, SlotCountThatIsNotAWholeNumberOfSamplesIsRefused) {
  const Config config = TestConfig();
  Node a(config);
  a.Write(kT0, 1);
  for (double bad : {1.5, -1.0, 5e9}) {
    windows::WindowImage image = a.store.Export();
    bool changed = false;
    for (auto& ring : image.providers[0].scalars) {
      if (ring && !changed) ring->count[0] = bad, changed = true;
    }
    ASSERT_TRUE(changed);
    windows::WindowStore other(config.windows, config.limits);
    EXPECT_EQ(other.Import(image).code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_EQ(other.provider_count(), 0u) << "nothing half-imported";
  }
}

TEST(Checkpoint, AuditRetentionDropsOldRecords) {
  const Config config = TestConfig();
  analytics::AnalyticsState state(config);
  for (int i = 0; i < 10; ++i) state.audit.Append({kT0 + i * 1000, "p", "tier", "r", 0, 1, ""});
  windows::WindowStore store(config.windows, config.limits);
  CheckpointContents c =
      DecodeCheckpoint(EncodeCheckpoint({kT0, 1}, store.Export(), state, kT0 + 6000), config);
  const auto records = c.state.audit.Records();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records.front().timestamp_ms, kT0 + 6000);
  EXPECT_EQ(c.state.audit.appended(), 10u);
}

// Records that pass their CRC but hold garbage (a bug, or a file written by
// something else) are refused one by one; what is restored still evaluates.
TEST(Checkpoint, GarbageRecordsWithValidFramingAreRefusedWithoutHarm) {
  const Config config = TestConfig();
  Node a(config);
  for (int64_t t = kT0; t < kT0 + 300'000; t += 5'000) {
    a.Write(t, 3);
    if (t % 30'000 == 0) a.Evaluate(t);
  }
  const std::string good = EncodeCheckpoint({kT0, 1}, a.store.Export(), a.state, 0);
  const ScanResult scan = ScanRecords(good);
  ASSERT_GT(scan.payloads.size(), 3u);
  std::mt19937 rng(7);
  const uint8_t tags[] = {1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17, 99};
  int refused = 0;
  for (int round = 0; round < 400; ++round) {
    std::string file;
    // The header, then intact records with garbage ones in between.
    for (size_t i = 0; i + 1 < scan.payloads.size(); ++i) {
      AppendRecord(&file, scan.payloads[i]);
      if (i == 0 || rng() % 4 != 0) continue;
      std::string junk(1, static_cast<char>(tags[rng() % std::size(tags)]));
      const size_t n = rng() % 120;
      for (size_t k = 0; k < n; ++k) junk.push_back(static_cast<char>(rng() % 8 == 0 ? rng() : 1));
      AppendRecord(&file, junk);
    }
    AppendRecord(&file, scan.payloads.back());
    CheckpointContents c = DecodeCheckpoint(file, config);
    ASSERT_TRUE(c.header.has_value());
    refused += c.invalid;
    Node b(config);
    if (c.windows) (void)b.store.Import(*c.windows);
    b.state = std::move(c.state);
    b.Write(kT0 + 300'000, 3);
    (void)b.Evaluate(kT0 + 300'000);
  }
  EXPECT_GT(refused, 100);
}

// --------------------------------------------------------------- recovery

// A node whose writes go through Durability, as the HTTP server's do.
struct DurableNode : Node {
  DurableNode(const Config& c, const std::string& dir)
      : Node(c),
        durability({.dir = dir, .checkpoint_interval_ms = 3'600'000}, c, store, ingester,
                   {[this] { return state; },
                    [this](analytics::AnalyticsState s) { state = std::move(s); }},
                   registry, log) {}
  void DurableWrite(int64_t t, int providers) {
    auto out =
        durability.Write({"application/x-protobuf", "snappy", FleetRequest(t, providers)}, t);
    ASSERT_LT(out.http_status, 300) << out.message;
  }
  double Damage(const std::string& file, const std::string& kind) {
    for (const auto& f : registry.Collect()) {
      if (f.name != "depin_sidecar_recovery_damage_total") continue;
      for (const auto& m : f.metric) {
        std::map<std::string, std::string> labels;
        for (const auto& l : m.label) labels[l.name] = l.value;
        if (labels["file"] == file && labels["kind"] == kind) return m.counter.value;
      }
    }
    return 0;
  }
  Logger log{LogLevel::kError};
  Durability durability;
};

TEST(Recovery, CrashAfterCheckpointLosesNoAcceptedRequest) {
  TempDir dir;
  const Config config = TestConfig();
  Node reference(config);
  int64_t t = kT0;
  int64_t crash_at = kT0 + 900'000;
  {
    DurableNode crashed(config, dir.path());
    ASSERT_TRUE(crashed.durability.Recover(t).ok());
    for (; t < crash_at; t += 5'000) {
      reference.Write(t, 3);
      crashed.DurableWrite(t, 3);
      if (t % 30'000 == 0) {
        ASSERT_EQ(crashed.Evaluate(t), reference.Evaluate(t));
      }
      if (t == kT0 + 600'000) {
        ASSERT_TRUE(crashed.durability.Checkpoint(t).ok());
      }
    }
    // Destroyed without Stop(): like kill -9, nothing is saved on the way out.
  }
  DurableNode restarted(config, dir.path());
  auto report = restarted.durability.Recover(t);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->checkpoint_used);
  EXPECT_FALSE(report->damaged());
  EXPECT_EQ(report->wal_requests, (crash_at - kT0 - 600'000) / 5'000 - 1);
  EXPECT_EQ(Windows(restarted.store, t), Windows(reference.store, t));
  for (; t < kT0 + 1'200'000; t += 5'000) {
    reference.Write(t, 3);
    restarted.DurableWrite(t, 3);
  }
  EXPECT_EQ(Windows(restarted.store, t), Windows(reference.store, t));
}

TEST(Recovery, CorruptCheckpointAndTruncatedWalAreReportedAndTheRestRecovered) {
  TempDir dir;
  const Config config = TestConfig();
  int64_t t = kT0;
  {
    DurableNode first(config, dir.path());
    ASSERT_TRUE(first.durability.Recover(t).ok());
    for (; t < kT0 + 300'000; t += 5'000) first.DurableWrite(t, 3);
    ASSERT_TRUE(first.durability.Checkpoint(t).ok());
    for (; t < kT0 + 400'000; t += 5'000) first.DurableWrite(t, 3);
  }
  const std::string checkpoint = dir.path() + "/state.checkpoint";
  std::string data = ReadAll(checkpoint);
  const size_t pos = data.find(std::string("\x02\x02\0\0\0p1", 7));
  ASSERT_NE(pos, std::string::npos);
  data[pos + 20] = static_cast<char>(data[pos + 20] ^ 1);
  WriteAll(checkpoint, data);
  auto segments = ListWalSegments(dir.path() + "/wal").value();
  ASSERT_FALSE(segments.empty());
  const std::string last = WalSegmentPath(dir.path() + "/wal", segments.back());
  std::string wal = ReadAll(last);
  WriteAll(last, wal.substr(0, wal.size() - 10));

  DurableNode restarted(config, dir.path());
  auto report = restarted.durability.Recover(t);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->damaged());
  EXPECT_EQ(report->checkpoint_corrupt, 1);
  EXPECT_EQ(report->wal_truncated, 1);
  EXPECT_EQ(report->wal_requests, 100'000 / 5'000 - 1);  // the last one was cut
  EXPECT_EQ(restarted.Damage("checkpoint", "corrupt"), 1);
  EXPECT_EQ(restarted.Damage("wal", "truncated"), 1);
  EXPECT_TRUE(std::filesystem::exists(checkpoint + ".damaged"));
  // p0 and p2 have every sample but the cut request's; p1 only what the
  // WAL held after the checkpoint.
  const auto views = restarted.store.Snapshot(t - 5'000);
  ASSERT_EQ(views.size(), 3u);
  std::map<std::string, double> up_samples;  // p1 comes last: the WAL created it anew
  for (const auto& v : views) {
    for (double c : v.scalar(Signal::kUp).count) up_samples[v.id] += c;
  }
  EXPECT_EQ(up_samples["p0"], 79);
  EXPECT_EQ(up_samples["p1"], 19);
  EXPECT_EQ(up_samples["p2"], 79);
  // The checkpoint written after recovery is clean again.
  EXPECT_FALSE(DecodeCheckpoint(ReadAll(checkpoint), config).damaged());
}

TEST(Recovery, SecondProcessOnTheSameDirectoryIsRefusedAndTouchesNothing) {
  TempDir dir;
  const Config config = TestConfig();
  DurableNode first(config, dir.path());
  ASSERT_TRUE(first.durability.Recover(kT0).ok());
  first.DurableWrite(kT0, 2);
  const auto segments = ListWalSegments(dir.path() + "/wal").value();
  DurableNode second(config, dir.path());
  auto refused = second.durability.Recover(kT0);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("in use"), std::string::npos);
  EXPECT_EQ(ListWalSegments(dir.path() + "/wal").value(), segments);
  EXPECT_EQ(second.store.provider_count(), 0u);
}

}  // namespace
}  // namespace depin::durable
