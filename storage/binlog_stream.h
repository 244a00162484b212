// Reading the binlog (RocksDB's WAL files) forward from a sequence number,
// batch by batch, as a master streams it to a replica. Each batch is returned
// exactly as it was written — operations and binlog records — so the replica
// writes the same bytes and reaches the same sequence numbers.
//
// It follows the live WAL file as it grows: it remembers the file and the
// offset of the last batch it returned and reads on from there, so catching
// up costs reading each byte once. (RocksDB's GetUpdatesSince iterator ends
// at the tail and a new one re-reads the whole live file from its start.)
// It sees what the server flushed to the OS, which is what the server has
// acknowledged or is about to.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/wal_reader.h"

namespace kvd::storage {

struct StreamedBatch {
  uint64_t sequence = 0;  // of the batch's first operation
  uint64_t count = 0;     // sequence numbers it uses
  std::string data;       // WriteBatch contents
};

class BinlogStream {
 public:
  // Streams the binlog of data directory `data_dir` from `next_sequence` on
  // (a replica's latest sequence + 1).
  BinlogStream(std::string data_dir, uint64_t next_sequence) : data_dir_(std::move(data_dir)), next_(next_sequence) {}

  // Appends the batches written since the last call, up to about
  // `max_bytes`; none when the stream has caught up. `latest_sequence` is
  // the engine's newest: at or below it nothing is read at all. NotFound
  // when the binlog no longer holds the next sequence (retention purged it:
  // the replica needs a full sync).
  Status Read(size_t max_bytes, uint64_t latest_sequence, std::vector<StreamedBatch>* out);
  // What the binlog of `data_dir` can do for a replica that asks for
  // `next_sequence`: stream from there (a batch starts there, or it is
  // `latest_sequence` + 1, the next one to be written) or not; and when
  // `next_sequence` falls inside a batch (the replica holds other writes at
  // those sequences), where that batch starts.
  struct Hold {
    bool streams = false;
    std::optional<uint64_t> inside_batch_from;
  };
  static Hold Find(const std::string& data_dir, uint64_t next_sequence, uint64_t latest_sequence);
  uint64_t next_sequence() const { return next_; }

 private:
  Status Position();
  // Reads on in the current file; false when it has nothing more now.
  Result<bool> ReadCurrent(size_t max_bytes, size_t* bytes, std::vector<StreamedBatch>* out);
  Result<std::optional<WalFile>> NewerFile() const;

  std::string data_dir_;
  uint64_t next_;
  std::optional<WalFile> file_;  // the file holding next_, once found
  bool file_starts_by_next_ = false;  // file_'s first batch is at or before next_ (not just the newest file)
  std::optional<uint64_t> inside_batch_from_;  // set when next_ turned out to fall inside this batch
  std::unique_ptr<WalFileReader> reader_;  // open on file_, refreshed before each read
  uint64_t offset_ = 0;          // of the last batch read from it (re-read and skipped)
};

// Joins consecutive batches into one, so that a replica writes many small
// batches of its master with one RocksDB write. A WriteBatch is a 12-byte
// header (sequence, operation count; little-endian) followed by
// self-delimiting records: the join keeps the first header's sequence, adds
// the counts and concatenates the records, so every operation lands at the
// sequence number it had on the master.
class BatchJoiner {
 public:
  // False (and nothing added) when `data` is not a batch or does not start
  // right after what is held: write what is held first.
  bool Add(uint64_t sequence, std::string_view data);
  bool empty() const { return joined_.empty(); }
  size_t bytes() const { return joined_.size(); }
  uint64_t sequence() const { return sequence_; }
  // The joined batch; the joiner is empty afterwards.
  std::string Take();

 private:
  std::string joined_;
  uint64_t sequence_ = 0;
  uint64_t next_ = 0;
  uint32_t count_ = 0;
};

}  // namespace kvd::storage
