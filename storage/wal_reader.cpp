#include "storage/wal_reader.h"

#include <fcntl.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>

#include "common/crc32c.h"

namespace kvd::storage {
namespace {

namespace fs = std::filesystem;

// RocksDB's log format (db/log_format.h in RocksDB, "Write Ahead Log File Format" in its wiki).
constexpr size_t kBlockSize = 32768;
constexpr size_t kHeaderSize = 7;             // crc32c 4, length 2, type 1
constexpr size_t kRecyclableHeaderSize = 11;  // ... plus the low 32 bits of the log number
constexpr uint8_t kZeroType = 0;
constexpr uint8_t kFullType = 1;
constexpr uint8_t kFirstType = 2;
constexpr uint8_t kLastType = 4;
constexpr uint8_t kRecyclableFullType = 5;
constexpr uint8_t kRecyclableLastType = 8;
constexpr uint8_t kSetCompressionType = 9;
// From type 10 on, the low bit says "recyclable header" (types 3 and 5-8 are
// MIDDLE and the recyclable FULL..LAST); a type with kIgnorableTypeBit set may
// be skipped by a reader that does not know it.
constexpr uint8_t kFirstExtendedType = 10;
constexpr uint8_t kIgnorableTypeBit = 0x80;


uint32_t DecodeFixed32(const char* p) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(p[i]);
  return value;
}

uint64_t DecodeFixed64(const char* p) {
  return static_cast<uint64_t>(DecodeFixed32(p)) | static_cast<uint64_t>(DecodeFixed32(p + 4)) << 32;
}

bool IsRecyclableType(uint8_t type) {
  if (type >= kRecyclableFullType && type <= kRecyclableLastType) return true;
  return type >= kFirstExtendedType && (type & 1) != 0;
}

// A recyclable header names its log (low 32 bits); a record of another log is
// old content of a recycled file, and the log ends before it.
bool IsOfLog(std::string_view record, uint64_t log_number) {
  return DecodeFixed32(record.data() + 7) == static_cast<uint32_t>(log_number);
}

size_t HeaderSizeOf(uint8_t type) { return IsRecyclableType(type) ? kRecyclableHeaderSize : kHeaderSize; }

// FULL/FIRST/MIDDLE/LAST for both header forms; 0 for anything else.
uint8_t FragmentTypeOf(uint8_t type) {
  if (type >= kFullType && type <= kLastType) return type;
  if (type >= kRecyclableFullType && type <= kRecyclableLastType) return type - (kRecyclableFullType - kFullType);
  return 0;
}

// `record` is a whole physical record. The checksum covers everything after
// the checksum and the length: type byte, a recyclable header's log number, payload.
bool ChecksumMatches(std::string_view record) {
  return MaskCrc32c(Crc32cOf(record.substr(6))) == DecodeFixed32(record.data());
}

// Whether `block` holds the intact start of a record (FULL or FIRST) among the
// intact records it begins with. The writer starts every block with a record
// header, so this tells further records apart from a torn or zero-filled end
// of file. A continuation alone is no evidence: it may belong to the damaged
// record; nor is a record a recycled file kept from its previous log.
bool HoldsIntactRecordStart(std::string_view block, uint64_t log_number) {
  while (block.size() >= kHeaderSize) {
    uint8_t type = static_cast<uint8_t>(block[6]);
    size_t length = static_cast<uint8_t>(block[4]) | static_cast<size_t>(static_cast<uint8_t>(block[5])) << 8;
    size_t header_size = HeaderSizeOf(type);
    if (block.size() < header_size + length || !ChecksumMatches(block.substr(0, header_size + length))) return false;
    if (header_size == kRecyclableHeaderSize && !IsOfLog(block, log_number)) return false;
    uint8_t fragment_type = FragmentTypeOf(type);
    if (fragment_type == kFullType || fragment_type == kFirstType) return true;
    block.remove_prefix(header_size + length);
  }
  return false;
}

// "000012.log" -> 12; false for every other name (LOG, MANIFEST-..., OPTIONS-...).
bool ParseWalFileName(const std::string& name, uint64_t* number) {
  constexpr std::string_view kSuffix = ".log";
  if (name.size() <= kSuffix.size() || name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return false;
  }
  const char* end = name.data() + name.size() - kSuffix.size();
  auto [stop, error] = std::from_chars(name.data(), end, *number);
  return error == std::errc() && stop == end;
}

Status AddWalFilesIn(const fs::path& dir, const std::string& name_prefix, std::map<uint64_t, WalFile>* files) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return Status::Ok();  // no archive yet
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    uint64_t number = 0;
    if (!ParseWalFileName(name, &number)) continue;
    // A number in both places is a file being archived; either copy has the same content.
    files->emplace(number, WalFile{number, it->path().string(), name_prefix + name});
  }
  if (error) return Status::IOError("cannot list " + dir.string() + ": " + error.message());
  return Status::Ok();
}

