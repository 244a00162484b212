#include "protocol/rdb/compact_lists.h"

#include <cstdint>

namespace kvd::protocol::rdb {

uint64_t LittleEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = bytes.size(); i-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

int64_t SignedLittleEndian(std::string_view bytes) {
  uint64_t value = LittleEndian(bytes);
  unsigned bits = static_cast<unsigned>(bytes.size()) * 8;
  if (bits < 64 && (value >> (bits - 1)) != 0) value |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(value);
}

namespace {

Status Truncated(const char* format) { return Status::Corruption(std::string(format) + " ends early"); }

// A cursor over one blob; every Take checks the bounds.
class Bytes {
 public:
  explicit Bytes(std::string_view data) : data_(data) {}
  size_t left() const { return data_.size() - position_; }
  bool Take(size_t count, std::string_view* out) {
    if (left() < count) return false;
    *out = data_.substr(position_, count);
    position_ += count;
    return true;
  }
  bool TakeByte(unsigned char* out) {
    if (left() < 1) return false;
    *out = static_cast<unsigned char>(data_[position_++]);
    return true;
  }

 private:
  std::string_view data_;
  size_t position_ = 0;
};

// One listpack entry's encoding and data (without its trailing back-length):
// a string, or an integer given as text. False at the terminator.
Result<bool> NextListpackEntry(Bytes* bytes, std::string* element) {
  unsigned char first = 0;
  if (!bytes->TakeByte(&first)) return Truncated("listpack");
  if (first == 0xFF) return false;
  std::string_view data;
  size_t encoded_size = 1;  // the entry's size before its back-length
  auto take_int = [&](size_t size) -> Status {
    if (!bytes->Take(size, &data)) return Truncated("listpack");
    *element = std::to_string(SignedLittleEndian(data));
    encoded_size += size;
    return Status::Ok();
  };
  auto take_string = [&](size_t size) -> Status {
    if (!bytes->Take(size, &data)) return Truncated("listpack");
    element->assign(data);
    encoded_size += size;
    return Status::Ok();
  };
  Status status;
  if ((first & 0x80) == 0) {
    *element = std::to_string(first & 0x7F);
  } else if ((first & 0xC0) == 0x80) {
    status = take_string(first & 0x3F);
  } else if ((first & 0xE0) == 0xC0) {
    unsigned char low = 0;
    if (!bytes->TakeByte(&low)) return Truncated("listpack");
    ++encoded_size;
    int64_t value = ((first & 0x1F) << 8) | low;
    if (value >= 1 << 12) value -= 1 << 13;  // 13-bit two's complement
    *element = std::to_string(value);
  } else if ((first & 0xF0) == 0xE0) {
    unsigned char low = 0;
    if (!bytes->TakeByte(&low)) return Truncated("listpack");
    ++encoded_size;
    status = take_string((size_t{first & 0x0Fu} << 8) | low);
  } else if (first == 0xF0) {
    if (!bytes->Take(4, &data)) return Truncated("listpack");
    encoded_size += 4;
    status = take_string(LittleEndian(data));
  } else if (first >= 0xF1 && first <= 0xF4) {
    static constexpr size_t kIntSizes[] = {2, 3, 4, 8};
    status = take_int(kIntSizes[first - 0xF1]);
  } else {
    return Status::Corruption("unknown listpack entry encoding");
  }
  if (!status.ok()) return status;
  // The back-length: the entry's size in 7-bit groups, one byte each.
  size_t back_length = 1;
  for (size_t size = encoded_size; size >= 128; size >>= 7) ++back_length;
  if (!bytes->Take(back_length, &data)) return Truncated("listpack");
  return true;
}

}  // namespace

namespace {

// One ziplist entry after its previous-entry length. False at the terminator.
Result<bool> NextZiplistEntry(Bytes* bytes, std::string* element) {
  unsigned char first = 0;
  if (!bytes->TakeByte(&first)) return Truncated("ziplist");
  if (first == 0xFF) return false;
  std::string_view data;
  // The previous entry's length, one byte or 0xFE and four: not needed going forward.
  if (first == 0xFE && !bytes->Take(4, &data)) return Truncated("ziplist");
  unsigned char encoding = 0;
  if (!bytes->TakeByte(&encoding)) return Truncated("ziplist");
  size_t length = 0;
  switch (encoding >> 6) {
    case 0: length = encoding & 0x3F; break;
    case 1: {
      unsigned char low = 0;
      if (!bytes->TakeByte(&low)) return Truncated("ziplist");
      length = (size_t{encoding & 0x3Fu} << 8) | low;
      break;
    }
    case 2: {
      if (encoding != 0x80 || !bytes->Take(4, &data)) return Status::Corruption("bad ziplist string length");
      length = (size_t{static_cast<unsigned char>(data[0])} << 24) | (size_t{static_cast<unsigned char>(data[1])} << 16) |
               (size_t{static_cast<unsigned char>(data[2])} << 8) | static_cast<unsigned char>(data[3]);
      break;
    }
    default: {
      size_t size = 0;
      if (encoding == 0xC0) size = 2;
      else if (encoding == 0xD0) size = 4;
      else if (encoding == 0xE0) size = 8;
      else if (encoding == 0xF0) size = 3;
      else if (encoding == 0xFE) size = 1;
      else if (encoding >= 0xF1 && encoding <= 0xFD) {
        *element = std::to_string((encoding & 0x0F) - 1);  // an immediate 0..12
        return true;
      } else {
        return Status::Corruption("unknown ziplist entry encoding");
      }
      if (!bytes->Take(size, &data)) return Truncated("ziplist");
      *element = std::to_string(SignedLittleEndian(data));
      return true;
    }
  }
  if (!bytes->Take(length, &data)) return Truncated("ziplist");
  element->assign(data);
  return true;
}

// Both formats: a header (total size in its first 4 bytes, the element count
// at `count_at`, 65535 when too many to count), entries, a 0xFF terminator.
Result<std::vector<std::string>> DecodeEntries(std::string_view blob, const char* format, size_t header_size,
                                               size_t count_at, Result<bool> (*next)(Bytes*, std::string*)) {
  if (blob.size() < header_size + 1) return Truncated(format);
  if (LittleEndian(blob.substr(0, 4)) != blob.size()) return Status::Corruption(std::string(format) + " size disagrees");
  uint64_t count = LittleEndian(blob.substr(count_at, 2));
  Bytes bytes(blob.substr(header_size));
  std::vector<std::string> elements;
  std::string element;
  while (true) {
    Result<bool> more = next(&bytes, &element);
    if (!more.ok()) return more.status();
    if (!*more) break;
    elements.push_back(std::move(element));
  }
  if (bytes.left() != 0) return Status::Corruption(std::string("bytes after the ") + format + "'s end");
  if (count != 65535 && count != elements.size()) return Status::Corruption(std::string(format) + " count disagrees");
  return elements;
}

}  // namespace

Result<std::vector<std::string>> DecodeListpack(std::string_view blob) {
  return DecodeEntries(blob, "listpack", 6, 4, NextListpackEntry);
}

Result<std::vector<std::string>> DecodeZiplist(std::string_view blob) {
  return DecodeEntries(blob, "ziplist", 10, 8, NextZiplistEntry);
}

Result<std::vector<std::string>> DecodeIntset(std::string_view blob) {
  if (blob.size() < 8) return Truncated("intset");
  uint64_t width = LittleEndian(blob.substr(0, 4));
  uint64_t count = LittleEndian(blob.substr(4, 4));
  if (width != 2 && width != 4 && width != 8) return Status::Corruption("bad intset encoding");
  if (blob.size() - 8 != count * width) return Status::Corruption("intset size disagrees");
  std::vector<std::string> elements;
  elements.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    elements.push_back(std::to_string(SignedLittleEndian(blob.substr(8 + i * width, width))));
  }
  return elements;
}

}  // namespace kvd::protocol::rdb
