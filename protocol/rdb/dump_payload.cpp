#include "protocol/rdb/dump_payload.h"

#include <cmath>
#include <cstring>
#include <unordered_set>

#include "common/crc64.h"
#include "common/lzf.h"
#include "common/numbers.h"
#include "protocol/rdb/compact_lists.h"

namespace kvd::protocol::rdb {

namespace {

// RDB object types (the first byte of a payload).
enum RdbType : unsigned char {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZSet = 3,
  kHash = 4,
  kZSet2 = 5,
  kListZiplist = 10,
  kSetIntset = 11,
  kZSetZiplist = 12,
  kHashZiplist = 13,
  kListQuicklist = 14,
  kHashListpack = 16,
  kZSetListpack = 17,
  kListQuicklist2 = 18,
  kSetListpack = 20,
};

// Quicklist 2 node containers.
constexpr uint64_t kPlainNode = 1;
constexpr uint64_t kPackedNode = 2;

// ---- writing ----

void PutLength(std::string* out, uint64_t length) {
  if (length < (1 << 6)) {
    out->push_back(static_cast<char>(length));
  } else if (length < (1 << 14)) {
    out->push_back(static_cast<char>(0x40 | (length >> 8)));
    out->push_back(static_cast<char>(length & 0xFF));
  } else if (length <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((length >> shift) & 0xFF));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((length >> shift) & 0xFF));
  }
}

void PutString(std::string* out, std::string_view text) {
  PutLength(out, text.size());
  out->append(text);
}

void PutLittleEndian(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void PutBinaryDouble(std::string* out, double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  PutLittleEndian(out, bits, 8);
}

// ---- reading ----

Status BadData() { return Status::InvalidArgument(kBadDataFormat); }

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  size_t left() const { return data_.size() - position_; }

  bool Byte(unsigned char* out) {
    if (left() < 1) return false;
    *out = static_cast<unsigned char>(data_[position_++]);
    return true;
  }
  bool Bytes(size_t count, std::string_view* out) {
    if (left() < count) return false;
    *out = data_.substr(position_, count);
    position_ += count;
    return true;
  }

  // A length, or (with `encoded` set) the special form of a string.
  bool Length(uint64_t* length, bool* encoded) {
    unsigned char first = 0;
    if (!Byte(&first)) return false;
    *encoded = false;
    std::string_view bytes;
    switch (first >> 6) {
      case 0: *length = first & 0x3F; return true;
      case 1: {
        unsigned char low = 0;
        if (!Byte(&low)) return false;
        *length = (uint64_t{first & 0x3Fu} << 8) | low;
        return true;
      }
      case 2: {
        size_t size = first == 0x80 ? 4 : first == 0x81 ? 8 : 0;
        if (size == 0 || !Bytes(size, &bytes)) return false;
        *length = 0;
        for (char byte : bytes) *length = (*length << 8) | static_cast<unsigned char>(byte);
        return true;
      }
      default:
        *encoded = true;
        *length = first & 0x3F;
        return true;
    }
  }

  // A count of things that each take at least one byte: more than the bytes left is a lie.
  bool Count(uint64_t* count) {
    bool encoded = false;
    return Length(count, &encoded) && !encoded && *count <= left();
  }

  Status String(std::string* out) {
    uint64_t length = 0;
    bool encoded = false;
    if (!Length(&length, &encoded)) return BadData();
    std::string_view bytes;
    if (!encoded) {
      if (!Bytes(length, &bytes)) return BadData();
      out->assign(bytes);
      return Status::Ok();
    }
    if (length <= 2) {  // an integer of 1, 2 or 4 bytes, little-endian
      size_t size = size_t{1} << length;
      if (!Bytes(size, &bytes)) return BadData();
      *out = FormatInt64(SignedLittleEndian(bytes));
      return Status::Ok();
    }
    if (length != 3) return BadData();
    uint64_t compressed_size = 0, size = 0;
    if (!Count(&compressed_size) || !Length(&size, &encoded) || encoded || !Bytes(compressed_size, &bytes)) {
      return BadData();
    }
    Result<std::string> plain = LzfDecompress(bytes, size);
    if (!plain.ok()) return BadData();
    *out = std::move(*plain);
    return Status::Ok();
  }

  Status BinaryDouble(double* out) {
    std::string_view bytes;
    if (!Bytes(8, &bytes)) return BadData();
    uint64_t bits = LittleEndian(bytes);
    std::memcpy(out, &bits, sizeof bits);
    return Status::Ok();
  }

  // The old text form: a length byte (253 NaN, 254 +inf, 255 -inf) and the digits.
  Status TextDouble(double* out) {
    unsigned char length = 0;
    if (!Byte(&length)) return BadData();
    if (length == 253) return BadData();
    if (length == 254 || length == 255) {
      *out = length == 254 ? INFINITY : -INFINITY;
      return Status::Ok();
    }
    std::string_view digits;
    if (!Bytes(length, &digits) || !ParseDouble(digits, out)) return BadData();
    return Status::Ok();
  }

 private:
  std::string_view data_;
  size_t position_ = 0;
};

