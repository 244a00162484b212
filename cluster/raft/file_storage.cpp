#include "cluster/raft/file_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cluster/raft/codec.h"
#include "common/crc32c.h"
#include "common/file_util.h"

namespace kvd::cluster::raft {

namespace {

enum RecordType : uint8_t { kHardStateRecord = 1, kEntryRecord = 2, kSnapshotRecord = 3 };
constexpr size_t kHeaderBytes = 9;
constexpr uint64_t kRewriteAfterBytes = 4 << 20;
constexpr uint32_t kMaxRecordBytes = 256u << 20;

void PutU32(std::string* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* bytes) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

std::string Record(RecordType type, const std::string& payload) {
  std::string body(1, static_cast<char>(type));
  body += payload;
  std::string record;
  PutU32(&record, static_cast<uint32_t>(payload.size()));
  PutU32(&record, Crc32cOf(body));
  record += body;
  return record;
}

std::string StateRecords(const PersistentState& state) {
  std::string records = Record(kSnapshotRecord, EncodeSnapshot(state.snapshot));
  for (const auto& entry : state.entries) records += Record(kEntryRecord, EncodeEntry(entry));
  records += Record(kHardStateRecord, EncodeHardState(state.hard_state));
  return records;
}

}  // namespace

Result<std::unique_ptr<FileStorage>> FileStorage::Open(const std::string& dir, const PersistentState& initial) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::IOError("cannot create " + dir + ": " + error.message());
  std::unique_ptr<FileStorage> storage(new FileStorage(dir));
  std::string path = storage->path();
  auto contents = ReadWholeFile(path);
  if (!contents.ok() && contents.status().Is(Status::Code::kNotFound)) {
    storage->state_ = initial;
    KVD_RETURN_IF_ERROR(storage->Rewrite());
    return storage;
  }
  if (!contents.ok()) return contents.status();
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
  storage->fd_ = fd;
  KVD_RETURN_IF_ERROR(storage->Replay(*contents));
  return storage;
}

FileStorage::~FileStorage() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileStorage::Replay(const std::string& contents) {
  size_t at = 0;
  while (at < contents.size()) {
    bool header_fits = contents.size() - at >= kHeaderBytes;
    uint32_t length = header_fits ? GetU32(contents.data() + at) : 0;
    bool fits = header_fits && length <= kMaxRecordBytes && contents.size() - at - kHeaderBytes >= length;
    bool intact = fits && GetU32(contents.data() + at + 4) ==
                              Crc32cOf(std::string_view(contents).substr(at + 8, 1 + length));
    if (!intact) {
      bool last = !fits || at + kHeaderBytes + length == contents.size();
      if (!last) return Status::Corruption(path() + ": damaged record at offset " + std::to_string(at));
      // A crash cut the last append short: it was never acknowledged.
      recovery_note_ = path() + ": dropped a torn last record at offset " + std::to_string(at);
      if (::ftruncate(fd_, static_cast<off_t>(at)) != 0) return Status::IOError("truncate " + path());
      break;
    }
    auto type = static_cast<uint8_t>(contents[at + 8]);
    std::string_view payload = std::string_view(contents).substr(at + kHeaderBytes, length);
    if (type == kHardStateRecord) {
      auto hard = DecodeHardState(payload);
      if (!hard.ok()) return hard.status();
      state_.hard_state = *hard;
    } else if (type == kEntryRecord) {
      auto entry = DecodeEntry(payload);
      if (!entry.ok()) return entry.status();
      KVD_RETURN_IF_ERROR(state_.Append({*entry}));
    } else if (type == kSnapshotRecord) {
      auto snapshot = DecodeSnapshot(payload);
      if (!snapshot.ok()) return snapshot.status();
      state_.SetSnapshot(*snapshot);
    } else {
      return Status::Corruption(path() + ": unknown record type " + std::to_string(type));
    }
    at += kHeaderBytes + length;
  }
  file_bytes_ = at;
  bytes_at_last_rewrite_ = at;
  if (::lseek(fd_, static_cast<off_t>(at), SEEK_SET) < 0) return Status::IOError("seek " + path());
  return Status::Ok();
}

Status FileStorage::AppendRecords(const std::string& records) {
  if (records.empty()) return Status::Ok();
  KVD_RETURN_IF_ERROR(WriteAll(fd_, records, path()));
  if (::fdatasync(fd_) != 0) return Status::IOError("fdatasync " + path() + ": " + std::strerror(errno));
  file_bytes_ += records.size();
  return Status::Ok();
}

Status FileStorage::Persist(const Ready& ready) {
  std::string records;
  if (ready.snapshot) records += Record(kSnapshotRecord, EncodeSnapshot(*ready.snapshot));
  for (const auto& entry : ready.entries) records += Record(kEntryRecord, EncodeEntry(entry));
  if (ready.hard_state) records += Record(kHardStateRecord, EncodeHardState(*ready.hard_state));
  KVD_RETURN_IF_ERROR(AppendRecords(records));
  return state_.Persist(ready);
}

Status FileStorage::SaveSnapshot(const Snapshot& snapshot) {
  KVD_RETURN_IF_ERROR(AppendRecords(Record(kSnapshotRecord, EncodeSnapshot(snapshot))));
  state_.SetSnapshot(snapshot);
  if (file_bytes_ - bytes_at_last_rewrite_ > kRewriteAfterBytes) return Rewrite();
  return Status::Ok();
}

Status FileStorage::Rewrite() {
  std::string temp = path() + ".tmp";
  int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("open " + temp + ": " + std::strerror(errno));
  std::string records = StateRecords(state_);
  Status written = WriteAll(fd, records, temp);
  if (written.ok() && ::fsync(fd) != 0) written = Status::IOError("fsync " + temp + ": " + std::strerror(errno));
  if (written.ok() && ::rename(temp.c_str(), path().c_str()) != 0) {
    written = Status::IOError("rename " + temp + ": " + std::strerror(errno));
  }
  if (!written.ok()) {
    ::close(fd);
    ::unlink(temp.c_str());
    return written;
  }
  KVD_RETURN_IF_ERROR(FsyncPath(dir_));
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  if (::lseek(fd_, 0, SEEK_END) < 0) return Status::IOError("seek " + path());
  file_bytes_ = records.size();
  bytes_at_last_rewrite_ = file_bytes_;
  return Status::Ok();
}

}  // namespace kvd::cluster::raft
