#include "cluster/raft/byte_codec.h"

namespace kvd::cluster::raft {

void ByteWriter::Varint(uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void ByteWriter::Bytes(std::string_view bytes) {
  Varint(bytes.size());
  out_.append(bytes);
}

bool ByteReader::U8(uint8_t* value) {
  if (remaining() < 1) return false;
  *value = static_cast<uint8_t>(in_[pos_++]);
  return true;
}

bool ByteReader::Varint(uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t byte = 0;
    if (!U8(&byte)) return false;
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) return false;
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

bool ByteReader::Bytes(std::string* bytes) {
  uint64_t size = 0;
  if (!Varint(&size) || size > remaining()) return false;
  bytes->assign(in_.substr(pos_, size));
  pos_ += size;
  return true;
}

bool ByteReader::Bool(bool* value) {
  uint8_t byte = 0;
  if (!U8(&byte) || byte > 1) return false;
  *value = byte == 1;
  return true;
}

bool ByteReader::Count(uint64_t* count, size_t min_item_bytes) {
  if (!Varint(count)) return false;
  return min_item_bytes == 0 || *count <= remaining() / min_item_bytes;
}

}  // namespace kvd::cluster::raft
