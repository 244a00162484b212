// Reads kvd's binlog — RocksDB's write-ahead log files — straight from a
// data directory, without opening the database, so it works on the directory
// of a running or a crashed server (and never changes anything in it).
//
// The file format is RocksDB's documented log format: 32 KiB blocks of
// physical records (masked CRC-32C, length, type[, log number]) that carry
// logical records, each one WriteBatch as RocksDB committed it. The kvd binlog
// records (storage/binlog_record.h) are the batches' "log data" entries.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/binlog_record.h"

namespace kvd::storage {

// RocksDB's log records carry a CRC-32C (common/crc32c.h), stored masked
// because a CRC of data that embeds CRCs is weak.
uint32_t MaskCrc32c(uint32_t crc);

struct WalFile {
  uint64_t number = 0;
  std::string path;  // full path
  std::string name;  // relative to the RocksDB directory, for messages: "archive/000012.log"
};

// The WAL files of the kvd data directory `data_dir` (RocksDB lives in
// data_dir/db): the archived ones in db/archive and the live ones in db,
// ascending by file number, one per number. NotFound when data_dir/db is missing.
Result<std::vector<WalFile>> ListWalFiles(const std::string& data_dir);
// Only the archived ones (data_dir/db/archive), ascending; none when there is no archive.
Result<std::vector<WalFile>> ListArchivedWalFiles(const std::string& data_dir);

// The logical records of one WAL file, in order.
class WalFileReader {
 public:
  // When the file is gone (the server archived it after it was listed), the
  // other location (db/ or db/archive/) is tried; NotFound when it is in neither.
  static Result<std::unique_ptr<WalFileReader>> Open(const WalFile& file);
  ~WalFileReader();
  WalFileReader(const WalFileReader&) = delete;
  WalFileReader& operator=(const WalFileReader&) = delete;

  // The next logical record (a WriteBatch rep) and the file offset of its
  // first fragment; false at the end of the file. A torn tail — a truncated
  // record, or damage after which no intact block follows — also ends the
  // file (see tail_note()); damage followed by intact records is a Corruption
  // error naming the file and the offset.
  Result<bool> Next(std::string* record, uint64_t* offset);
  // Goes on reading at `offset`, the start of a logical record as Next()
  // reported it (for a reader that follows a file being written: reopen,
  // seek to the last record read, skip it).
  Status SeekTo(uint64_t offset);
  // Takes in what was appended to the file since it was opened (or last
  // refreshed), then SeekTo(offset).
  Status RefreshAndSeek(uint64_t offset);

  // Empty, or why reading stopped before the end of the file:
  // "file 000012.log: truncated record at offset 4096, the rest is ignored".
  std::string tail_note() const;
  const WalFile& file() const { return file_; }

 private:
  struct Fragment;
  WalFileReader(WalFile file, int fd, uint64_t size) : file_(std::move(file)), fd_(fd), size_(size) {}
  Result<bool> NextFragment(Fragment* fragment);
  Result<bool> ParseFragment(Fragment* fragment);
  Status ReadBlockAt(uint64_t offset, std::string* block) const;
  Result<bool> StopAt(uint64_t offset, std::string what, bool truncated);
  Result<bool> IntactBlockAfter(uint64_t offset) const;
  std::string Describe(const std::string& what, uint64_t offset) const;

  WalFile file_;
  int fd_;
  uint64_t size_;           // the file's size when opened: later appends are not read
  std::string block_;       // the current block (shorter than 32 KiB only at the end)
  uint64_t block_offset_ = 0;
  size_t position_ = 0;     // in block_
  bool started_ = false;
  bool ended_ = false;
  std::string tail_what_;  // set when a torn tail ended the file
  uint64_t tail_offset_ = 0;
};

struct BinlogEntry {
  // The sequence number of the last data operation the record describes (the
  // batch's first one when none precedes the record in its batch).
  uint64_t sequence = 0;
  BinlogRecord record;
};

// One WriteBatch from the WAL with the kvd binlog records it carries.
struct WalBatch {
  uint64_t file_number = 0;
  uint64_t offset = 0;    // of the batch's first fragment in its file
  uint64_t sequence = 0;  // of its first data operation
  uint32_t count = 0;     // data operations, i.e. sequence numbers it takes
  std::vector<BinlogEntry> records;
};

// A WriteBatch rep begins with this header: the sequence of its first
// operation (fixed64) and its operation count (fixed32), little-endian.
constexpr size_t kWriteBatchHeaderSize = 12;
struct WriteBatchHeader {
  uint64_t sequence = 0;
  uint32_t count = 0;
};
// False when `rep` is shorter than a header.
bool ReadWriteBatchHeader(std::string_view rep, WriteBatchHeader* out);
// Rewrites the count of a rep at least a header long.
void SetWriteBatchCount(std::string* rep, uint32_t count);
// The sequence number of the first batch in `file` that holds operations;
// none when it has no such batch yet or it was purged since it was listed.
Result<std::optional<uint64_t>> FirstBatchSequence(const WalFile& file);

// Walks a WriteBatch rep (sequence fixed64, count fixed32, entries) and
// decodes its binlog records; log data that is not a kvd record is skipped.
Result<WalBatch> ParseWalBatch(std::string rep);

// The batches of every WAL file of a data directory, oldest first.
class BinlogReader {
 public:
  static Result<std::unique_ptr<BinlogReader>> Open(const std::string& data_dir);
  ~BinlogReader();

  // Skips whole files whose records all have sequences below `sequence`
  // (known from the first batch of the file after them). Call before Next().
  Status SkipFilesBefore(uint64_t sequence);
  // The next batch; false when every file has been read.
  Result<bool> Next(WalBatch* batch);
  // What was ignored: the torn tail of the newest file, and torn tails of
  // older files (a crash before a restart) after which the next file goes on
  // with the very next sequence number, so nothing is missing. A torn tail
  // followed by a gap in the sequence numbers is a Corruption error instead.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  explicit BinlogReader(std::vector<WalFile> files) : files_(std::move(files)) {}
  Status OpenNextFile();
  void FinishFile();
  Status CheckContinuity(const WalBatch& batch);

  struct PendingTail {
    std::string note;
    std::optional<uint64_t> expected_sequence;
  };
  std::vector<WalFile> files_;
  size_t next_file_ = 0;
  std::unique_ptr<WalFileReader> current_;
  std::optional<uint64_t> next_sequence_;  // what the next batch should start with
  std::optional<PendingTail> pending_tail_;
  std::vector<std::string> notes_;
};

}  // namespace kvd::storage
