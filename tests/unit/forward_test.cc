// Onward remote-write: encoding, retry policy, the disk buffer, and the
// queue against a real HTTP server on 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <prometheus/registry.h>
#include <snappy.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "forward/disk_buffer.h"
#include "forward/encode.h"
#include "forward/queue.h"
#include "forward/remote_client.h"
#include "forward/retry.h"
#include "remote.pb.h"

namespace depin::forward {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

Sample MakeSample(const std::string& provider, int64_t t, double v) {
  return {{{"__name__", "depin_provider_score"}, {"provider", provider}}, t, v};
}

// A fresh directory under the system temp dir, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "forward_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------- encoding

TEST(EncodeTest, RoundTripThroughTheProjectProto) {
  std::vector<Sample> in = {MakeSample("a", 1000, 1.5), MakeSample("b", 1000, 2.5),
                            MakeSample("a", 2000, 3.5)};
  in[1].labels = {{"provider", "b"}, {"__name__", "depin_provider_score"}};  // unsorted
  const std::string body = EncodeWriteRequest(in);

  std::string raw;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &raw));
  prometheus::WriteRequest request;
  ASSERT_TRUE(request.ParseFromString(raw));
  ASSERT_EQ(request.timeseries_size(), 2);  // one per label set
  const auto& a = request.timeseries(0);
  ASSERT_EQ(a.labels_size(), 2);
  EXPECT_EQ(a.labels(0).name(), "__name__");
  EXPECT_EQ(a.labels(1).value(), "a");
  ASSERT_EQ(a.samples_size(), 2);
  EXPECT_EQ(a.samples(0).timestamp(), 1000);
  EXPECT_EQ(a.samples(1).value(), 3.5);
  EXPECT_EQ(request.timeseries(1).labels(0).name(), "__name__");  // sorted on the way

  auto decoded = DecodeWriteRequest(body);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 3u);
  EXPECT_EQ((*decoded)[2].labels[1].second, "b");
  EXPECT_EQ((*decoded)[2].value, 2.5);
  EXPECT_FALSE(DecodeWriteRequest("not snappy at all").ok());
}

// ------------------------------------------------------------ retry policy

TEST(RetryTest, Classification) {
  EXPECT_EQ(Classify(200, true), Verdict::kSent);
  EXPECT_EQ(Classify(204, true), Verdict::kSent);
  EXPECT_EQ(Classify(0, true), Verdict::kRetry);  // connection error
  EXPECT_EQ(Classify(500, true), Verdict::kRetry);
  EXPECT_EQ(Classify(503, false), Verdict::kRetry);
  EXPECT_EQ(Classify(429, true), Verdict::kRetry);
  EXPECT_EQ(Classify(429, false), Verdict::kReject);
  EXPECT_EQ(Classify(400, true), Verdict::kReject);
  EXPECT_EQ(Classify(401, true), Verdict::kReject);
  EXPECT_EQ(Classify(413, true), Verdict::kReject);
  EXPECT_EQ(Classify(308, true), Verdict::kReject);
}

TEST(RetryTest, BackoffDoublesUpToTheCapAndResets) {
  Backoff b(30, 500);
  std::vector<int64_t> got;
  for (int i = 0; i < 7; ++i) got.push_back(b.Next());
  EXPECT_EQ(got, (std::vector<int64_t>{30, 60, 120, 240, 480, 500, 500}));
  b.Reset();
  EXPECT_EQ(b.Next(), 30);
}

TEST(RetryTest, RetryAfter) {
  EXPECT_EQ(ParseRetryAfter("5", 0), 5000);
  EXPECT_EQ(ParseRetryAfter(" 0 ", 0), 0);
  EXPECT_EQ(ParseRetryAfter("", 0), -1);
  EXPECT_EQ(ParseRetryAfter("soon", 0), -1);
  EXPECT_EQ(ParseRetryAfter("-3", 0), -1);
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 s.
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111770'000), 7000);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111790'000), 0);
}

// ------------------------------------------------------------- disk buffer

Batch MakeBatch(uint64_t seq, int samples, size_t body_bytes = 100) {
  Batch b;
  b.seq = seq;
  b.samples = samples;
  b.newest_t_ms = static_cast<int64_t>(seq) * 1000;
  b.body.assign(body_bytes, static_cast<char>('a' + seq % 26));
  return b;
}

