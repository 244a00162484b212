// The durable Raft state of one node: one append-only file, DIR/raft.log, of
// checksummed records that are replayed at start-up through PersistentState.
// Chosen over a small RocksDB because the state is tiny (a topology), the
// access is append + fsync, and a file of self-checking records is easy to
// inspect and to recover: a torn last record (a crash mid-append) is dropped,
// damage before intact records is an error, never silently skipped.
//
// Record: [length u32 LE][crc32c(type + payload) u32 LE][type u8][payload]
//   type 1 hard state, 2 entry, 3 snapshot (payloads encoded by codec.h)
//
// After a snapshot, once the file has grown past a limit, it is rewritten
// (snapshot + later entries + hard state) into a temporary file that is
// fsynced and renamed over the old one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cluster/raft/persistent_state.h"
#include "cluster/raft/ready.h"
#include "common/status.h"

namespace kvd::cluster::raft {

class FileStorage {
 public:
  // Opens (or creates) DIR/raft.log and replays it. A new file starts from
  // `initial` (e.g. PersistentState::Bootstrap of the configured voters).
  static Result<std::unique_ptr<FileStorage>> Open(const std::string& dir, const PersistentState& initial);
  ~FileStorage();
  FileStorage(const FileStorage&) = delete;
  FileStorage& operator=(const FileStorage&) = delete;

  // What was persisted: hand it to Raft::Create.
  const PersistentState& state() const { return state_; }
  // Makes a Ready's snapshot, entries and hard state durable (one fsync).
  Status Persist(const Ready& ready);
  // Records a snapshot the application took (after Raft::Compact).
  Status SaveSnapshot(const Snapshot& snapshot);

  uint64_t file_bytes() const { return file_bytes_; }
  // Set by Open when a torn last record was dropped.
  const std::string& recovery_note() const { return recovery_note_; }

 private:
  FileStorage(std::string dir) : dir_(std::move(dir)) {}
  Status Replay(const std::string& contents);
  Status AppendRecords(const std::string& records);
  Status Rewrite();
  std::string path() const { return dir_ + "/raft.log"; }

  std::string dir_;
  int fd_ = -1;
  uint64_t file_bytes_ = 0;
  uint64_t bytes_at_last_rewrite_ = 0;
  PersistentState state_;
  std::string recovery_note_;
};

}  // namespace kvd::cluster::raft
