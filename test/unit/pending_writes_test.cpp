// PendingWrites on its own: the open commit group's table of last writes per
// key, without a database (the column families are stand-ins with an id).
#include <doctest/doctest.h>

#include <rocksdb/comparator.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <string>
#include <vector>

#include "storage/pending_writes.h"
#include "storage/write_set.h"

namespace kvd::storage {
namespace {

class StandInFamily : public rocksdb::ColumnFamilyHandle {
 public:
  StandInFamily(uint32_t id, std::string name) : id_(id), name_(std::move(name)) {}
  const std::string& GetName() const override { return name_; }
  uint32_t GetID() const override { return id_; }
  rocksdb::Status GetDescriptor(rocksdb::ColumnFamilyDescriptor*) override { return rocksdb::Status::NotSupported(); }
  const rocksdb::Comparator* GetComparator() const override { return rocksdb::BytewiseComparator(); }

 private:
  uint32_t id_;
  std::string name_;
};

// What a built batch holds, in order: "put <cf> <key>=<value>", "del <cf> <key>", "log <blob>".
class Lister : public rocksdb::WriteBatch::Handler {
 public:
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    lines.push_back("put " + std::to_string(cf) + " " + key.ToString() + "=" + value.ToString());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    lines.push_back("del " + std::to_string(cf) + " " + key.ToString());
    return rocksdb::Status::OK();
  }
  void LogData(const rocksdb::Slice& blob) override { lines.push_back("log " + blob.ToString()); }
  std::vector<std::string> lines;
};

struct PendingFixture {
  StandInFamily family0{0, "default"}, family1{1, "meta"}, family2{2, "data"};
  std::vector<rocksdb::ColumnFamilyHandle*> handles{&family0, &family1, &family2};
  PendingWrites pending;

  void Append(const rocksdb::WriteBatch& batch) { CHECK(pending.Append(batch, handles).ok()); }
  std::string Lookup(uint32_t cf, const std::string& key) {
    std::string value;
    switch (pending.Find(cf, key, &value)) {
      case PendingWrites::Found::kNotHere: return "<not here>";
      case PendingWrites::Found::kDeleted: return "<deleted>";
      case PendingWrites::Found::kValue: return value;
    }
    return "<unreachable>";
  }
  std::vector<std::string> Built() {
    rocksdb::WriteBatch out;
    pending.BuildBatch(&out);
    Lister lister;
    CHECK(out.Iterate(&lister).ok());
    return lister.lines;
  }
};

TEST_CASE_FIXTURE(PendingFixture, "pending writes: the same key in two column families is two keys") {
  rocksdb::WriteBatch batch;
  batch.Put(&family1, "k", "meta-value");
  batch.Put(&family2, "k", "data-value");
  batch.PutLogData("record");
  Append(batch);
  CHECK(Lookup(1, "k") == "meta-value");
  CHECK(Lookup(2, "k") == "data-value");
  CHECK(Lookup(0, "k") == "<not here>");
  CHECK(Lookup(1, "other") == "<not here>");

  rocksdb::WriteBatch later;
  later.Delete(&family2, "k");
  Append(later);
  CHECK(Lookup(2, "k") == "<deleted>");
  CHECK(Lookup(1, "k") == "meta-value");
  CHECK(Built() == std::vector<std::string>{"put 1 k=meta-value", "del 2 k", "log record"});
}

TEST_CASE_FIXTURE(PendingFixture, "pending writes: thousands of keys, each written several times, keep their last value") {
  constexpr int kKeys = 5000;  // the table grows many times over
  for (int round = 0; round < 3; ++round) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < kKeys; ++i) {
      batch.Put(&family2, "key" + std::to_string(i), "v" + std::to_string(round) + "-" + std::to_string(i));
    }
    Append(batch);
  }
  for (int i = 0; i < kKeys; i += 7) CHECK(Lookup(2, "key" + std::to_string(i)) == "v2-" + std::to_string(i));
  std::vector<std::string> built = Built();
  REQUIRE(built.size() == static_cast<size_t>(kKeys));
  std::vector<std::string> keys;
  for (const std::string& line : built) keys.push_back(line.substr(6, line.find('=') - 6));  // "put 2 <key>=..."
  CHECK(std::is_sorted(keys.begin(), keys.end()));  // one put per key, in key order
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  CHECK(built.front() == "put 2 key0=v2-0");

  // After a large group, a small one: the table starts empty again.
  pending.Clear();
  CHECK(pending.empty());
  CHECK(Lookup(2, "key0") == "<not here>");
  rocksdb::WriteBatch small;
  small.Put(&family1, "a", "1");
  small.Put(&family1, "a", "2");
  Append(small);
  CHECK(Lookup(1, "a") == "2");
  CHECK(Lookup(2, "key1") == "<not here>");
  CHECK(Built() == std::vector<std::string>{"put 1 a=2"});
}

TEST_CASE_FIXTURE(PendingFixture, "pending writes: a range delete is refused whole") {
  rocksdb::WriteBatch batch;
  batch.Put(&family1, "a", "1");
  batch.DeleteRange(&family2, "a", "z");
  CHECK(pending.Append(batch, handles).Is(Status::Code::kAborted));
  CHECK(pending.empty());
  CHECK(Lookup(1, "a") == "<not here>");
}

TEST_CASE_FIXTURE(PendingFixture, "pending writes: a command's write set joins the group without a batch") {
  WriteSet writes;
  writes.Put(&family1, "k", "v1");
  writes.Put(&family2, std::string("with\0zero", 9), "");  // binary key, empty value
  writes.Delete(&family1, "gone");
  writes.Put(&family1, "k", "v2");  // the same key again: the last one wins
  REQUIRE(writes.Count() == 4);

  rocksdb::WriteBatch as_batch;
  writes.AppendTo(&as_batch);
  Lister in_order;
  CHECK(as_batch.Iterate(&in_order).ok());
  CHECK(in_order.lines == std::vector<std::string>{"put 1 k=v1", "put 2 " + std::string("with\0zero", 9) + "=",
                                                   "del 1 gone", "put 1 k=v2"});

  for (const WriteSet::Op& op : writes) {
    if (op.kind == WriteSet::Kind::kPut) pending.Put(op.cf, writes.KeyOf(op), writes.ValueOf(op));
    if (op.kind == WriteSet::Kind::kDelete) pending.Delete(op.cf, writes.KeyOf(op));
  }
  rocksdb::WriteBatch later;  // a batch after them, as a range-delete-free transaction would come
  later.Put(&family2, "z", "batch");
  Append(later);
  CHECK(Lookup(1, "k") == "v2");
  CHECK(Lookup(1, "gone") == "<deleted>");
  CHECK(Lookup(2, std::string("with\0zero", 9)).empty());
  CHECK(Built() == std::vector<std::string>{"del 1 gone", "put 1 k=v2", "put 2 " + std::string("with\0zero", 9) + "=",
                                            "put 2 z=batch"});
}

TEST_CASE("write set: many operations and large values stay intact past the inline space") {
  StandInFamily family{1, "meta"};
  WriteSet writes;
  std::string big(100000, 'x');
  for (int i = 0; i < 100; ++i) writes.Put(&family, "key" + std::to_string(i), i == 50 ? big : std::to_string(i));
  REQUIRE(writes.Count() == 100);
  int i = 0;
  for (const WriteSet::Op& op : writes) {
    CHECK(writes.KeyOf(op) == "key" + std::to_string(i));
    CHECK(writes.ValueOf(op) == (i == 50 ? big : std::to_string(i)));
    ++i;
  }
}

}  // namespace
}  // namespace kvd::storage
