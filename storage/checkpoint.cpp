#include "storage/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/utilities/checkpoint.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "common/file_util.h"
#include "common/numbers.h"
#include "storage/encoding.h"

namespace kvd::storage {

namespace fs = std::filesystem;

// ---- small POSIX file helpers ---------------------------------------------------
namespace {

constexpr size_t kIoChunk = 1 << 20;

Status ErrnoError(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// Modification time in ms, 0 when the path cannot be read.
uint64_t ModifiedMs(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return static_cast<uint64_t>(info.st_mtim.tv_sec) * 1000 + static_cast<uint64_t>(info.st_mtim.tv_nsec) / 1000000;
}

Result<std::vector<CheckpointFile>> ListPlainFiles(const std::string& dir) {
  std::vector<CheckpointFile> files;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (!it->is_regular_file(error) || !IsPlainFileName(name)) {
      return Status::Corruption("unexpected entry '" + name + "' in checkpoint " + dir);
    }
    uint64_t size = it->file_size(error);
    if (error) break;
    files.push_back({name, size});
  }
  if (error) return Status::IOError("listing " + dir + ": " + error.message());
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return files;
}

// ---- manifest: one "name value" per line; file lines are "file SIZE NAME" ----
constexpr std::string_view kManifestTag = "kvd-checkpoint 1";

std::string FormatManifest(const CheckpointInfo& info) {
  std::string text = std::string(kManifestTag) + "\n";
  text += "sequence " + std::to_string(info.sequence) + "\n";
  text += "created_ms " + std::to_string(info.created_ms) + "\n";
  text += "owner " + info.owner + "\n";
  for (const auto& file : info.files) text += "file " + std::to_string(file.size) + " " + file.name + "\n";
  return text;
}

bool ParseManifestLine(const std::string& line, CheckpointInfo* info) {
  size_t space = line.find(' ');
  if (space == std::string::npos) return false;
  std::string_view name = std::string_view(line).substr(0, space);
  std::string_view value = std::string_view(line).substr(space + 1);
  if (name == "sequence") return ParseUint64(value, &info->sequence);
  if (name == "created_ms") return ParseUint64(value, &info->created_ms);
  if (name == "owner") {
    info->owner = std::string(value);
    return true;
  }
  if (name != "file") return false;
  size_t separator = value.find(' ');
  if (separator == std::string_view::npos) return false;
  CheckpointFile file{std::string(value.substr(separator + 1)), 0};
  if (!ParseUint64(value.substr(0, separator), &file.size) || !IsPlainFileName(file.name)) return false;
  info->files.push_back(std::move(file));
  return true;
}

Result<CheckpointInfo> ParseManifest(const std::string& text, std::string_view id) {
  std::istringstream lines(text);
  std::string line;
  CheckpointInfo info;
  info.id = std::string(id);
  if (!std::getline(lines, line) || line != kManifestTag) {
    return Status::Corruption("checkpoint '" + info.id + "' has an unreadable manifest");
  }
  while (std::getline(lines, line)) {
    if (!ParseManifestLine(line, &info)) {
      return Status::Corruption("checkpoint '" + info.id + "' has a bad manifest line: " + line);
    }
  }
  return info;
}

std::string RandomHex(int digits) {
  thread_local std::mt19937_64 random(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  for (int i = 0; i < digits; ++i) text.push_back(kHex[random() % 16]);
  return text;
}

}  // namespace

// ---- CheckpointStore ----------------------------------------------------------------

bool IsPlainFileName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  return name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

std::string CheckpointStore::RootOf(Engine& engine) {
  return (fs::path(engine.db()->GetName()).parent_path() / "checkpoints").string();
}

std::string CheckpointStore::NewId(uint64_t now_ms) { return std::to_string(now_ms) + "-" + RandomHex(8); }

bool CheckpointStore::IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::string CheckpointStore::DirOf(std::string_view id) const { return root_ + "/" + std::string(id); }
std::string CheckpointStore::DbDir(std::string_view id) const { return DirOf(id) + "/db"; }
std::string CheckpointStore::ManifestOf(std::string_view id) const { return DirOf(id) + "/manifest"; }

Status CheckpointStore::WriteManifest(const CheckpointInfo& info) const {
  return WriteFileAtomically(ManifestOf(info.id), FormatManifest(info));
}

namespace {

// Builds the RocksDB checkpoint in `db_dir`, which must not exist yet.
Status MakeRocksCheckpoint(Engine& engine, const std::string& db_dir, uint64_t* sequence) {
  auto wal_files = engine.LockWalFiles();  // RocksDB lists the WAL files; none may vanish meanwhile
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status status = rocksdb::Checkpoint::Create(engine.db(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: always flush the memtables, so the checkpoint is
  // SST files (hard links) plus one short WAL instead of copies of every WAL.
  if (status.ok()) status = checkpoint->CreateCheckpoint(db_dir, 0, sequence);
  if (!status.ok()) return Status::IOError("creating checkpoint in " + db_dir + ": " + status.ToString());
  return Status::Ok();
}

}  // namespace

Result<CheckpointInfo> CheckpointStore::Create(Engine& engine, std::string_view id, std::string_view owner,
                                               uint64_t now_ms) {
  if (!IsValidId(id)) return Status::InvalidArgument("invalid checkpoint id '" + std::string(id) + "'");
  std::error_code error;
  fs::create_directories(root_, error);
  if (error) return Status::IOError("creating " + root_ + ": " + error.message());
  if (!fs::create_directory(DirOf(id), error)) {
    if (error) return Status::IOError("creating " + DirOf(id) + ": " + error.message());
    return Status::InvalidArgument("checkpoint '" + std::string(id) + "' already exists");
  }
  CheckpointInfo info;
  info.id = std::string(id);
  info.owner = std::string(owner);
  info.created_ms = now_ms;
  Status status = MakeRocksCheckpoint(engine, DbDir(id), &info.sequence);
  if (status.ok()) {
    auto files = ListPlainFiles(DbDir(id));
    status = files.status();
    if (files.ok()) info.files = std::move(*files);
  }
  if (status.ok()) status = WriteManifest(info);
  if (!status.ok()) {
    fs::remove_all(DirOf(id), error);
    return status;
  }
  info.last_used_ms = ModifiedMs(ManifestOf(id));
  return info;
}

Result<CheckpointInfo> CheckpointStore::Get(std::string_view id) const {
  if (!IsValidId(id)) return Status::NotFound("no such checkpoint '" + std::string(id) + "'");
  auto text = ReadWholeFile(ManifestOf(id));
  if (text.status().Is(Status::Code::kNotFound)) {
    return Status::NotFound("no such checkpoint '" + std::string(id) + "'");
  }
  if (!text.ok()) return text.status();
  auto info = ParseManifest(*text, id);
  if (info.ok()) info->last_used_ms = ModifiedMs(ManifestOf(id));
  return info;
}

Result<std::vector<CheckpointInfo>> CheckpointStore::List() const {
  std::vector<CheckpointInfo> all;
  std::error_code error;
  if (!fs::exists(root_, error)) return all;
  for (fs::directory_iterator it(root_, error), end; !error && it != end; it.increment(error)) {
    auto info = Get(it->path().filename().string());
    if (info.ok()) all.push_back(std::move(*info));
  }
  if (error) return Status::IOError("listing " + root_ + ": " + error.message());
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return all;
}

Result<std::string> CheckpointStore::Read(std::string_view id, std::string_view file, uint64_t offset,
                                          uint64_t length) {
  std::string bytes;
  auto read = ReadInto(id, file, offset, length, [&](size_t n) {
    bytes.resize(n);
    return bytes.data();
  });
  if (!read.ok()) return read.status();
  return bytes;
}

Result<size_t> CheckpointStore::ReadInto(std::string_view id, std::string_view file, uint64_t offset, uint64_t length,
                                         const std::function<char*(size_t)>& space) {
  auto info = Get(id);
  if (!info.ok()) return info.status();
  auto entry = std::find_if(info->files.begin(), info->files.end(), [&](const auto& f) { return f.name == file; });
  if (entry == info->files.end()) {
    return Status::NotFound("checkpoint '" + std::string(id) + "' has no file '" + std::string(file) + "'");
  }
  if (offset > entry->size) return Status::OutOfRange("offset is beyond the end of '" + entry->name + "'");
  std::string path = DbDir(id) + "/" + entry->name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening", path);
  size_t n = static_cast<size_t>(std::min(length, entry->size - offset));
  char* into = space(n);
  Status error;
  for (size_t done = 0; error.ok() && done < n;) {
    ssize_t got = ::pread(fd, into + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) error = ErrnoError("reading", path);
    if (got == 0) error = Status::IOError(path + " is shorter than its checkpoint manifest says");
    if (got > 0) done += static_cast<size_t>(got);
  }
  ::close(fd);
  if (!error.ok()) return error;
  // The manifest's mtime is the checkpoint's "last used" time for the sweeper.
  ::utimensat(AT_FDCWD, ManifestOf(id).c_str(), nullptr, 0);
  return n;
}

Status CheckpointStore::Drop(std::string_view id) {
  std::error_code error;
  if (!IsValidId(id) || !fs::exists(DirOf(id), error)) {
    return Status::NotFound("no such checkpoint '" + std::string(id) + "'");
  }
  fs::remove_all(DirOf(id), error);
  if (error) return Status::IOError("removing " + DirOf(id) + ": " + error.message());
  return Status::Ok();
}

Status CheckpointStore::Replace(std::string_view from, std::string_view to) {
  if (!IsValidId(to)) return Status::InvalidArgument("invalid checkpoint id '" + std::string(to) + "'");
  KVD_RETURN_IF_ERROR(Get(from).status());
  std::string source = DirOf(from), target = DirOf(to);
  std::error_code error;
  if (!fs::exists(target, error)) {
    if (::rename(source.c_str(), target.c_str()) != 0) return ErrnoError("renaming", source);
    return FsyncPath(root_);
  }
  // Swap the two atomically, so `to` always names a complete checkpoint; the
  // old one, now under `from`, goes afterwards.
  if (::renameat2(AT_FDCWD, source.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
    return ErrnoError("exchanging", source);
  }
  fs::remove_all(source, error);
  if (error) return Status::IOError("removing " + source + ": " + error.message());
  return FsyncPath(root_);
}

Result<size_t> CheckpointStore::Sweep(const std::function<bool(const CheckpointInfo&)>& abandoned, uint64_t now_ms,
                                      uint64_t unfinished_after_ms) {
  std::error_code error;
  if (!fs::exists(root_, error)) return size_t{0};
  std::vector<std::string> doomed;
  for (fs::directory_iterator it(root_, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    auto info = Get(name);
    bool unfinished = !info.ok();
    uint64_t modified = ModifiedMs(it->path().string());
    if (unfinished ? modified + unfinished_after_ms <= now_ms : abandoned(*info)) doomed.push_back(it->path().string());
  }
  if (error) return Status::IOError("listing " + root_ + ": " + error.message());
  for (const auto& path : doomed) {
    fs::remove_all(path, error);
    if (error) return Status::IOError("removing " + path + ": " + error.message());
  }
  return doomed.size();
}

// ---- archive writer -------------------------------------------------------------
namespace {

constexpr std::string_view kMagic = "KVDDUMP";
constexpr std::string_view kTrailerMagic = "KVDTAIL";
constexpr size_t kMaxFiles = 1 << 20;

std::string EncodeHeader(const ArchiveHeader& header) {
  std::string bytes(kMagic);
  PutBigEndian32(&bytes, header.version);
  PutBigEndian64(&bytes, header.sequence);
  PutBigEndian64(&bytes, header.created_ms);
  PutBigEndian32(&bytes, header.file_count);
  return bytes;
}

}  // namespace

ArchiveWriter::~ArchiveWriter() { Abandon(); }

void ArchiveWriter::Abandon() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

Status ArchiveWriter::Open(const std::string& path, const ArchiveHeader& header) {
  if (fd_ >= 0) return Status::InvalidArgument("archive writer is already open");
  if (header.file_count > kMaxFiles) return Status::InvalidArgument("too many files for one dump");
  std::string pattern = path + ".tmp-XXXXXX";
  fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd_ < 0) return ErrnoError("creating a temporary file next to", path);
  path_ = path;
  temp_path_ = pattern;
  files_expected_ = header.file_count;
  return Write(EncodeHeader(header));
}

Status ArchiveWriter::Write(std::string_view bytes) {
  whole_.Update(bytes);
  buffer_.append(bytes);
  return buffer_.size() >= kIoChunk ? FlushBuffer() : Status::Ok();
}

Status ArchiveWriter::FlushBuffer() {
  if (fd_ < 0) return Status::InvalidArgument("archive writer is not open");
  Status status = WriteAll(fd_, buffer_, temp_path_);
  buffer_.clear();
  return status;
}

Status ArchiveWriter::BeginFile(std::string_view name, uint64_t size) {
  if (fd_ < 0 || in_entry_ || files_written_ >= files_expected_) {
    return Status::InvalidArgument("archive file '" + std::string(name) + "' is out of place");
  }
  if (!IsPlainFileName(name)) return Status::InvalidArgument("bad file name '" + std::string(name) + "' for a dump");
  std::string entry_header;
  PutBigEndian16(&entry_header, static_cast<uint16_t>(name.size()));
  entry_header.append(name);
  PutBigEndian64(&entry_header, size);
  in_entry_ = true;
  entry_ = Crc32c();
  entry_left_ = size;
  return Write(entry_header);
}

Status ArchiveWriter::Append(std::string_view bytes) {
  if (!in_entry_ || bytes.size() > entry_left_) return Status::InvalidArgument("more bytes than announced for a file");
  entry_.Update(bytes);
  entry_left_ -= bytes.size();
  return Write(bytes);
}

Status ArchiveWriter::EndFile() {
  if (!in_entry_ || entry_left_ != 0) {
    return Status::InvalidArgument("file ended " + std::to_string(entry_left_) + " bytes short of its size");
  }
  std::string checksum;
  PutBigEndian32(&checksum, entry_.value());
  in_entry_ = false;
  ++files_written_;
  return Write(checksum);
}

Status ArchiveWriter::Finish() {
  if (fd_ < 0 || in_entry_ || files_written_ != files_expected_) {
    return Status::InvalidArgument("dump finished with " + std::to_string(files_written_) + " of " +
                                   std::to_string(files_expected_) + " files");
  }
  KVD_RETURN_IF_ERROR(Write(kTrailerMagic));
  PutBigEndian32(&buffer_, whole_.value());  // the checksum covers everything before itself
  KVD_RETURN_IF_ERROR(FlushBuffer());
  if (::fsync(fd_) != 0) return ErrnoError("fsync of", temp_path_);
  int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) return ErrnoError("closing", temp_path_);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) return ErrnoError("renaming", temp_path_);
  temp_path_.clear();
  return FsyncPath(ParentDir(path_));
}

// ---- archive reader ---------------------------------------------------------------
namespace {

// Sequential reads that feed the whole-file checksum; a read past the end is
// reported as truncation, naming what was being read.
class ArchiveReader {
 public:
  ~ArchiveReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return ErrnoError("opening", path);
    struct stat info {};
    if (::fstat(fd_, &info) != 0) return ErrnoError("reading", path);
    size_ = static_cast<uint64_t>(info.st_size);
    return Status::Ok();
  }
  Status Read(size_t n, std::string* out, std::string_view what) {
    if (n > remaining()) return Status::Corruption("dump file is truncated (it ends inside " + std::string(what) + ")");
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::read(fd_, out->data() + done, n - done);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return ErrnoError("reading", path_);
      if (got == 0) return Status::Corruption("dump file is truncated (it ends inside " + std::string(what) + ")");
      done += static_cast<size_t>(got);
    }
    offset_ += n;
    whole_.Update(*out);
    return Status::Ok();
  }
  Result<uint64_t> ReadNumber(size_t width, std::string_view what) {
    std::string bytes;
    KVD_RETURN_IF_ERROR(Read(width, &bytes, what));
    if (width == 2) return uint64_t{GetBigEndian16(bytes.data())};
    if (width == 4) return uint64_t{GetBigEndian32(bytes.data())};
    return GetBigEndian64(bytes.data());
  }
  uint64_t size() const { return size_; }
  uint64_t remaining() const { return size_ - offset_; }
  uint32_t checksum() const { return whole_.value(); }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t offset_ = 0;
  Crc32c whole_;
};

// Receives the files of an archive as it is read (nothing: just verify).
class EntrySink {
 public:
  virtual ~EntrySink() = default;
  virtual Status Begin(const CheckpointFile&) { return Status::Ok(); }
  virtual Status Write(std::string_view) { return Status::Ok(); }
  virtual Status End() { return Status::Ok(); }
};

Result<ArchiveHeader> ReadHeader(ArchiveReader& reader, const std::string& path) {
  std::string magic;
  if (reader.size() < kMagic.size() || !reader.Read(kMagic.size(), &magic, "the header").ok() || magic != kMagic) {
    return Status::InvalidArgument(path + " is not a kvd dump file");
  }
  ArchiveHeader header;
  auto version = reader.ReadNumber(4, "the header");
  if (!version.ok()) return version.status();
  header.version = static_cast<uint32_t>(*version);
  if (header.version > kDumpFormatVersion) {
    return Status::InvalidArgument("dump format version " + std::to_string(header.version) +
                                   " is newer than this kvd supports (up to " + std::to_string(kDumpFormatVersion) +
                                   ")");
  }
  if (header.version == 0) return Status::Corruption("dump file is corrupted (format version 0)");
  auto sequence = reader.ReadNumber(8, "the header");
  auto created = sequence.ok() ? reader.ReadNumber(8, "the header") : sequence;
  auto count = created.ok() ? reader.ReadNumber(4, "the header") : created;
  if (!count.ok()) return count.status();
  if (*count > kMaxFiles) {
    return Status::Corruption("dump file is corrupted (it claims " + std::to_string(*count) + " files)");
  }
  header.sequence = *sequence;
  header.created_ms = *created;
  header.file_count = static_cast<uint32_t>(*count);
  return header;
}

Result<CheckpointFile> ReadEntryHeader(ArchiveReader& reader, std::set<std::string>* seen) {
  auto name_length = reader.ReadNumber(2, "a file header");
  if (!name_length.ok()) return name_length.status();
  CheckpointFile file;
  KVD_RETURN_IF_ERROR(reader.Read(*name_length, &file.name, "a file name"));
  if (!IsPlainFileName(file.name) || !seen->insert(file.name).second) {
    return Status::Corruption("dump file is corrupted (bad or repeated file name)");
  }
  auto size = reader.ReadNumber(8, "a file header");
  if (!size.ok()) return size.status();
  file.size = *size;
  if (file.size > reader.remaining()) {
    return Status::Corruption("dump file is truncated (it ends inside file '" + file.name + "')");
  }
  return file;
}

Result<CheckpointFile> ReadEntry(ArchiveReader& reader, EntrySink& sink, std::set<std::string>* seen) {
  auto file = ReadEntryHeader(reader, seen);
  if (!file.ok()) return file.status();
  KVD_RETURN_IF_ERROR(sink.Begin(*file));
  Crc32c checksum;
  std::string chunk;
  for (uint64_t left = file->size; left > 0;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, kIoChunk));
    KVD_RETURN_IF_ERROR(reader.Read(n, &chunk, "file '" + file->name + "'"));
    checksum.Update(chunk);
    KVD_RETURN_IF_ERROR(sink.Write(chunk));
    left -= n;
  }
  auto stored = reader.ReadNumber(4, "the checksum of file '" + file->name + "'");
  if (!stored.ok()) return stored.status();
  if (*stored != checksum.value()) {
    return Status::Corruption("dump file is corrupted (checksum mismatch in file '" + file->name + "')");
  }
  KVD_RETURN_IF_ERROR(sink.End());
  return file;
}

