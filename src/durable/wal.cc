#include "durable/wal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "durable/bytes.h"

namespace depin::durable {
namespace {

constexpr uint8_t kHeaderRecord = 0;
constexpr uint8_t kRequestRecord = 1;
constexpr std::string_view kWalMagic = "depin-wal";
constexpr std::string_view kSuffix = ".wal";

std::string HeaderRecord() {
  std::string payload;
  ByteWriter w(&payload);
  w.U8(kHeaderRecord);
  w.Str(kWalMagic);
  w.U32(kWalFormatVersion);
  std::string out;
  AppendRecord(&out, payload);
  return out;
}

Status Errno(const std::string& what) {
  return Status::Internal(what + ": " + std::strerror(errno));
}

}  // namespace

void AppendWalRequest(const WalRequestRef& request, std::string* out) {
  std::string payload;
  payload.reserve(request.body.size() + request.content_type.size() + 32);
  ByteWriter w(&payload);
  w.U8(kRequestRecord);
  w.I64(request.now_ms);
  w.Str(request.content_type);
  w.Str(request.content_encoding);
  w.Str(request.body);
  AppendRecord(out, payload);
}

WalSegmentContents DecodeWalSegment(std::string_view data) {
  WalSegmentContents out;
  ScanResult scan = ScanRecords(data);
  out.corrupt = scan.corrupt;
  out.truncated = scan.truncated;
  out.lost_bytes = scan.lost_bytes;
  for (std::string_view payload : scan.payloads) {
    ByteReader r(payload);
    const uint8_t type = r.U8();
    if (type == kHeaderRecord) {
      const std::string_view magic = r.Str();
      const uint32_t version = r.U32();
      if (!r.done() || magic != kWalMagic || version != kWalFormatVersion) {
        out.bad_header = true;
        return out;  // a format this build cannot read: nothing in it is trusted
      }
      continue;
    }
    // Requests after a damaged header (counted as corrupt) are still kept:
    // each record carries its own type.
    WalRequest req;
    req.now_ms = r.I64();
    req.content_type = std::string(r.Str());
    req.content_encoding = std::string(r.Str());
    req.body = std::string(r.Str());
    if (type != kRequestRecord || !r.done()) {
      ++out.corrupt;
      continue;
    }
    out.requests.push_back(std::move(req));
  }
  return out;
}

std::string WalSegmentPath(const std::string& dir, uint64_t sequence) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu", static_cast<unsigned long long>(sequence));
  return (std::filesystem::path(dir) / (std::string(name) + std::string(kSuffix))).string();
}

Result<std::vector<uint64_t>> ListWalSegments(const std::string& dir) {
  std::vector<uint64_t> out;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 20 + kSuffix.size() || !name.ends_with(kSuffix)) continue;
    if (name.find_first_not_of("0123456789") != 20) continue;
    out.push_back(std::stoull(name.substr(0, 20)));
  }
  if (ec) return Status::Internal("cannot list " + dir + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

WalWriter::~WalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status WalWriter::Open(uint64_t sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::Internal("cannot create " + dir_ + ": " + ec.message());
  return OpenLocked(sequence);
}

Status WalWriter::OpenLocked(uint64_t sequence) {
  const std::string path = WalSegmentPath(dir_, sequence);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open " + path);
  if (fd_ >= 0) {
    if (fsync_) ::fsync(fd_);
    ::close(fd_);
  }
  fd_ = fd;
  sequence_ = sequence;
  return WriteLocked(HeaderRecord());
}

Status WalWriter::WriteLocked(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot append to " + WalSegmentPath(dir_, sequence_));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (fsync_ && ::fdatasync(fd_) != 0)
    return Errno("cannot sync " + WalSegmentPath(dir_, sequence_));
  return Status::Ok();
}

Status WalWriter::Append(const WalRequestRef& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return Status::Internal("write-ahead log is not open");
  buffer_.clear();
  AppendWalRequest(request, &buffer_);
  return WriteLocked(buffer_);
}

Result<uint64_t> WalWriter::Rotate() {
  std::lock_guard<std::mutex> lock(mu_);
  DEPIN_RETURN_IF_ERROR(OpenLocked(sequence_ + 1));
  return sequence_;
}

Status WalWriter::RemoveBefore(uint64_t sequence) {
  auto segments = ListWalSegments(dir_);
  if (!segments.ok()) return segments.status();
  for (uint64_t s : segments.value()) {
    if (s >= sequence) break;
    std::error_code ec;
    std::filesystem::remove(WalSegmentPath(dir_, s), ec);
    if (ec) return Status::Internal("cannot remove a WAL segment: " + ec.message());
  }
  return Status::Ok();
}

uint64_t WalWriter::sequence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sequence_;
}

}  // namespace depin::durable
