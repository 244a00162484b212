// Small POSIX file helpers shared by every layer that writes files it must
// not lose: checkpoints and dumps, the replication identity, a replica's
// full-sync download, the Raft log. Errors name the path.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace kvd {

// Writes all of `bytes` to `fd` (retrying short writes and EINTR).
Status WriteAll(int fd, std::string_view bytes, const std::string& path);
// fsync of a file or a directory by path.
Status FsyncPath(const std::string& path);
// The directory holding `path` ("." for a bare name).
std::string ParentDir(const std::string& path);
// Writes `content` to `path` through a temporary file that is fsynced and
// renamed over it, then fsyncs the directory: all of it or nothing survives a crash.
Status WriteFileAtomically(const std::string& path, std::string_view content);
// NotFound when `path` does not exist.
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace kvd