Status ReadTrailer(ArchiveReader& reader) {
  std::string marker;
  KVD_RETURN_IF_ERROR(reader.Read(kTrailerMagic.size(), &marker, "the end marker"));
  if (marker != kTrailerMagic) return Status::Corruption("dump file is corrupted (no end marker after the last file)");
  uint32_t expected = reader.checksum();
  auto stored = reader.ReadNumber(4, "the end marker");
  if (!stored.ok()) return stored.status();
  if (*stored != expected) return Status::Corruption("dump file is corrupted (whole-file checksum mismatch)");
  if (reader.remaining() != 0) {
    return Status::Corruption("dump file is corrupted (" + std::to_string(reader.remaining()) +
                              " unexpected bytes after its end)");
  }
  return Status::Ok();
}

Result<ArchiveContents> ScanArchive(const std::string& path, EntrySink& sink) {
  ArchiveReader reader;
  KVD_RETURN_IF_ERROR(reader.Open(path));
  ArchiveContents contents;
  contents.bytes = reader.size();
  auto header = ReadHeader(reader, path);
  if (!header.ok()) return header.status();
  contents.header = *header;
  std::set<std::string> seen;
  for (uint32_t i = 0; i < header->file_count; ++i) {
    auto file = ReadEntry(reader, sink, &seen);
    if (!file.ok()) return file.status();
    contents.files.push_back(std::move(*file));
  }
  KVD_RETURN_IF_ERROR(ReadTrailer(reader));
  return contents;
}

