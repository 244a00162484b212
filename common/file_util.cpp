#include "common/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace kvd {

namespace {
Status ErrnoError(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return ErrnoError("writing", path);
    bytes.remove_prefix(static_cast<size_t>(wrote));
  }
  return Status::Ok();
}

Status FsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening", path);
  int synced = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  return synced == 0 ? Status::Ok() : ErrnoError("fsync of", path);
}

std::string ParentDir(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

// Writes `content` to `path` through a temporary file, fsynced and renamed.
Status WriteFileAtomically(const std::string& path, std::string_view content) {
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("creating", temp);
  Status status = WriteAll(fd, content, temp);
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError("fsync of", temp);
  ::close(fd);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) status = ErrnoError("renaming", temp);
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return FsyncPath(ParentDir(path));
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::NotFound(path) : ErrnoError("opening", path);
  std::string content;
  char chunk[4096];
  while (true) {
    ssize_t got = ::read(fd, chunk, sizeof(chunk));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      Status error = ErrnoError("reading", path);
      ::close(fd);
      return error;
    }
    if (got == 0) break;
    content.append(chunk, static_cast<size_t>(got));
  }
  ::close(fd);
  return content;
}

}  // namespace kvd
