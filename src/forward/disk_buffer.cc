#include "forward/disk_buffer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/file.h"
#include "store/crc32c.h"

namespace depin::forward {
namespace {

constexpr char kMagic[4] = {'D', 'P', 'F', '1'};
constexpr const char* kSuffix = ".seg";
constexpr const char* kTempSuffix = ".tmp";

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetU64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}
uint32_t GetU32(std::string_view s) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// The sequence number of a segment file name ("00000000000000000042.seg").
std::optional<uint64_t> SeqOfName(const std::string& name) {
  const std::string suffix = kSuffix;
  if (name.size() != 20 + suffix.size() || name.compare(20, suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  uint64_t seq = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    seq = seq * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return seq;
}

}  // namespace

std::string DiskBuffer::Serialize(const Batch& batch) {
  std::string out(kMagic, sizeof kMagic);
  PutU64(&out, batch.seq);
  PutU64(&out, static_cast<uint64_t>(batch.samples));
  PutU64(&out, static_cast<uint64_t>(batch.newest_t_ms));
  PutU32(&out, static_cast<uint32_t>(batch.body.size()));
  uint32_t crc = store::Crc32c(std::string_view(out).substr(sizeof kMagic));
  crc = store::Crc32c(batch.body, crc);
  PutU32(&out, crc);
  out += batch.body;
  return out;
}

Result<Batch> DiskBuffer::Parse(std::string_view file) {
  if (file.size() < kHeaderBytes) return Status::InvalidArgument("segment truncated in its header");
  if (file.substr(0, sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
    return Status::InvalidArgument("not a forward segment (bad magic)");
  }
  Batch b;
  b.seq = GetU64(file.substr(4));
  b.samples = static_cast<int64_t>(GetU64(file.substr(12)));
  b.newest_t_ms = static_cast<int64_t>(GetU64(file.substr(20)));
  const uint32_t length = GetU32(file.substr(28));
  const uint32_t crc = GetU32(file.substr(32));
  if (file.size() - kHeaderBytes != length) {
    return Status::InvalidArgument("segment truncated: body has " +
                                   std::to_string(file.size() - kHeaderBytes) + " of " +
                                   std::to_string(length) + " bytes");
  }
  uint32_t actual = store::Crc32c(file.substr(sizeof kMagic, 28));
  actual = store::Crc32c(file.substr(kHeaderBytes), actual);
  if (actual != crc) return Status::InvalidArgument("segment checksum mismatch");
  b.body.assign(file.substr(kHeaderBytes));
  return b;
}

Result<std::unique_ptr<DiskBuffer>> DiskBuffer::Open(const std::string& dir, int64_t max_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create " + dir + ": " + ec.message());
  std::unique_ptr<DiskBuffer> buffer(new DiskBuffer(dir, max_bytes));
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, kTempSuffix) == 0) {
      std::filesystem::remove(entry.path(), ec);  // a write cut short by a crash
      continue;
    }
    auto seq = SeqOfName(name);
    if (!seq) continue;
    Entry e;
    e.bytes = static_cast<int64_t>(entry.file_size(ec));
    // The header's sample count, for the pending gauge; checked fully on read.
    std::ifstream in(entry.path(), std::ios::binary);
    std::string header(kHeaderBytes, '\0');
    if (in.read(header.data(), kHeaderBytes)) {
      e.samples = static_cast<int64_t>(GetU64(std::string_view(header).substr(12)));
      if (e.samples < 0 || e.samples > (int64_t{1} << 40)) e.samples = 0;
    }
    buffer->index_[*seq] = e;
    buffer->bytes_ += e.bytes;
    buffer->samples_ += e.samples;
    buffer->next_seq_ = std::max(buffer->next_seq_, *seq + 1);
  }
  if (ec) return Status::Unavailable("cannot list " + dir + ": " + ec.message());
  return buffer;
}

std::string DiskBuffer::PathOf(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020" PRIu64 "%s", seq, kSuffix);
  return dir_ + "/" + name;
}

Result<int64_t> DiskBuffer::Append(const Batch& batch) {
  const std::string data = Serialize(batch);
  const auto size = static_cast<int64_t>(data.size());
  if (size > max_bytes_) return batch.samples;
  std::lock_guard<std::mutex> lock(mu_);
  DEPIN_RETURN_IF_ERROR(WriteFileAtomically(PathOf(batch.seq), data));
  auto [it, fresh] = index_.try_emplace(batch.seq, Entry{size, batch.samples});
  if (!fresh) {  // rewritten (never expected): replace its accounting
    bytes_ -= it->second.bytes;
    samples_ -= it->second.samples;
    it->second = Entry{size, batch.samples};
  }
  bytes_ += size;
  samples_ += batch.samples;
  next_seq_ = std::max(next_seq_, batch.seq + 1);
  int64_t dropped = 0;
  for (auto victim = index_.begin(); bytes_ > max_bytes_ && victim != index_.end();) {
    if (pinned_ == victim->first) {
      ++victim;
      continue;
    }
    dropped += victim->second.samples;
    const uint64_t seq = victim->first;
    ++victim;
    RemoveLocked(seq);
  }
  return dropped;
}

ReadOutcome DiskBuffer::ReadOldest() {
  ReadOutcome out;
  std::lock_guard<std::mutex> lock(mu_);
  while (!index_.empty()) {
    const auto [seq, entry] = *index_.begin();
    std::ifstream in(PathOf(seq), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    Result<Batch> batch = in ? Parse(content.str()) : Status::Unavailable("cannot read segment");
    if (batch.ok() && batch->seq == seq) {
      pinned_ = seq;
      out.batch = std::move(batch.value());
      return out;
    }
    ++out.corrupt_segments;
    out.samples_lost += entry.samples;
    if (out.problem.empty()) {
      out.problem = PathOf(seq) + ": " +
                    (batch.ok() ? std::string("sequence number differs from its name")
                                : batch.status().message());
    }
    RemoveLocked(seq);
  }
  return out;
}

void DiskBuffer::Remove(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  RemoveLocked(seq);
}

void DiskBuffer::RemoveLocked(uint64_t seq) {
  auto it = index_.find(seq);
  if (it == index_.end()) return;
  ::unlink(PathOf(seq).c_str());
  bytes_ -= it->second.bytes;
  samples_ -= it->second.samples;
  index_.erase(it);
  if (pinned_ == seq) pinned_.reset();
}

std::optional<uint64_t> DiskBuffer::oldest_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (index_.empty()) return std::nullopt;
  return index_.begin()->first;
}
uint64_t DiskBuffer::next_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_;
}
int64_t DiskBuffer::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}
int64_t DiskBuffer::samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}
size_t DiskBuffer::segments() const {
  std::lock_guard<std::mutex> lock(mu_);
  return index_.size();
}

}  // namespace depin::forward