std::vector<WalFile> InNumberOrder(std::map<uint64_t, WalFile> by_number) {
  std::vector<WalFile> files;
  files.reserve(by_number.size());
  for (auto& [number, file] : by_number) files.push_back(std::move(file));
  return files;
}

// Where a WAL file is when it is not where it was listed: the server moves
// live files to the archive once a flush made them obsolete.
WalFile OtherLocationOf(const WalFile& file) {
  fs::path path(file.path);
  std::string base = path.filename().string();
  constexpr std::string_view kArchive = "archive/";
  if (file.name.compare(0, kArchive.size(), kArchive) == 0) {
    return WalFile{file.number, (path.parent_path().parent_path() / base).string(), base};
  }
  return WalFile{file.number, (path.parent_path() / "archive" / base).string(), std::string(kArchive) + base};
}

int OpenForReading(const std::string& path) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Counts the batch's data operations (each takes one sequence number) and
// decodes the kvd binlog records between them.
class BinlogRecordCollector : public rocksdb::WriteBatch::Handler {
 public:
  explicit BinlogRecordCollector(WalBatch* batch) : batch_(batch) {}

  rocksdb::Status PutCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override { return CountOperation(); }
  rocksdb::Status PutEntityCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return CountOperation();
  }
  rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice&) override { return CountOperation(); }
  rocksdb::Status SingleDeleteCF(uint32_t, const rocksdb::Slice&) override { return CountOperation(); }
  rocksdb::Status DeleteRangeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return CountOperation();
  }
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override { return CountOperation(); }
  rocksdb::Status PutBlobIndexCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return CountOperation();
  }

  void LogData(const rocksdb::Slice& blob) override {
    std::string_view bytes(blob.data(), blob.size());
    // Log data is a general RocksDB feature; only blobs with kvd's magic byte are binlog records.
    if (bytes.empty() || bytes.front() != 'K') return;
    Result<BinlogRecord> record = DecodeBinlogRecord(bytes);
    if (!record.ok()) {
      status_ = record.status();
      return;
    }
    // A record follows the operations it describes, so it gets the last one's sequence (in a
    // commit group's batch every record follows every operation: they share the batch's last).
    uint64_t sequence = batch_->sequence + (operations_ == 0 ? 0 : operations_ - 1);
    batch_->records.push_back(BinlogEntry{sequence, std::move(record).value()});
  }

  bool Continue() override { return status_.ok(); }
  const Status& status() const { return status_; }

 private:
  rocksdb::Status CountOperation() {
    ++operations_;
    return rocksdb::Status::OK();
  }

  WalBatch* batch_;
  uint64_t operations_ = 0;
  Status status_;
};

}  // namespace

uint32_t MaskCrc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

Result<std::vector<WalFile>> ListWalFiles(const std::string& data_dir) {
  fs::path db = fs::path(data_dir) / "db";
  std::error_code error;
  if (!fs::is_directory(db, error)) {
    return Status::NotFound(db.string() + " does not exist: " + data_dir + " is not a kvd data directory");
  }
  std::map<uint64_t, WalFile> by_number;
  KVD_RETURN_IF_ERROR(AddWalFilesIn(db / "archive", "archive/", &by_number));
  KVD_RETURN_IF_ERROR(AddWalFilesIn(db, "", &by_number));
  return InNumberOrder(std::move(by_number));
}

Result<std::vector<WalFile>> ListArchivedWalFiles(const std::string& data_dir) {
  std::map<uint64_t, WalFile> by_number;
  KVD_RETURN_IF_ERROR(AddWalFilesIn(fs::path(data_dir) / "db" / "archive", "archive/", &by_number));
  return InNumberOrder(std::move(by_number));
}

// ---------------------------------------------------------------------------
// WalFileReader