Status ReadStrings(Reader* reader, std::vector<std::string>* out) {
  uint64_t count = 0;
  if (!reader->Count(&count)) return BadData();
  for (uint64_t i = 0; i < count; ++i) {
    std::string element;
    if (Status status = reader->String(&element); !status.ok()) return status;
    out->push_back(std::move(element));
  }
  return Status::Ok();
}

// A packed blob (a string in the payload) decoded by `decode`, appended to `out`.
Status ReadPacked(Reader* reader, Result<std::vector<std::string>> (*decode)(std::string_view),
                  std::vector<std::string>* out) {
  std::string blob;
  if (Status status = reader->String(&blob); !status.ok()) return status;
  Result<std::vector<std::string>> elements = decode(blob);
  if (!elements.ok()) return BadData();
  for (auto& element : *elements) out->push_back(std::move(element));
  return Status::Ok();
}

Status ReadQuicklist(Reader* reader, bool with_containers, std::vector<std::string>* out) {
  uint64_t nodes = 0;
  if (!reader->Count(&nodes)) return BadData();
  for (uint64_t i = 0; i < nodes; ++i) {
    uint64_t container = kPackedNode;
    bool encoded = false;
    if (with_containers && (!reader->Length(&container, &encoded) || encoded)) return BadData();
    Status status;
    if (container == kPlainNode) {
      std::string element;
      status = reader->String(&element);
      out->push_back(std::move(element));
    } else if (container == kPackedNode) {
      status = ReadPacked(reader, with_containers ? DecodeListpack : DecodeZiplist, out);
    } else {
      return BadData();
    }
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// Alternating names and values (hash fields, zset members and scores) into pairs.
Status Pair(std::vector<std::string> flat, std::vector<std::pair<std::string, std::string>>* out) {
  if (flat.size() % 2 != 0) return BadData();
  for (size_t i = 0; i < flat.size(); i += 2) out->emplace_back(std::move(flat[i]), std::move(flat[i + 1]));
  return Status::Ok();
}

Status ReadPackedPairs(Reader* reader, Result<std::vector<std::string>> (*decode)(std::string_view),
                       std::vector<std::pair<std::string, std::string>>* out) {
  std::vector<std::string> flat;
  if (Status status = ReadPacked(reader, decode, &flat); !status.ok()) return status;
  return Pair(std::move(flat), out);
}

Status ScorePairs(std::vector<std::pair<std::string, std::string>> pairs, DumpedValue* value) {
  for (auto& [member, text] : pairs) {
    double score = 0;
    if (!ParseDouble(text, &score)) return BadData();
    value->scored.emplace_back(std::move(member), score);
  }
  return Status::Ok();
}

Status ReadObject(Reader* reader, unsigned char type, DumpedValue* value) {
  switch (type) {
    case kString:
      value->kind = ValueKind::kString;
      return reader->String(&value->string);
    case kList:
      value->kind = ValueKind::kList;
      return ReadStrings(reader, &value->elements);
    case kListZiplist:
      value->kind = ValueKind::kList;
      return ReadPacked(reader, DecodeZiplist, &value->elements);
    case kListQuicklist:
    case kListQuicklist2:
      value->kind = ValueKind::kList;
      return ReadQuicklist(reader, type == kListQuicklist2, &value->elements);
    case kSet:
      value->kind = ValueKind::kSet;
      return ReadStrings(reader, &value->elements);
    case kSetIntset:
      value->kind = ValueKind::kSet;
      return ReadPacked(reader, DecodeIntset, &value->elements);
    case kSetListpack:
      value->kind = ValueKind::kSet;
      return ReadPacked(reader, DecodeListpack, &value->elements);
    case kHash: {
      value->kind = ValueKind::kHash;
      std::vector<std::string> flat;
      uint64_t count = 0;
      if (!reader->Count(&count)) return BadData();
      for (uint64_t i = 0; i < 2 * count; ++i) {
        std::string text;
        if (Status status = reader->String(&text); !status.ok()) return status;
        flat.push_back(std::move(text));
      }
      return Pair(std::move(flat), &value->fields);
    }
    case kHashZiplist:
    case kHashListpack:
      value->kind = ValueKind::kHash;
      return ReadPackedPairs(reader, type == kHashZiplist ? DecodeZiplist : DecodeListpack, &value->fields);
    case kZSet:
    case kZSet2: {
      value->kind = ValueKind::kZSet;
      uint64_t count = 0;
      if (!reader->Count(&count)) return BadData();
      for (uint64_t i = 0; i < count; ++i) {
        std::string member;
        double score = 0;
        if (Status status = reader->String(&member); !status.ok()) return status;
        Status read = type == kZSet2 ? reader->BinaryDouble(&score) : reader->TextDouble(&score);
        if (!read.ok()) return read;
        value->scored.emplace_back(std::move(member), score);
      }
      return Status::Ok();
    }
    case kZSetZiplist:
    case kZSetListpack: {
      value->kind = ValueKind::kZSet;
      std::vector<std::pair<std::string, std::string>> pairs;
      Status status = ReadPackedPairs(reader, type == kZSetZiplist ? DecodeZiplist : DecodeListpack, &pairs);
      if (!status.ok()) return status;
      return ScorePairs(std::move(pairs), value);
    }
    default:
      return BadData();  // streams, modules, zipmaps: nothing kvd can hold
  }
}

template <typename Items, typename NameOf>
bool AllDistinct(const Items& items, NameOf name_of) {
  std::unordered_set<std::string_view> seen;
  for (const auto& item : items) {
    if (!seen.insert(name_of(item)).second) return false;
  }
  return true;
}

// What Redis refuses to load: empty collections, duplicates, NaN scores.
bool Loadable(const DumpedValue& value) {
  auto first = [](const auto& pair) -> std::string_view { return pair.first; };
  switch (value.kind) {
    case ValueKind::kString: return true;
    case ValueKind::kList: return !value.elements.empty();
    case ValueKind::kSet:
      return !value.elements.empty() &&
             AllDistinct(value.elements, [](const std::string& member) -> std::string_view { return member; });
    case ValueKind::kHash: return !value.fields.empty() && AllDistinct(value.fields, first);
    case ValueKind::kZSet:
      for (const auto& [member, score] : value.scored) {
        if (std::isnan(score)) return false;
      }
      return !value.scored.empty() && AllDistinct(value.scored, first);
  }
  return false;
}

}  // namespace

std::string EncodeDumpPayload(const DumpedValue& value) {
  std::string out;
  switch (value.kind) {
    case ValueKind::kString:
      out.push_back(static_cast<char>(kString));
      PutString(&out, value.string);
      break;
    case ValueKind::kList:
    case ValueKind::kSet:
      out.push_back(static_cast<char>(value.kind == ValueKind::kList ? kList : kSet));
      PutLength(&out, value.elements.size());
      for (const auto& element : value.elements) PutString(&out, element);
      break;
    case ValueKind::kHash:
      out.push_back(static_cast<char>(kHash));
      PutLength(&out, value.fields.size());
      for (const auto& [field, text] : value.fields) {
        PutString(&out, field);
        PutString(&out, text);
      }
      break;
    case ValueKind::kZSet:
      out.push_back(static_cast<char>(kZSet2));
      PutLength(&out, value.scored.size());
      for (const auto& [member, score] : value.scored) {
        PutString(&out, member);
        PutBinaryDouble(&out, score);
      }
      break;
  }
  PutLittleEndian(&out, kWrittenRdbVersion, 2);
  PutLittleEndian(&out, Crc64Of(out), 8);
  return out;
}

Result<DumpedValue> DecodeDumpPayload(std::string_view payload) {
  if (payload.size() < 10) return Status::InvalidArgument(kBadVersionOrChecksum);
  std::string_view footer = payload.substr(payload.size() - 10);
  uint64_t version = LittleEndian(footer.substr(0, 2));
  uint64_t stored_crc = LittleEndian(footer.substr(2));
  if (version > kNewestReadRdbVersion || Crc64Of(payload.substr(0, payload.size() - 8)) != stored_crc) {
    return Status::InvalidArgument(kBadVersionOrChecksum);
  }
  Reader reader(payload.substr(0, payload.size() - 10));
  unsigned char type = 0;
  if (!reader.Byte(&type)) return BadData();
  DumpedValue value;
  if (Status status = ReadObject(&reader, type, &value); !status.ok()) return status;
  if (reader.left() != 0) return BadData();
  if (!Loadable(value)) return BadData();
  return value;
}

}  // namespace kvd::protocol::rdb