std::string SegmentPath(const std::string& dir, uint64_t seq) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(seq));
  return dir + "/" + name;
}

TEST(DiskBufferTest, WritesAndReadsInOrderAcrossReopen) {
  TempDir tmp;
  {
    auto buf = DiskBuffer::Open(tmp.path(), 1 << 20);
    ASSERT_TRUE(buf.ok()) << buf.status().message();
    for (uint64_t seq : {3, 1, 2}) ASSERT_TRUE((*buf)->Append(MakeBatch(seq, 10)).ok());
    EXPECT_EQ((*buf)->segments(), 3u);
    EXPECT_EQ((*buf)->samples(), 30);
    EXPECT_EQ((*buf)->bytes(), 3 * static_cast<int64_t>(DiskBuffer::kHeaderBytes + 100));
  }
  std::ofstream(tmp.path() + "/00000000000000000009.seg.tmp") << "half written";
  auto buf = DiskBuffer::Open(tmp.path(), 1 << 20);  // a restart
  ASSERT_TRUE(buf.ok());
  EXPECT_FALSE(fs::exists(tmp.path() + "/00000000000000000009.seg.tmp"));
  EXPECT_EQ((*buf)->segments(), 3u);
  EXPECT_EQ((*buf)->samples(), 30);
  EXPECT_EQ((*buf)->next_seq(), 4u);
  for (uint64_t want = 1; want <= 3; ++want) {
    ReadOutcome r = (*buf)->ReadOldest();
    ASSERT_TRUE(r.batch.has_value());
    EXPECT_EQ(r.batch->seq, want);
    EXPECT_EQ(r.batch->body, MakeBatch(want, 10).body);
    EXPECT_EQ(r.batch->newest_t_ms, static_cast<int64_t>(want) * 1000);
    (*buf)->Remove(want);
  }
  EXPECT_FALSE((*buf)->ReadOldest().batch.has_value());
  EXPECT_EQ((*buf)->bytes(), 0);
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(DiskBufferTest, CorruptAndTruncatedSegmentsAreSkippedAndReported) {
  TempDir tmp;
  auto buf = DiskBuffer::Open(tmp.path(), 1 << 20);
  ASSERT_TRUE(buf.ok());
  for (uint64_t seq = 1; seq <= 4; ++seq) ASSERT_TRUE((*buf)->Append(MakeBatch(seq, 7)).ok());
  {  // flip one body byte of segment 1
    std::fstream f(SegmentPath(tmp.path(), 1), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(DiskBuffer::kHeaderBytes + 50);
    f.put('#');
  }
  fs::resize_file(SegmentPath(tmp.path(), 2), DiskBuffer::kHeaderBytes + 40);  // cut short
  fs::resize_file(SegmentPath(tmp.path(), 3), 10);                             // header cut

  auto reopened = DiskBuffer::Open(tmp.path(), 1 << 20);
  ASSERT_TRUE(reopened.ok());
  ReadOutcome r = (*reopened)->ReadOldest();
  ASSERT_TRUE(r.batch.has_value());
  EXPECT_EQ(r.batch->seq, 4u);
  EXPECT_EQ(r.corrupt_segments, 3);
  EXPECT_EQ(r.samples_lost, 14);  // segment 3's header was lost with it
  EXPECT_NE(r.problem.find("checksum"), std::string::npos) << r.problem;
  EXPECT_EQ((*reopened)->segments(), 1u);

  std::string file = DiskBuffer::Serialize(MakeBatch(5, 1));
  EXPECT_TRUE(DiskBuffer::Parse(file).ok());
  EXPECT_FALSE(DiskBuffer::Parse(file.substr(0, file.size() - 1)).ok());
  file[5] ^= 1;  // header bit
  EXPECT_FALSE(DiskBuffer::Parse(file).ok());
}

TEST(DiskBufferTest, SizeBoundDropsOldestButNeverThePinnedSegment) {
  TempDir tmp;
  const int64_t segment = DiskBuffer::kHeaderBytes + 100;
  auto buf = DiskBuffer::Open(tmp.path(), 3 * segment);
  ASSERT_TRUE(buf.ok());
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    auto dropped = (*buf)->Append(MakeBatch(seq, 5));
    ASSERT_TRUE(dropped.ok());
    EXPECT_EQ(dropped.value(), 0);
  }
  ReadOutcome r = (*buf)->ReadOldest();  // pins 1 (being sent)
  ASSERT_EQ(r.batch->seq, 1u);
  auto dropped = (*buf)->Append(MakeBatch(4, 5));
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped.value(), 5);  // segment 2, not the pinned 1
  EXPECT_TRUE(fs::exists(SegmentPath(tmp.path(), 1)));
  EXPECT_FALSE(fs::exists(SegmentPath(tmp.path(), 2)));
  EXPECT_LE((*buf)->bytes(), 3 * segment);
  (*buf)->Remove(1);
  dropped = (*buf)->Append(MakeBatch(5, 5));
  EXPECT_EQ(dropped.value(), 0);
  EXPECT_EQ((*buf)->oldest_seq(), std::optional<uint64_t>(3));
  // A batch larger than the whole buffer is not written.
  dropped = (*buf)->Append(MakeBatch(6, 9, 4 * segment));
  EXPECT_EQ(dropped.value(), 9);
  EXPECT_FALSE(fs::exists(SegmentPath(tmp.path(), 6)));
}