struct WalFileReader::Fragment {
  uint8_t type = 0;  // kFullType .. kLastType
  uint64_t offset = 0;
  std::string_view payload;
};

Result<std::unique_ptr<WalFileReader>> WalFileReader::Open(const WalFile& file) {
  WalFile opened = file;
  int fd = OpenForReading(opened.path);
  if (fd < 0 && errno == ENOENT) {
    opened = OtherLocationOf(file);
    fd = OpenForReading(opened.path);
  }
  if (fd < 0 && errno == ENOENT) return Status::NotFound(file.path + " is gone (deleted by binlog retention?)");
  if (fd < 0) return Status::IOError("cannot open " + file.path + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    Status error = Status::IOError("cannot stat " + opened.path + ": " + std::strerror(errno));
    ::close(fd);
    return error;
  }
  return std::unique_ptr<WalFileReader>(new WalFileReader(std::move(opened), fd, static_cast<uint64_t>(info.st_size)));
}

WalFileReader::~WalFileReader() { ::close(fd_); }

std::string WalFileReader::tail_note() const {
  if (tail_what_.empty()) return {};
  return Describe(tail_what_, tail_offset_) + ", the rest is ignored";
}

std::string WalFileReader::Describe(const std::string& what, uint64_t offset) const {
  return "file " + file_.name + ": " + what + " at offset " + std::to_string(offset);
}

