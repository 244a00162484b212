#include "storage/binlog_stream.h"

namespace kvd::storage {

BinlogStream::Hold BinlogStream::Find(const std::string& data_dir, uint64_t next_sequence, uint64_t latest_sequence) {
  if (next_sequence == latest_sequence + 1) return Hold{true, std::nullopt};
  if (next_sequence == 0 || next_sequence > latest_sequence + 1) return Hold{};
  BinlogStream stream(data_dir, next_sequence);
  if (!stream.Position().ok() || !stream.file_starts_by_next_) return Hold{};
  // Read up to the batch holding next_sequence: it must start there.
  std::vector<StreamedBatch> first;
  Status read = stream.Read(1, latest_sequence, &first);
  return Hold{read.ok(), stream.inside_batch_from_};
}

Status BinlogStream::Position() {
  auto files = ListWalFiles(data_dir_);
  if (!files.ok()) return files.status();
  // The newest file that starts at or before next_ holds it (or next_ is yet
  // to be written, at the end of the newest file). Files without batches
  // (just created) are passed over; when all are like that, nothing was
  // written since they were made and the newest one is where next_ will be.
  bool saw_batches = false;
  for (auto it = files->rbegin(); it != files->rend(); ++it) {
    auto first = FirstBatchSequence(*it);
    if (!first.ok()) return first.status();
    if (!first->has_value()) continue;
    saw_batches = true;
    if (**first > next_) continue;
    file_ = *it;
    file_starts_by_next_ = true;
    offset_ = 0;
    return Status::Ok();
  }
  if (!saw_batches && !files->empty()) {
    file_ = files->back();
    file_starts_by_next_ = false;
    offset_ = 0;
    return Status::Ok();
  }
  return Status::NotFound("binlog no longer holds sequence " + std::to_string(next_));
}

Result<bool> BinlogStream::ReadCurrent(size_t max_bytes, size_t* bytes, std::vector<StreamedBatch>* out) {
  if (reader_ == nullptr) {
    auto opened = WalFileReader::Open(*file_);
    if (!opened.ok()) return opened.status();
    reader_ = std::move(*opened);
  }
  KVD_RETURN_IF_ERROR(reader_->RefreshAndSeek(offset_));
  std::string record;
  uint64_t offset = 0;
  bool got_any = false;
  while (*bytes < max_bytes) {
    Result<bool> more = reader_->Next(&record, &offset);
    if (!more.ok()) return more.status();
    if (!*more) break;
    offset_ = offset;
    WriteBatchHeader header;
    if (!ReadWriteBatchHeader(record, &header)) continue;
    uint64_t sequence = header.sequence, count = header.count;
    if (count == 0 || sequence + count <= next_) continue;  // records only, or already sent
    if (sequence != next_) {
      if (sequence < next_) inside_batch_from_ = sequence;
      return Status::Corruption("binlog batch at sequence " + std::to_string(sequence) + " where " +
                                std::to_string(next_) + " was expected, in " + file_->name);
    }
    *bytes += record.size();
    next_ = sequence + count;
    out->push_back(StreamedBatch{sequence, count, std::move(record)});
    got_any = true;
  }
  return got_any;
}

Result<std::optional<WalFile>> BinlogStream::NewerFile() const {
  auto files = ListWalFiles(data_dir_);
  if (!files.ok()) return files.status();
  for (const auto& file : *files) {
    if (file.number > file_->number) return std::optional<WalFile>(file);
  }
  return std::optional<WalFile>();
}

Status BinlogStream::Read(size_t max_bytes, uint64_t latest_sequence, std::vector<StreamedBatch>* out) {
  if (next_ > latest_sequence) return Status::Ok();  // caught up: no I/O at all
  if (!file_) KVD_RETURN_IF_ERROR(Position());
  size_t bytes = 0;
  auto got = ReadCurrent(max_bytes, &bytes, out);
  if (!got.ok() && got.status().Is(Status::Code::kNotFound)) {
    return Status::NotFound("binlog no longer holds sequence " + std::to_string(next_));
  }
  if (!got.ok() || *got) return got.status();
  // Nothing more in this file although later sequences exist: they are not
  // flushed yet, or in a newer file. RocksDB never appends to a WAL file once
  // a newer one exists, so then this one is complete: read it once more (it
  // may have grown before the switch) and move on.
  auto newer = NewerFile();
  if (!newer.ok()) return newer.status();
  if (!newer->has_value()) return Status::Ok();
  auto last = ReadCurrent(max_bytes, &bytes, out);
  if (!last.ok() || *last) return last.status();
  file_ = **newer;
  reader_.reset();
  offset_ = 0;
  return ReadCurrent(max_bytes, &bytes, out).status();
}

bool BatchJoiner::Add(uint64_t sequence, std::string_view data) {
  WriteBatchHeader header;
  if (!ReadWriteBatchHeader(data, &header)) return false;
  if (joined_.empty()) {
    joined_.assign(data);
    sequence_ = sequence;
    count_ = header.count;
  } else {
    if (sequence != next_ || count_ + static_cast<uint64_t>(header.count) > UINT32_MAX) return false;
    joined_.append(data.substr(kWriteBatchHeaderSize));
    count_ += header.count;
    SetWriteBatchCount(&joined_, count_);
  }
  next_ = sequence + header.count;
  return true;
}

std::string BatchJoiner::Take() {
  std::string joined;
  joined.swap(joined_);
  count_ = 0;
  return joined;
}

}  // namespace kvd::storage

