#include "storage/pending_writes.h"

#include <algorithm>
#include <cstring>

namespace kvd::storage {

namespace {
constexpr size_t kArenaBlockBytes = 64 * 1024;
}  // namespace

class PendingWrites::Collector : public rocksdb::WriteBatch::Handler {
 public:
  Collector(PendingWrites* target, const std::vector<rocksdb::ColumnFamilyHandle*>& handles)
      : target_(target), handles_(handles) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    target_->Add(Kind::kPut, Handle(cf), View(key), View(value));
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    target_->Add(Kind::kDelete, Handle(cf), View(key), {});
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override { return DeleteCF(cf, key); }
  rocksdb::Status DeleteRangeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::Aborted("range delete");
  }
  void LogData(const rocksdb::Slice& blob) override { target_->AddLogData(View(blob)); }

 private:
  static std::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }
  rocksdb::ColumnFamilyHandle* Handle(uint32_t id) const {
    for (auto* handle : handles_) {
      if (handle->GetID() == id) return handle;
    }
    return handles_.front();
  }
  PendingWrites* target_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles_;
};

Status PendingWrites::Append(const rocksdb::WriteBatch& batch,
                             const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
  // Checked first so that such a batch never lands by halves.
  if (batch.HasDeleteRange()) return Status::Aborted("a range delete cannot join the commit group");
  Collector collector(this, handles);
  rocksdb::Status status = batch.Iterate(&collector);
  if (!status.ok()) return Status::IOError(status.ToString());
  return Status::Ok();
}

void PendingWrites::AddLogData(std::string_view blob) { Add(Kind::kLogData, nullptr, {}, blob); }

std::string_view PendingWrites::Keep(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (arena_used_ + bytes.size() > arena_capacity_) {
    arena_capacity_ = std::max(kArenaBlockBytes, bytes.size());
    arena_.push_back(std::make_unique<char[]>(arena_capacity_));
    arena_used_ = 0;
  }
  char* at = arena_.back().get() + arena_used_;
  std::memcpy(at, bytes.data(), bytes.size());
  arena_used_ += bytes.size();
  return {at, bytes.size()};
}

std::string_view PendingWrites::LookupKey(uint32_t cf, std::string_view key) const {
  lookup_.assign(1, static_cast<char>(cf));
  lookup_.append(key);
  return lookup_;
}

void PendingWrites::Add(Kind kind, rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value) {
  bytes_ += key.size() + value.size() + 16;
  if (kind == Kind::kLogData) {
    ops_.push_back(Op{kind, nullptr, {}, Keep(value)});
    return;
  }
  auto last = last_op_.find(LookupKey(cf->GetID(), key));
  if (last != last_op_.end()) {
    ops_[last->second].superseded = true;
    ops_.push_back(Op{kind, cf, last->first, Keep(value)});
    last->second = ops_.size() - 1;
    return;
  }
  std::string_view stored_key = Keep(lookup_);
  ops_.push_back(Op{kind, cf, stored_key, Keep(value)});
  last_op_.emplace(stored_key, ops_.size() - 1);
}

PendingWrites::Found PendingWrites::Find(uint32_t cf, std::string_view key, std::string* value) const {
  if (last_op_.empty()) return Found::kNotHere;
  auto it = last_op_.find(LookupKey(cf, key));
  if (it == last_op_.end()) return Found::kNotHere;
  const Op& op = ops_[it->second];
  if (op.kind == Kind::kDelete) return Found::kDeleted;
  value->assign(op.value);
  return Found::kValue;
}

rocksdb::WriteBatchWithIndex& PendingWrites::Index() {
  if (index_ == nullptr) index_ = std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0, true);
  for (; indexed_ops_ < ops_.size(); ++indexed_ops_) {
    const Op& op = ops_[indexed_ops_];
    if (op.superseded) continue;  // the operation that replaces it comes later
    rocksdb::Slice key(op.key.data() + 1, op.key.size() - 1);
    if (op.kind == Kind::kPut) index_->Put(op.cf, key, rocksdb::Slice(op.value.data(), op.value.size()));
    if (op.kind == Kind::kDelete) index_->Delete(op.cf, key);
  }
  return *index_;
}

// Operations go out in key order: RocksDB inserts each into the memtable's
// skiplist starting from where the previous one with the same prefix ended
// (the insert hint, engine.cpp), so neighbours cost a few comparisons instead
// of a search from the top. Records follow, in the order the commands ran; each
// takes the batch's last sequence number, which is the replication offset a
// replica reaches with it.
void PendingWrites::BuildBatch(rocksdb::WriteBatch* out) const {
  std::vector<const Op*> writes;
  writes.reserve(ops_.size());
  for (const Op& op : ops_) {
    if (op.kind != Kind::kLogData && !op.superseded) writes.push_back(&op);
  }
  std::sort(writes.begin(), writes.end(), [](const Op* a, const Op* b) { return a->key < b->key; });
  for (const Op* op : writes) {
    rocksdb::Slice key(op->key.data() + 1, op->key.size() - 1);
    if (op->kind == Kind::kPut) out->Put(op->cf, key, rocksdb::Slice(op->value.data(), op->value.size()));
    if (op->kind == Kind::kDelete) out->Delete(op->cf, key);
  }
  for (const Op& op : ops_) {
    if (op.kind == Kind::kLogData) out->PutLogData(rocksdb::Slice(op.value.data(), op.value.size()));
  }
}

void PendingWrites::Clear() {
  ops_.clear();
  last_op_.clear();
  // Keep one ordinary block for the next group; an outsized one goes.
  if (arena_capacity_ > kArenaBlockBytes) arena_.clear();
  if (arena_.size() > 1) arena_.erase(arena_.begin(), arena_.end() - 1);
  arena_used_ = 0;
  if (arena_.empty()) arena_capacity_ = 0;
  bytes_ = 0;
  index_.reset();
  indexed_ops_ = 0;
}

}  // namespace kvd::storage
