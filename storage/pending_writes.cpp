#include "storage/pending_writes.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace kvd::storage {

namespace {
constexpr size_t kArenaBlockBytes = 64 * 1024;
}  // namespace

class PendingWrites::Collector : public rocksdb::WriteBatch::Handler {
 public:
  explicit Collector(PendingWrites* target) : target_(target) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    target_->Add(Kind::kPut, cf, View(key), View(value));
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    target_->Add(Kind::kDelete, cf, View(key), {});
    return rocksdb::Status::OK();
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override { return DeleteCF(cf, key); }
  rocksdb::Status DeleteRangeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return rocksdb::Status::Aborted("range delete");
  }
  void LogData(const rocksdb::Slice& blob) override { target_->AddLogData(View(blob)); }

 private:
  static std::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }
  PendingWrites* target_;
};

Status PendingWrites::Append(const rocksdb::WriteBatch& batch,
                             const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
  // Checked first so that such a batch never lands by halves.
  if (batch.HasDeleteRange()) return Status::Aborted("a range delete cannot join the commit group");
  // A batch names column families by id only; a reopened database has new handles.
  for (auto* handle : handles) RememberHandle(handle);
  Collector collector(this);
  rocksdb::Status status = batch.Iterate(&collector);
  if (!status.ok()) return Status::IOError(status.ToString());
  return Status::Ok();
}

void PendingWrites::AddLogData(std::string_view blob) { Add(Kind::kLogData, 0, {}, blob); }

void PendingWrites::Put(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value) {
  RememberHandle(cf);
  Add(Kind::kPut, cf->GetID(), key, value);
}

void PendingWrites::Delete(rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  RememberHandle(cf);
  Add(Kind::kDelete, cf->GetID(), key, {});
}

void PendingWrites::RememberHandle(rocksdb::ColumnFamilyHandle* cf) {
  uint32_t id = cf->GetID();
  if (id < handle_by_id_.size() && handle_by_id_[id] == cf) return;
  if (id >= handle_by_id_.size()) handle_by_id_.resize(id + 1, nullptr);
  handle_by_id_[id] = cf;
}

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

rocksdb::ColumnFamilyHandle* PendingWrites::HandleOf(uint32_t cf_id) const {
  // Every operation's column family was remembered when it was added.
  return handle_by_id_[cf_id];
}

uint64_t PendingWrites::HashOf(uint32_t cf, std::string_view key) {
  return std::hash<std::string_view>{}(key) ^ (static_cast<uint64_t>(cf) * 0x9E3779B97F4A7C15ULL);
}

size_t PendingWrites::SlotOf(uint32_t cf, std::string_view key, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.op == kEmptySlot) return i;
    const Op& op = ops_[slot.op];
    if (slot.hash == hash && op.cf_id == cf && op.key == key) return i;
  }
}

void PendingWrites::GrowSlots() {
  constexpr size_t kMinSlots = 64;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(std::max(kMinSlots, old.size() * 2), Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.op == kEmptySlot) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].op != kEmptySlot) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void PendingWrites::Add(Kind kind, uint32_t cf_id, std::string_view key, std::string_view value) {
  bytes_ += key.size() + value.size() + 16;
  if (kind == Kind::kLogData) {
    ops_.push_back(Op{kind, 0, {}, Keep(value)});
    return;
  }
  // At most half full, so probes stay short and an empty slot always ends them.
  if ((used_slots_ + 1) * 2 > slots_.size()) GrowSlots();
  uint64_t hash = HashOf(cf_id, key);
  Slot& slot = slots_[SlotOf(cf_id, key, hash)];
  auto index = static_cast<uint32_t>(ops_.size());
  if (slot.op != kEmptySlot) {
    Op& last = ops_[slot.op];
    last.superseded = true;
    ops_.push_back(Op{kind, cf_id, last.key, Keep(value)});
    slot.op = index;
    return;
  }
  ops_.push_back(Op{kind, cf_id, Keep(key), Keep(value)});
  slot = Slot{hash, index};
  ++used_slots_;
}

PendingWrites::Found PendingWrites::Find(uint32_t cf, std::string_view key, std::string* value) const {
  if (used_slots_ == 0) return Found::kNotHere;
  const Slot& slot = slots_[SlotOf(cf, key, HashOf(cf, key))];
  if (slot.op == kEmptySlot) return Found::kNotHere;
  const Op& op = ops_[slot.op];
  if (op.kind == Kind::kDelete) return Found::kDeleted;
  value->assign(op.value);
  return Found::kValue;
}

rocksdb::WriteBatchWithIndex& PendingWrites::Index() {
  if (index_ == nullptr) index_ = std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0, true);
  for (; indexed_ops_ < ops_.size(); ++indexed_ops_) {
    const Op& op = ops_[indexed_ops_];
    if (op.superseded) continue;  // the operation that replaces it comes later
    rocksdb::Slice key(op.key.data(), op.key.size());
    rocksdb::ColumnFamilyHandle* cf = HandleOf(op.cf_id);
    if (op.kind == Kind::kPut) index_->Put(cf, key, rocksdb::Slice(op.value.data(), op.value.size()));
    if (op.kind == Kind::kDelete) index_->Delete(cf, key);
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
  std::sort(writes.begin(), writes.end(),
            [](const Op* a, const Op* b) { return a->cf_id != b->cf_id ? a->cf_id < b->cf_id : a->key < b->key; });
  for (const Op* op : writes) {
    rocksdb::Slice key(op->key.data(), op->key.size());
    rocksdb::ColumnFamilyHandle* cf = HandleOf(op->cf_id);
    if (op->kind == Kind::kPut) out->Put(cf, key, rocksdb::Slice(op->value.data(), op->value.size()));
    if (op->kind == Kind::kDelete) out->Delete(cf, key);
  }
  for (const Op& op : ops_) {
    if (op.kind == Kind::kLogData) out->PutLogData(rocksdb::Slice(op.value.data(), op.value.size()));
  }
}

void PendingWrites::Clear() {
  ops_.clear();
  if (used_slots_ > 0) {
    // A table grown by one large group shrinks back, so that small groups do not clear it whole each time.
    size_t wanted = std::max<size_t>(64, std::bit_ceil(used_slots_ * 4));
    if (slots_.size() > 4 * wanted) {
      slots_.assign(wanted, Slot{});
    } else {
      std::fill(slots_.begin(), slots_.end(), Slot{});
    }
    used_slots_ = 0;
  }
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