// ------------------------------------------------- a real receiving server

// A remote-write receiver on 127.0.0.1 that decodes every request; `answer`
// picks the status of each request (numbered from 0).
class Receiver {
 public:
  using Answer = std::function<int(int request, httplib::Response& res)>;
  explicit Receiver(Answer answer, int port = 0) : answer_(std::move(answer)) {
    server_.Post("/api/v1/write", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      headers_ = req.headers;
      const int n = requests_++;
      res.status = answer_(n, res);
      if (res.status >= 200 && res.status < 300) {
        auto samples = DecodeWriteRequest(req.body);
        if (samples.ok()) {
          for (auto& s : samples.value()) received_.push_back(s);
        } else {
          res.status = 400;
        }
      }
    });
    port_ = port == 0 ? server_.bind_to_any_port("127.0.0.1") : port;
    if (port != 0) server_.bind_to_port("127.0.0.1", port);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/write"; }
  std::vector<Sample> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::string header(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = headers_.find(name);
    return it == headers_.end() ? "" : it->second;
  }

 private:
  httplib::Server server_;
  Answer answer_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  int requests_ = 0;
  std::vector<Sample> received_;
  httplib::Headers headers_;
};

RemoteWriteConfig TargetConfig(const std::string& url) {
  RemoteWriteConfig c;
  c.url = url;
  c.name = "test";
  c.remote_timeout_ms = 2000;
  c.max_samples_per_send = 10;
  c.queue_capacity = 30;
  c.batch_send_deadline_ms = 100;
  c.min_backoff_ms = 10;
  c.max_backoff_ms = 80;
  c.disk_buffer_max_bytes = 0;
  return c;
}

// Samples a.t for t in [from, to) of one series, value = t.
std::vector<Sample> Series(int64_t from, int64_t to) {
  std::vector<Sample> out;
  for (int64_t t = from; t < to; ++t) out.push_back(MakeSample("a", t, static_cast<double>(t)));
  return out;
}

size_t CountSegments(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".seg";
  return n;
}

// A port on 127.0.0.1 that nothing listens on: connections are refused.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "cannot bind a probe socket";
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool WaitFor(const std::function<bool()>& done, milliseconds timeout = milliseconds(10000)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

std::vector<int64_t> Timestamps(const std::vector<Sample>& samples) {
  std::vector<int64_t> out;
  for (const auto& s : samples) out.push_back(s.t_ms);
  return out;
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t t = from; t < to; ++t) out.push_back(t);
  return out;
}