Status WalFileReader::ReadBlockAt(uint64_t offset, std::string* block) const {
  size_t length = static_cast<size_t>(std::min<uint64_t>(kBlockSize, size_ - offset));
  block->resize(length);
  size_t done = 0;
  while (done < length) {
    ssize_t got = ::pread(fd_, block->data() + done, length - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::IOError("cannot read " + file_.path + ": " + std::strerror(errno));
    if (got == 0) return Status::IOError(file_.path + " shrank while it was read");
    done += static_cast<size_t>(got);
  }
  return Status::Ok();
}

Status WalFileReader::SeekTo(uint64_t offset) {
  uint64_t block_start = offset - offset % kBlockSize;
  if (offset >= size_) {
    ended_ = true;
    return Status::Ok();
  }
  KVD_RETURN_IF_ERROR(ReadBlockAt(block_start, &block_));
  block_offset_ = block_start;
  position_ = static_cast<size_t>(offset - block_start);
  started_ = true;
  ended_ = false;
  return Status::Ok();
}

Status WalFileReader::RefreshAndSeek(uint64_t offset) {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return Status::IOError("cannot stat " + file_.path + ": " + std::strerror(errno));
  size_ = static_cast<uint64_t>(info.st_size);
  tail_what_.clear();
  return SeekTo(offset);
}

Result<bool> WalFileReader::Next(std::string* record, uint64_t* offset) {
  record->clear();
  bool in_record = false;
  Fragment fragment;
  while (true) {
    Result<bool> got = NextFragment(&fragment);
    if (!got.ok()) return got.status();
    if (!*got) {
      // A record whose fragments stop short is lost from its start on.
      if (in_record) {
        tail_what_ = tail_what_.empty() ? "truncated record" : tail_what_;
        tail_offset_ = *offset;
      }
      return false;
    }
    bool starts_record = fragment.type == kFullType || fragment.type == kFirstType;
    if (starts_record == in_record) {
      // A new record before the previous one ended, or a continuation without a start.
      return StopAt(in_record ? *offset : fragment.offset, "broken fragment sequence", false);
    }
    if (starts_record) {
      *offset = fragment.offset;
      in_record = true;
    }
    record->append(fragment.payload);
    if (fragment.type == kFullType || fragment.type == kLastType) return true;
  }
}

Result<bool> WalFileReader::NextFragment(Fragment* fragment) {
  while (!ended_) {
    if (!started_ || position_ == block_.size()) {
      uint64_t next = started_ ? block_offset_ + block_.size() : 0;
      if (next >= size_) break;
      KVD_RETURN_IF_ERROR(ReadBlockAt(next, &block_));
      block_offset_ = next;
      position_ = 0;
      started_ = true;
    }
    Result<bool> got = ParseFragment(fragment);
    if (!got.ok() || *got) return got;
  }
  ended_ = true;
  return false;
}

// One step through the current block: true with a fragment, or false after
// skipping padding or an ignorable record, or after ending the file (ended_).
Result<bool> WalFileReader::ParseFragment(Fragment* fragment) {
  uint64_t offset = block_offset_ + position_;
  std::string_view rest = std::string_view(block_).substr(position_);
  // Only the file's last block is short; a short block means the file ends in it.
  bool whole_block = block_.size() == kBlockSize;
  if (rest.size() < kHeaderSize) {
    if (!whole_block) return StopAt(offset, "truncated record", true);
    position_ = block_.size();  // too little room for a header: the writer padded the block
    return false;
  }
  uint8_t type = static_cast<uint8_t>(rest[6]);
  size_t length = static_cast<uint8_t>(rest[4]) | static_cast<size_t>(static_cast<uint8_t>(rest[5])) << 8;
  if (type == kZeroType && length == 0) {
    position_ = block_.size();  // zero-filled space (preallocated or padding): nothing more in this block
    return false;
  }
  size_t header_size = HeaderSizeOf(type);
  if (rest.size() < header_size + length) {
    bool fits_block = position_ + header_size + length <= kBlockSize;
    if (!whole_block && fits_block) return StopAt(offset, "truncated record", true);
    return StopAt(offset, "bad record length", false);
  }
  if (!ChecksumMatches(rest.substr(0, header_size + length))) {
    return StopAt(offset, "bad checksum", false);
  }
  position_ += header_size + length;
  if (header_size == kRecyclableHeaderSize && !IsOfLog(rest, file_.number)) {
    ended_ = true;
    return false;
  }
  if ((type & kIgnorableTypeBit) != 0) return false;
  if (type == kSetCompressionType) {
    return Status::InvalidArgument(Describe("compressed WAL (RocksDB wal_compression)", offset) +
                                   ": kvd does not read compressed WAL files");
  }
  fragment->type = FragmentTypeOf(type);
  if (fragment->type == 0) {
    return Status::InvalidArgument(Describe("record type " + std::to_string(type), offset) +
                                   ": not supported by this kvd (written by a newer RocksDB?)");
  }
  fragment->offset = offset;
  fragment->payload = rest.substr(header_size, length);
  return true;
}

// Damage is a torn tail when nothing intact follows it; otherwise the file is corrupt.
Result<bool> WalFileReader::StopAt(uint64_t offset, std::string what, bool truncated) {
  if (!truncated) {
    Result<bool> intact_after = IntactBlockAfter(offset);
    if (!intact_after.ok()) return intact_after.status();
    if (*intact_after) return Status::Corruption(Describe(what, offset) + ", and intact records follow it");
  }
  ended_ = true;
  tail_what_ = std::move(what);
  tail_offset_ = offset;
  return false;
}

Result<bool> WalFileReader::IntactBlockAfter(uint64_t offset) const {
  std::string block;
  for (uint64_t start = (offset / kBlockSize + 1) * kBlockSize; start < size_; start += kBlockSize) {
    KVD_RETURN_IF_ERROR(ReadBlockAt(start, &block));
    if (HoldsIntactRecordStart(block, file_.number)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Batches

bool ReadWriteBatchHeader(std::string_view rep, WriteBatchHeader* out) {
  if (rep.size() < kWriteBatchHeaderSize) return false;
  out->sequence = DecodeFixed64(rep.data());
  out->count = DecodeFixed32(rep.data() + 8);
  return true;
}

void SetWriteBatchCount(std::string* rep, uint32_t count) {
  for (int i = 0; i < 4; ++i) (*rep)[8 + i] = static_cast<char>((count >> (8 * i)) & 0xff);
}

Result<WalBatch> ParseWalBatch(std::string rep) {
  WriteBatchHeader header;
  if (!ReadWriteBatchHeader(rep, &header)) return Status::Corruption("write batch shorter than its header");
  WalBatch batch;
  batch.sequence = header.sequence;
  batch.count = header.count;
  BinlogRecordCollector collector(&batch);
  rocksdb::WriteBatch write_batch(std::move(rep));
  rocksdb::Status walked = write_batch.Iterate(&collector);
  if (!collector.status().ok()) return collector.status();
  if (!walked.ok()) return Status::Corruption("bad write batch: " + walked.ToString());
  return batch;
}

Result<std::unique_ptr<BinlogReader>> BinlogReader::Open(const std::string& data_dir) {
  Result<std::vector<WalFile>> files = ListWalFiles(data_dir);
  if (!files.ok()) return files.status();
  return std::unique_ptr<BinlogReader>(new BinlogReader(std::move(files).value()));
}

BinlogReader::~BinlogReader() = default;

Status BinlogReader::SkipFilesBefore(uint64_t sequence) {
  if (current_ != nullptr) return Status::InvalidArgument("SkipFilesBefore after Next");
  // Every record of a file comes before the first batch of any later file.
  for (size_t later = next_file_ + 1; later < files_.size(); ++later) {
    Result<std::optional<uint64_t>> first = FirstBatchSequence(files_[later]);
    if (!first.ok()) return first.status();
    if (!first->has_value()) continue;  // an empty file tells nothing
    if (**first > sequence) break;
    next_file_ = later;
  }
  return Status::Ok();
}

Result<std::optional<uint64_t>> FirstBatchSequence(const WalFile& file) {
  Result<std::unique_ptr<WalFileReader>> reader = WalFileReader::Open(file);
  if (reader.status().Is(Status::Code::kNotFound)) return std::optional<uint64_t>();  // purged meanwhile
  if (!reader.ok()) return reader.status();
  std::string rep;
  uint64_t offset = 0;
  WriteBatchHeader header;
  while (true) {
    Result<bool> got = (*reader)->Next(&rep, &offset);
    if (!got.ok()) return got.status();
    if (!*got) return std::optional<uint64_t>();
    // A batch of records alone uses no sequence number: its header names the next one.
    if (ReadWriteBatchHeader(rep, &header) && header.count > 0) return std::optional<uint64_t>(header.sequence);
  }
}

// Leaves current_ empty when the oldest files were deleted by retention after
// they were listed: the binlog then simply starts later. A file that vanishes
// after records were read would be a gap, so that is an error.
Status BinlogReader::OpenNextFile() {
  const WalFile& file = files_[next_file_++];
  Result<std::unique_ptr<WalFileReader>> reader = WalFileReader::Open(file);
  if (reader.status().Is(Status::Code::kNotFound) && !next_sequence_) return Status::Ok();
  if (!reader.ok()) return reader.status();
  current_ = std::move(reader).value();
  return Status::Ok();
}

Result<bool> BinlogReader::Next(WalBatch* batch) {
  std::string rep;
  uint64_t offset = 0;
  while (true) {
    if (!current_) {
      if (next_file_ == files_.size()) {
        if (pending_tail_) notes_.push_back(pending_tail_->note);  // nothing after it to check against
        pending_tail_.reset();
        return false;
      }
      KVD_RETURN_IF_ERROR(OpenNextFile());
      if (!current_) continue;
    }
    Result<bool> got = current_->Next(&rep, &offset);
    if (!got.ok()) return got.status();
    if (*got) break;
    FinishFile();
  }
  Result<WalBatch> parsed = ParseWalBatch(std::move(rep));
  if (!parsed.ok()) {
    return Status::Corruption("file " + current_->file().name + ": batch at offset " + std::to_string(offset) + ": " +
                              parsed.status().message());
  }
  parsed->file_number = current_->file().number;
  parsed->offset = offset;
  KVD_RETURN_IF_ERROR(CheckContinuity(*parsed));
  next_sequence_ = parsed->sequence + parsed->count;
  *batch = std::move(parsed).value();
  return true;
}

void BinlogReader::FinishFile() {
  std::string note = current_->tail_note();
  current_.reset();
  if (note.empty()) return;
  if (next_file_ == files_.size()) {
    notes_.push_back(std::move(note));  // the newest file: a write torn by a crash, or one still being written
    return;
  }
  // An older file: fine if the next file goes on where this one's intact part ended.
  if (pending_tail_) notes_.push_back(pending_tail_->note);
  pending_tail_ = PendingTail{std::move(note), next_sequence_};
}

Status BinlogReader::CheckContinuity(const WalBatch& batch) {
  if (!pending_tail_) return Status::Ok();
  PendingTail tail = std::move(*pending_tail_);
  pending_tail_.reset();
  std::string goes_on = "; file " + current_->file().name + " goes on at sequence " + std::to_string(batch.sequence);
  if (tail.expected_sequence && batch.sequence != *tail.expected_sequence) {
    return Status::Corruption(tail.note + goes_on + " instead of " + std::to_string(*tail.expected_sequence) +
                              ", so records are missing");
  }
  notes_.push_back(tail.note + goes_on + ", so nothing is missing");
  return Status::Ok();
}

}  // namespace kvd::storage