// Writes each file into `dir`, fsynced.
class DirectorySink : public EntrySink {
 public:
  explicit DirectorySink(std::string dir) : dir_(std::move(dir)) {}
  ~DirectorySink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Begin(const CheckpointFile& file) override {
    path_ = dir_ + "/" + file.name;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    return fd_ >= 0 ? Status::Ok() : ErrnoError("creating", path_);
  }
  Status Write(std::string_view bytes) override { return WriteAll(fd_, bytes, path_); }
  Status End() override {
    Status status = ::fsync(fd_) == 0 ? Status::Ok() : ErrnoError("fsync of", path_);
    if (::close(fd_) != 0 && status.ok()) status = ErrnoError("closing", path_);
    fd_ = -1;
    return status;
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

// `dest_dir` may be replaced when it is absent or an empty directory.
Status CheckDestinationFree(const std::string& dest_dir) {
  std::error_code error;
  if (!fs::exists(dest_dir, error)) return Status::Ok();
  if (fs::is_directory(dest_dir, error) && fs::is_empty(dest_dir, error)) return Status::Ok();
  return Status::InvalidArgument(dest_dir + " already exists and is not empty");
}

Result<ArchiveContents> ExtractInto(const std::string& path, const std::string& staging, const std::string& dest_dir) {
  DirectorySink sink(staging);
  auto contents = ScanArchive(path, sink);
  if (!contents.ok()) return contents;
  KVD_RETURN_IF_ERROR(FsyncPath(staging));
  std::error_code error;
  if (fs::exists(dest_dir, error)) fs::remove(dest_dir, error);  // an empty directory (checked before)
  if (::rename(staging.c_str(), dest_dir.c_str()) != 0) return ErrnoError("renaming", staging);
  KVD_RETURN_IF_ERROR(FsyncPath(ParentDir(dest_dir)));
  return contents;
}

}  // namespace

Result<ArchiveContents> VerifyArchive(const std::string& path) {
  EntrySink discard;
  return ScanArchive(path, discard);
}

Result<ArchiveContents> ExtractArchive(const std::string& path, const std::string& dest_dir) {
  auto verified = VerifyArchive(path);
  if (!verified.ok()) return verified;
  std::string dest = fs::path(dest_dir).lexically_normal().string();
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  KVD_RETURN_IF_ERROR(CheckDestinationFree(dest));
  std::error_code error;
  fs::create_directories(ParentDir(dest), error);
  if (error) return Status::IOError("creating " + ParentDir(dest) + ": " + error.message());
  std::string staging = dest + ".partial-XXXXXX";
  if (::mkdtemp(staging.data()) == nullptr) return ErrnoError("creating a staging directory next to", dest);
  // Checksums are checked again while writing: the file may change between the passes.
  auto extracted = ExtractInto(path, staging, dest);
  if (!extracted.ok()) fs::remove_all(staging, error);
  return extracted;
}

Status WriteCheckpointArchive(const CheckpointStore& store, std::string_view id, const std::string& path) {
  auto info = store.Get(id);
  if (!info.ok()) return info.status();
  ArchiveHeader header;
  header.sequence = info->sequence;
  header.created_ms = info->created_ms;
  header.file_count = static_cast<uint32_t>(info->files.size());
  ArchiveWriter writer;
  KVD_RETURN_IF_ERROR(writer.Open(path, header));
  CheckpointStore reader(store.root());
  for (const auto& file : info->files) {
    KVD_RETURN_IF_ERROR(writer.BeginFile(file.name, file.size));
    for (uint64_t offset = 0; offset < file.size;) {
      auto chunk = reader.Read(id, file.name, offset, kIoChunk);
      if (!chunk.ok()) return chunk.status();
      if (chunk->empty()) return Status::IOError("checkpoint file '" + file.name + "' is shorter than recorded");
      KVD_RETURN_IF_ERROR(writer.Append(*chunk));
      offset += chunk->size();
    }
    KVD_RETURN_IF_ERROR(writer.EndFile());
  }
  return writer.Finish();
}

}  // namespace kvd::storage
