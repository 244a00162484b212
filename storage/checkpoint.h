// Point-in-time copies of the engine and the single-file dump that carries one.
//
// A checkpoint is an openable RocksDB database made by rocksdb::Checkpoint:
// memtables are flushed, then the SST files are hard-linked (so it is fast,
// costs no space at first and never stalls writers) and the few small files
// (MANIFEST, OPTIONS, CURRENT, the newest WAL) are copied. Layout:
//
//   DATA/checkpoints/<id>/db/        the database, flat (no sub-directories)
//   DATA/checkpoints/<id>/manifest   sequence, creation time, owner, files
//
// A checkpoint is served to remote readers as "file list + byte ranges"
// (CheckpointStore::Read), the shape both `kvd dump` and a replica's full sync
// need.
//
// The dump archive (one FILE) holds one checkpoint. All integers big-endian:
//
//   header   "KVDDUMP" [version:4] [sequence:8] [created_ms:8] [file_count:4]
//   entry    [name_len:2] [name] [size:8] [bytes] [crc32c(bytes):4]   x file_count
//   trailer  "KVDTAIL" [crc32c(every byte before this field):4]
//
// Readers check the magic and the version first (so a newer format gets a
// clear message rather than a checksum error), then every entry's checksum,
// the trailer and that nothing follows it, before anything is written.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/crc32c.h"
#include "common/status.h"
#include "storage/engine.h"

namespace kvd::storage {

using kvd::Crc32c;
using kvd::Crc32cOf;

// ---- checkpoints ------------------------------------------------------------
struct CheckpointFile {
  std::string name;  // relative to the checkpoint's db/ directory
  uint64_t size = 0;
  bool operator==(const CheckpointFile& other) const = default;
};

struct CheckpointInfo {
  std::string id;
  // Every write up to this sequence number is in the checkpoint (later ones
  // may be too: the number is taken just before the memtables are flushed).
  uint64_t sequence = 0;
  uint64_t created_ms = 0;
  std::string owner;            // run id of the server process that made it
  uint64_t last_used_ms = 0;    // creation or the latest Read (wall clock)
  std::vector<CheckpointFile> files;  // sorted by name
};

// A file name inside a checkpoint or a dump: plain, no path separators.
bool IsPlainFileName(std::string_view name);

class CheckpointStore {
 public:
  explicit CheckpointStore(std::string root) : root_(std::move(root)) {}
  // DATA/checkpoints for the engine's data directory DATA.
  static std::string RootOf(Engine& engine);
  // A fresh id: creation time and random hex, e.g. "1700000000000-3fa29c1d".
  static std::string NewId(uint64_t now_ms);
  // Letters, digits, '-' and '_', at most 64: safe as a directory name.
  static bool IsValidId(std::string_view id);

  const std::string& root() const { return root_; }
  std::string DbDir(std::string_view id) const;  // root/<id>/db

  // Creates checkpoint `id` of `engine` (the id must not exist yet). On
  // failure nothing of it is left behind.
  Result<CheckpointInfo> Create(Engine& engine, std::string_view id, std::string_view owner, uint64_t now_ms);
  // NotFound when there is no complete checkpoint `id`.
  Result<CheckpointInfo> Get(std::string_view id) const;
  // Every complete checkpoint, by id.
  Result<std::vector<CheckpointInfo>> List() const;
  // Up to `length` bytes of `file` from `offset`; fewer at the end of the file,
  // none at its end; OutOfRange past it. Marks the checkpoint as used.
  Result<std::string> Read(std::string_view id, std::string_view file, uint64_t offset, uint64_t length);
  // The same bytes read straight into the n bytes `space(n)` returns (a
  // reply being built): no copy of a chunk of megabytes. Returns n.
  Result<size_t> ReadInto(std::string_view id, std::string_view file, uint64_t offset, uint64_t length,
                          const std::function<char*(size_t)>& space);
  // NotFound when `id` does not exist.
  Status Drop(std::string_view id);
  // Makes checkpoint `from` known as `to`, atomically replacing a previous `to`.
  Status Replace(std::string_view from, std::string_view to);
  // Drops the checkpoints `abandoned` selects, and directories of creations
  // that never finished once they are older than `unfinished_after_ms`
  // (younger ones may still be being created). Returns how many went.
  Result<size_t> Sweep(const std::function<bool(const CheckpointInfo&)>& abandoned, uint64_t now_ms,
                       uint64_t unfinished_after_ms);

 private:
  std::string DirOf(std::string_view id) const;
  std::string ManifestOf(std::string_view id) const;
  Status WriteManifest(const CheckpointInfo& info) const;

  std::string root_;
};

// ---- dump archive -----------------------------------------------------------
constexpr uint32_t kDumpFormatVersion = 1;

struct ArchiveHeader {
  uint32_t version = kDumpFormatVersion;
  uint64_t sequence = 0;
  uint64_t created_ms = 0;
  uint32_t file_count = 0;
};

struct ArchiveContents {
  ArchiveHeader header;
  std::vector<CheckpointFile> files;  // in archive order
  uint64_t bytes = 0;                 // size of the archive file
};

// Writes a dump file into a temporary file next to `path` that Finish()
// fsyncs and renames to `path`; until then (and after any error) `path` is
// untouched, and the destructor removes the temporary file.
class ArchiveWriter {
 public:
  ArchiveWriter() = default;
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  Status Open(const std::string& path, const ArchiveHeader& header);
  Status BeginFile(std::string_view name, uint64_t size);
  // Exactly `size` bytes (of BeginFile) must be appended before EndFile().
  Status Append(std::string_view bytes);
  Status EndFile();
  // Writes the trailer, fsyncs, renames into place and fsyncs the directory.
  Status Finish();
  // Removes the temporary file (also done by the destructor).
  void Abandon();
  const std::string& temp_path() const { return temp_path_; }

 private:
  Status Write(std::string_view bytes);
  Status FlushBuffer();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  std::string buffer_;
  Crc32c whole_;
  Crc32c entry_;
  uint32_t files_expected_ = 0;
  uint32_t files_written_ = 0;
  uint64_t entry_left_ = 0;
  bool in_entry_ = false;
};

// Reads the whole archive and checks it; writes nothing.
Result<ArchiveContents> VerifyArchive(const std::string& path);
// Verifies the archive, then unpacks its files into the directory `dest_dir`,
// which must not exist (or be empty): they are written and fsynced in a
// staging directory next to it that is renamed to `dest_dir` at the end. On
// any failure nothing is left at `dest_dir` and the staging directory is gone.
Result<ArchiveContents> ExtractArchive(const std::string& path, const std::string& dest_dir);
// Packs checkpoint `id` of `store` into the dump file `path`.
Status WriteCheckpointArchive(const CheckpointStore& store, std::string_view id, const std::string& path);

}  // namespace kvd::storage