class QueueTest : public ::testing::Test {
 protected:
  std::unique_ptr<Queue> MakeQueue(const RemoteWriteConfig& c, const std::string& disk_dir = "") {
    auto client = RemoteClient::Create(c, "depin-sidecar/test");
    EXPECT_TRUE(client.ok()) << client.status().message();
    std::unique_ptr<DiskBuffer> disk;
    if (!disk_dir.empty()) {
      auto opened = DiskBuffer::Open(disk_dir, c.disk_buffer_max_bytes);
      EXPECT_TRUE(opened.ok());
      disk = std::move(opened.value());
    }
    return std::make_unique<Queue>(c, std::move(client.value()), std::move(disk), families_, log_);
  }
  prometheus::Registry registry_;
  QueueMetricFamilies families_ = RegisterQueueMetrics(registry_);
  Logger log_{LogLevel::kError};
};

TEST_F(QueueTest, ClientSendsRemoteWriteHeadersAndCredentials) {
  Receiver rx([](int, httplib::Response&) { return 204; });
  TempDir tmp;
  std::ofstream(tmp.path() + "/token") << "s3cret\n";
  RemoteWriteConfig c = TargetConfig(rx.url());
  c.authorization_credentials_file = tmp.path() + "/token";
  auto client = RemoteClient::Create(c, "depin-sidecar/test");
  ASSERT_TRUE(client.ok());
  SendResult r = (*client)->Send(EncodeWriteRequest(Series(1, 4)));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(rx.header("Content-Encoding"), "snappy");
  EXPECT_EQ(rx.header("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(rx.header("X-Prometheus-Remote-Write-Version"), "0.1.0");
  EXPECT_EQ(rx.header("User-Agent"), "depin-sidecar/test");
  EXPECT_EQ(rx.header("Authorization"), "Bearer s3cret");
  EXPECT_EQ(Timestamps(rx.received()), Range(1, 4));

  c.authorization_credentials_file.clear();
  c.basic_auth_username = "depin";
  c.basic_auth_password = "pw";
  client = RemoteClient::Create(c, "depin-sidecar/test");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Send(EncodeWriteRequest(Series(4, 5))).status, 204);
  EXPECT_EQ(rx.header("Authorization"), "Basic ZGVwaW46cHc=");

  c.basic_auth_password_file = tmp.path() + "/missing";
  EXPECT_FALSE(RemoteClient::Create(c, "x").ok());
  c.basic_auth_password_file.clear();
  c.url = "http://user:pw@127.0.0.1:1/x";
  EXPECT_FALSE(RemoteClient::Create(c, "x").ok());
}

// A self-signed P-256 certificate for `common_name` and its key, as PEM.
void WriteCertAndKey(const std::string& common_name, const std::string& cert_path,
                     const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* f = std::fopen(cert_path.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

TEST_F(QueueTest, TlsVerifiesTheServerByCaFileAndServerName) {
  TempDir tmp;
  const std::string cert = tmp.path() + "/cert.pem", key = tmp.path() + "/key.pem";
  WriteCertAndKey("remote.test", cert, key);
  httplib::SSLServer server(cert.c_str(), key.c_str());
  std::atomic<int> received{0};
  server.Post("/api/v1/write", [&](const httplib::Request& req, httplib::Response& res) {
    received += DecodeWriteRequest(req.body).ok();
    res.status = 204;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(milliseconds(1));
  const std::string body = EncodeWriteRequest(Series(0, 3));
  auto send = [&](const RemoteWriteConfig& c) {
    auto client = RemoteClient::Create(c, "depin-sidecar/test");
    EXPECT_TRUE(client.ok()) << client.status().message();
    return client.ok() ? (*client)->Send(body) : SendResult{};
  };

  RemoteWriteConfig c = TargetConfig("https://127.0.0.1:" + std::to_string(port) + "/api/v1/write");
  c.tls_ca_file = cert;
  c.tls_server_name = "remote.test";
  EXPECT_EQ(send(c).status, 204);  // trusted, and named as the certificate says

  c.tls_server_name.clear();  // 127.0.0.1 is not the certificate's name
  SendResult wrong_name = send(c);
  EXPECT_EQ(wrong_name.status, 0);
  EXPECT_EQ(Classify(wrong_name.status, true), Verdict::kRetry);

  c.tls_ca_file.clear();  // self-signed, not trusted by the system store
  c.tls_server_name = "remote.test";
  EXPECT_EQ(send(c).status, 0);

  c.tls_insecure_skip_verify = true;
  EXPECT_EQ(send(c).status, 204);
  c.tls_ca_file = tmp.path() + "/missing.pem";
  EXPECT_FALSE(RemoteClient::Create(c, "x").ok());  // found at start, not at the first send
  EXPECT_EQ(received.load(), 2);
  server.stop();
  serving.join();
}

TEST_F(QueueTest, BatchesAreSentInOrderExactlyOnce) {
  Receiver rx([](int, httplib::Response&) { return 200; });
  auto q = MakeQueue(TargetConfig(rx.url()));
  q->Start();
  q->Append(Series(0, 25));  // two full batches now, 5 after the deadline
  q->Append(Series(25, 28));
  ASSERT_TRUE(WaitFor([&] { return q->counts().sent == 28; }));
  EXPECT_EQ(Timestamps(rx.received()), Range(0, 28));
  EXPECT_EQ(rx.requests(), 3);  // 10 + 10 + (5 + 3 within the deadline)
  EXPECT_EQ(q->pending_samples(), 0);
  q->Stop();
  EXPECT_EQ(q->counts().retried, 0);
}

TEST_F(QueueTest, RetriesServerErrorsAndTooManyRequestsWithoutDuplicates) {
  // 503, 429 (Retry-After: 0), connection-level 500s, then success.
  Receiver rx([](int n, httplib::Response& res) {
    if (n == 1) res.set_header("Retry-After", "0");
    return n == 0 ? 503 : n == 1 ? 429 : n < 4 ? 500 : 200;
  });
  auto q = MakeQueue(TargetConfig(rx.url()));
  q->Start();
  q->Append(Series(0, 20));
  ASSERT_TRUE(WaitFor([&] { return q->counts().sent == 20; }));
  EXPECT_EQ(Timestamps(rx.received()), Range(0, 20));
  EXPECT_EQ(rx.requests(), 6);             // 4 failed attempts of batch 1, then 2 successes
  EXPECT_EQ(q->counts().retried, 4 * 10);  // batch 1 sent again 4 times
  EXPECT_EQ(q->counts().failed, 0);
  q->Stop();
}

TEST_F(QueueTest, TooManyRequestsIsDroppedWhenRetryOn429IsOff) {
  Receiver rx([](int n, httplib::Response&) { return n == 0 ? 429 : 200; });
  RemoteWriteConfig c = TargetConfig(rx.url());
  c.retry_on_http_429 = false;
  auto q = MakeQueue(c);
  q->Start();
  q->Append(Series(0, 20));
  ASSERT_TRUE(WaitFor([&] { return q->counts().sent + q->counts().failed == 20; }));
  EXPECT_EQ(q->counts().failed, 10);
  EXPECT_EQ(Timestamps(rx.received()), Range(10, 20));
  q->Stop();
}

TEST_F(QueueTest, ClientErrorsDropTheBatchAndGoOn) {
  Receiver rx([](int n, httplib::Response&) { return n == 1 ? 400 : 200; });
  auto q = MakeQueue(TargetConfig(rx.url()));
  q->Start();
  q->Append(Series(0, 30));
  ASSERT_TRUE(WaitFor([&] { return q->counts().sent + q->counts().failed == 30; }));
  EXPECT_EQ(q->counts().failed, 10);
  EXPECT_EQ(q->counts().retried, 0);
  std::vector<int64_t> want = Range(0, 10);
  for (int64_t t = 20; t < 30; ++t) want.push_back(t);
  EXPECT_EQ(Timestamps(rx.received()), want);
  q->Stop();
}

TEST_F(QueueTest, FullMemoryQueueWithoutDiskBufferDrops) {
  const int port = ClosedPort();  // every attempt is a connection error
  auto q = MakeQueue(TargetConfig("http://127.0.0.1:" + std::to_string(port) + "/api/v1/write"));
  q->Start();
  q->Append(Series(0, 50));  // capacity 30
  EXPECT_EQ(q->counts().dropped, 20);
  EXPECT_EQ(q->pending_samples(), 30);
  ASSERT_TRUE(WaitFor([&] { return q->counts().retried >= 20; }));
  q->Stop();  // no disk buffer: what was pending is dropped, and said so
  EXPECT_EQ(q->counts().dropped, 50);
  EXPECT_EQ(q->counts().sent, 0);
}

TEST_F(QueueTest, AHungTargetTimesOutAndIsRetried) {
  // Listens but never accepts: the connection is made, no answer ever comes.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  RemoteWriteConfig c =
      TargetConfig("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/api/v1/write");
  c.remote_timeout_ms = 200;
  auto q = MakeQueue(c);
  q->Start();
  q->Append(Series(0, 10));
  ASSERT_TRUE(WaitFor([&] { return q->counts().retried >= 20; }));
  const auto before = std::chrono::steady_clock::now();
  q->Stop();  // an attempt under way ends within remote_timeout
  EXPECT_LT(std::chrono::steady_clock::now() - before, milliseconds(1500));
  EXPECT_EQ(q->counts().sent, 0);
  ::close(fd);
}

TEST_F(QueueTest, TargetDownSpillsToDiskWhichDrainsInOrderAfterARestart) {
  TempDir tmp;
  const int port = ClosedPort();
  RemoteWriteConfig c = TargetConfig("http://127.0.0.1:" + std::to_string(port) + "/api/v1/write");
  c.disk_buffer_max_bytes = 1 << 20;
  {
    auto q = MakeQueue(c, tmp.path());
    q->Start();
    q->Append(Series(0, 10));  // batch 1 in memory, attempted, fails
    ASSERT_TRUE(WaitFor([&] { return q->counts().retried > 0; }));
    for (int64_t t = 10; t < 60; t += 10) q->Append(Series(t, t + 10));  // to disk
    // A partial batch goes to disk after the deadline, while the sender retries.
    q->Append(Series(60, 63));
    ASSERT_TRUE(WaitFor([&] { return CountSegments(tmp.path()) == 6; }));
    EXPECT_EQ(q->pending_samples(), 63);
    q->Stop();  // the sidecar stops with the target still down
    EXPECT_EQ(q->counts().dropped, 0);
  }
  EXPECT_EQ(CountSegments(tmp.path()), 7u);  // and batch 1, from memory

  Receiver rx([](int, httplib::Response&) { return 200; }, port);  // target back, same port
  auto q = MakeQueue(c, tmp.path());                               // the sidecar restarts
  EXPECT_EQ(q->pending_samples(), 63);
  q->Start();
  q->Append(Series(63, 70));  // new samples queue behind the buffered ones
  ASSERT_TRUE(WaitFor([&] { return q->counts().sent == 70; }));
  EXPECT_EQ(Timestamps(rx.received()), Range(0, 70));
  q->Stop();
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST_F(QueueTest, DiskBufferBoundDropsTheOldestBatches) {
  TempDir tmp;
  const int port = ClosedPort();
  RemoteWriteConfig c = TargetConfig("http://127.0.0.1:" + std::to_string(port) + "/api/v1/write");
  const int64_t segment =
      static_cast<int64_t>(DiskBuffer::kHeaderBytes + EncodeWriteRequest(Series(10, 20)).size());
  c.disk_buffer_max_bytes = 3 * segment + segment / 2;
  auto q = MakeQueue(c, tmp.path());
  q->Start();
  q->Append(Series(0, 10));
  ASSERT_TRUE(WaitFor([&] { return q->counts().retried > 0; }));
  for (int64_t t = 10; t < 60; t += 10) q->Append(Series(t, t + 10));  // 5 batches, room for 3
  EXPECT_EQ(q->counts().dropped, 20);
  q->Stop();  // batch 1, unsent in memory, goes to disk as the oldest: dropped
  EXPECT_EQ(q->counts().dropped, 30);
  Receiver rx([](int, httplib::Response&) { return 200; }, port);
  auto again = MakeQueue(c, tmp.path());
  EXPECT_EQ(again->pending_samples(), 30);
  again->Start();
  ASSERT_TRUE(WaitFor([&] { return again->counts().sent == 30; }));
  EXPECT_EQ(Timestamps(rx.received()), Range(30, 60));  // the newest survive, in order
  again->Stop();
}

}  // namespace
}  // namespace depin::forward
