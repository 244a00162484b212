// Bounds-checked primitives for the Raft binary encoding: LEB128 varints and
// length-prefixed byte strings. The reader never reads past its input and
// never allocates more than the input could hold, so garbage from the network
// fails cleanly instead of crashing or exhausting memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace kvd::cluster::raft {

class ByteWriter {
 public:
  void U8(uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void Varint(uint64_t value);
  void Bytes(std::string_view bytes);  // varint length, then the bytes
  void Bool(bool value) { U8(value ? 1 : 0); }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Every method returns false (and leaves the output unspecified) when the
// input is too short or malformed.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool U8(uint8_t* value);
  bool Varint(uint64_t* value);
  bool Bytes(std::string* bytes);
  bool Bool(bool* value);
  // A count of items that each take at least `min_item_bytes`: rejects counts
  // the remaining input cannot possibly hold, before anything is allocated.
  bool Count(uint64_t* count, size_t min_item_bytes);

  size_t remaining() const { return in_.size() - pos_; }
  bool AtEnd() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace kvd::cluster::raft
