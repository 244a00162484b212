#include "storage/binlog_retention.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/wal_reader.h"

namespace kvd::storage {

size_t ArchivedWalsToDelete(const std::vector<ArchivedWal>& oldest_first, const BinlogLimits& limits,
                            int64_t now_s) {
  size_t count = 0;
  if (limits.max_age_s > 0) {
    int64_t oldest_kept = now_s - static_cast<int64_t>(limits.max_age_s);
    while (count < oldest_first.size() && oldest_first[count].modified_s < oldest_kept) ++count;
  }
  uint64_t total = 0;
  for (size_t i = count; i < oldest_first.size(); ++i) total += oldest_first[i].bytes;
  while (count < oldest_first.size() && total > limits.max_bytes) total -= oldest_first[count++].bytes;
  return count;
}

Result<size_t> PurgeArchivedWals(const std::string& data_dir, const BinlogLimits& limits, int64_t now_s) {
  auto files = ListArchivedWalFiles(data_dir);
  if (!files.ok()) return files.status();
  std::vector<ArchivedWal> archived;
  std::vector<const WalFile*> paths;
  for (const WalFile& file : *files) {
    struct stat info {};
    if (::stat(file.path.c_str(), &info) != 0) {
      if (errno == ENOENT) continue;
      return Status::IOError("cannot stat " + file.path + ": " + std::strerror(errno));
    }
    archived.push_back({file.number, static_cast<uint64_t>(info.st_size), static_cast<int64_t>(info.st_mtime)});
    paths.push_back(&file);
  }
  size_t doomed = ArchivedWalsToDelete(archived, limits, now_s);
  for (size_t i = 0; i < doomed; ++i) {
    if (::unlink(paths[i]->path.c_str()) != 0 && errno != ENOENT) {
      return Status::IOError("cannot delete " + paths[i]->path + ": " + std::strerror(errno));
    }
  }
  return doomed;
}

}  // namespace kvd::storage
