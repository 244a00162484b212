// Binlog retention: which archived WAL files go, and that they go from disk.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "storage/binlog_retention.h"
#include "storage/wal_reader.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

constexpr uint64_t kMb = 1024 * 1024;

std::vector<ArchivedWal> ThreeFiles() {
  // 10, 20 and 30 MB written at seconds 100, 200 and 300.
  return {{1, 10 * kMb, 100}, {2, 20 * kMb, 200}, {3, 30 * kMb, 300}};
}

TEST_CASE("binlog retention: nothing goes while the archive fits and no age limit is set") {
  CHECK(ArchivedWalsToDelete(ThreeFiles(), {60 * kMb, 0}, 1'000'000) == 0);
  CHECK(ArchivedWalsToDelete({}, {0, 1}, 1'000'000) == 0);
}

TEST_CASE("binlog retention: the oldest files go until the rest fit in the size limit") {
  CHECK(ArchivedWalsToDelete(ThreeFiles(), {59 * kMb, 0}, 0) == 1);
  CHECK(ArchivedWalsToDelete(ThreeFiles(), {50 * kMb, 0}, 0) == 1);
  CHECK(ArchivedWalsToDelete(ThreeFiles(), {49 * kMb, 0}, 0) == 2);
  CHECK(ArchivedWalsToDelete(ThreeFiles(), {1 * kMb, 0}, 0) == 3);
}

TEST_CASE("binlog retention: files older than the age limit go even when they fit") {
  BinlogLimits limits{1024 * kMb, 150};
  CHECK(ArchivedWalsToDelete(ThreeFiles(), limits, 299) == 1);  // only second 100 is before 149
  CHECK(ArchivedWalsToDelete(ThreeFiles(), limits, 351) == 2);
  CHECK(ArchivedWalsToDelete(ThreeFiles(), limits, 451) == 3);
  CHECK(ArchivedWalsToDelete(ThreeFiles(), {35 * kMb, 150}, 299) == 2);  // age first, then size
}

TEST_CASE("binlog retention: PurgeArchivedWals deletes the oldest archived files and nothing else") {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/db/archive");
  auto write = [](const std::string& path, size_t bytes) { std::ofstream(path) << std::string(bytes, 'x'); };
  write(dir.path() + "/db/archive/000007.log", 600 * 1024);
  write(dir.path() + "/db/archive/000009.log", 600 * 1024);
  write(dir.path() + "/db/archive/LOCK-not-a-wal", 10 * kMb);
  write(dir.path() + "/db/000011.log", 10 * kMb);  // live: never the archive's business

  CHECK(test::Must(PurgeArchivedWals(dir.path(), {1 * kMb, 0}, ::time(nullptr))) == 1);
  auto left = test::Must(ListWalFiles(dir.path()));
  REQUIRE(left.size() == 2);
  CHECK(left[0].name == "archive/000009.log");
  CHECK(left[1].name == "000011.log");
  CHECK(std::filesystem::exists(dir.path() + "/db/archive/LOCK-not-a-wal"));
  CHECK(test::Must(PurgeArchivedWals(dir.path(), {1 * kMb, 0}, ::time(nullptr))) == 0);
}

TEST_CASE("binlog retention: a data directory without an archive has nothing to purge") {
  test::TempDir dir;
  CHECK(test::Must(PurgeArchivedWals(dir.path(), {0, 1}, ::time(nullptr))) == 0);
}

}  // namespace
}  // namespace kvd::storage
