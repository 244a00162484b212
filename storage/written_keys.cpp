#include "storage/written_keys.h"

#include <algorithm>

#include "storage/encoding.h"

namespace kvd::storage {
namespace {

class Collector : public rocksdb::WriteBatch::Handler {
 public:
  Collector(Engine& engine, WrittenKeys* out) : engine_(engine), out_(out) {}

  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    Add(cf, key);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    Add(cf, key);
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    Add(cf, key);
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& begin, const rocksdb::Slice& end) override {
    if (cf != engine_.meta()->GetID() || begin.empty()) return rocksdb::Status::OK();
    // Whole-database ranges are [db, db+1); anything wider is FLUSHALL.
    if (begin.size() == 1 && end.size() == 1 && static_cast<unsigned char>(end[0]) ==
                                                    static_cast<unsigned char>(begin[0]) + 1) {
      out_->flushed_dbs.push_back(static_cast<uint8_t>(begin[0]));
    } else {
      out_->flushed_all = true;
    }
    return rocksdb::Status::OK();
  }

 private:
  void Add(uint32_t cf, const rocksdb::Slice& raw) {
    std::string_view key(raw.data(), raw.size());
    if (cf == engine_.meta()->GetID()) {
      MetaKey meta;
      if (DecodeMetaKey(key, &meta)) out_->keys.emplace_back(meta.db, std::string(meta.user_key));
    } else if (cf == engine_.data()->GetID() || cf == engine_.zscore()->GetID()) {
      SubKey sub;
      if (DecodeSubKey(key, &sub)) out_->keys.emplace_back(sub.db, std::string(sub.user_key));
    }
  }
  Engine& engine_;
  WrittenKeys* out_;
};

}  // namespace

WrittenKeys CollectWrittenKeys(Engine& engine, const rocksdb::WriteBatch& batch) {
  WrittenKeys written;
  Collector collector(engine, &written);
  rocksdb::Status status = batch.Iterate(&collector);
  (void)status;  // the collector never fails
  // One entry per key: a push of many elements is one event for its waiters.
  std::sort(written.keys.begin(), written.keys.end());
  written.keys.erase(std::unique(written.keys.begin(), written.keys.end()), written.keys.end());
  return written;
}

}  // namespace kvd::storage
