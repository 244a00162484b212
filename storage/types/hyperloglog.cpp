#include "storage/types/hyperloglog.h"

#include <algorithm>
#include <cmath>

namespace kvd::storage {
namespace {

constexpr int kIndexBits = 14;               // log2 of the register count
constexpr int kHashBits = 64 - kIndexBits;   // what is left of the hash for the run of zeros
constexpr size_t kHeaderSize = 16;
constexpr size_t kDenseSize = kHeaderSize + (kHllRegisters * 6 + 7) / 8;
constexpr size_t kSparseMaxBytes = 3000;
constexpr uint8_t kEncodingDense = 0;
constexpr uint8_t kEncodingSparse = 1;
constexpr uint8_t kSparseMaxValue = 32;
constexpr size_t kZeroMaxRun = 64;
constexpr size_t kXZeroMaxRun = 16384;
constexpr size_t kValMaxRun = 4;

// kvd never fills in the cached cardinality (PFCOUNT does not write): its
// top bit marks it invalid, as in a value Redis has just changed.
std::string Header(uint8_t encoding) {
  std::string header("HYLL", 4);
  header.push_back(static_cast<char>(encoding));
  header.append(11, '\0');  // 3 unused bytes, the 8-byte little-endian cached cardinality
  header[15] = static_cast<char>(0x80);
  return header;
}

uint8_t DenseRegister(std::string_view packed, size_t index) {
  size_t bit = index * 6;
  size_t byte = bit / 8;
  unsigned shift = bit % 8;
  unsigned low = static_cast<unsigned char>(packed[byte]);
  unsigned high = byte + 1 < packed.size() ? static_cast<unsigned char>(packed[byte + 1]) : 0;
  return static_cast<uint8_t>(((low >> shift) | (high << (8 - shift))) & 63);
}

void PackDense(const HllRegisters& registers, std::string* out) {
  size_t start = out->size();
  out->append(kDenseSize - kHeaderSize, '\0');
  auto* packed = reinterpret_cast<unsigned char*>(out->data() + start);
  for (size_t i = 0; i < kHllRegisters; ++i) {
    size_t bit = i * 6;
    size_t byte = bit / 8;
    unsigned shift = bit % 8;
    packed[byte] |= static_cast<unsigned char>(registers[i] << shift);
    if (shift > 2) packed[byte + 1] |= static_cast<unsigned char>(registers[i] >> (8 - shift));
  }
}

Status DecodeSparse(std::string_view runs, HllRegisters* registers) {
  size_t index = 0;
  size_t i = 0;
  while (i < runs.size()) {
    auto op = static_cast<unsigned char>(runs[i]);
    size_t length;
    uint8_t value = 0;
    if ((op & 0xc0) == 0x00) {  // ZERO: 00xxxxxx
      length = (op & 0x3f) + 1u;
      i += 1;
    } else if ((op & 0xc0) == 0x40) {  // XZERO: 01xxxxxx yyyyyyyy
      if (i + 1 >= runs.size()) return Status::InvalidArgument(kCorruptHll);
      length = (((op & 0x3fu) << 8) | static_cast<unsigned char>(runs[i + 1])) + 1;
      i += 2;
    } else {  // VAL: 1vvvvvxx
      value = static_cast<uint8_t>(((op >> 2) & 0x1f) + 1);
      length = (op & 0x3u) + 1;
      i += 1;
    }
    if (index + length > kHllRegisters) return Status::InvalidArgument(kCorruptHll);
    for (size_t r = 0; r < length; ++r) (*registers)[index + r] = value;
    index += length;
  }
  if (index != kHllRegisters) return Status::InvalidArgument(kCorruptHll);
  return Status::Ok();
}

void AppendZeroRun(size_t length, std::string* out) {
  while (length > 0) {
    if (length <= kZeroMaxRun) {
      out->push_back(static_cast<char>(length - 1));
      return;
    }
    size_t run = std::min(length, kXZeroMaxRun);
    out->push_back(static_cast<char>(0x40 | ((run - 1) >> 8)));
    out->push_back(static_cast<char>((run - 1) & 0xff));
    length -= run;
  }
}

// False when a register does not fit the sparse form or it grows past the limit.
bool AppendSparse(const HllRegisters& registers, std::string* out) {
  size_t i = 0;
  while (i < kHllRegisters) {
    size_t end = i;
    while (end < kHllRegisters && registers[end] == registers[i]) ++end;
    if (registers[i] == 0) {
      AppendZeroRun(end - i, out);
    } else {
      if (registers[i] > kSparseMaxValue) return false;
      for (size_t at = i; at < end; at += kValMaxRun) {
        size_t run = std::min(kValMaxRun, end - at);
        out->push_back(static_cast<char>(0x80 | ((registers[i] - 1) << 2) | (run - 1)));
      }
    }
    if (out->size() > kSparseMaxBytes) return false;
    i = end;
  }
  return true;
}

// Ertl's sigma and tau, as Redis computes them (same operations, same doubles).
double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double y = 1;
  double z = x;
  double previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous != z);
  return z;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double y = 1.0;
  double z = 1 - x;
  double previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (previous != z);
  return z / 3;
}

}  // namespace

uint64_t MurmurHash64A(std::string_view data, uint64_t seed) {
  constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
  constexpr int kShift = 47;
  uint64_t h = seed ^ (static_cast<uint64_t>(data.size()) * kMul);
  size_t blocks = data.size() / 8;
  for (size_t b = 0; b < blocks; ++b) {
    uint64_t k = 0;
    for (int byte = 7; byte >= 0; --byte) k = (k << 8) | static_cast<unsigned char>(data[b * 8 + byte]);
    k *= kMul;
    k ^= k >> kShift;
    k *= kMul;
    h ^= k;
    h *= kMul;
  }
  size_t tail = data.size() & 7;
  if (tail != 0) {
    for (size_t byte = tail; byte-- > 0;) h ^= static_cast<uint64_t>(static_cast<unsigned char>(data[blocks * 8 + byte])) << (8 * byte);
    h *= kMul;
  }
  h ^= h >> kShift;
  h *= kMul;
  h ^= h >> kShift;
  return h;
}

HllPattern HllPatternOf(std::string_view element) {
  uint64_t hash = MurmurHash64A(element, 0xadc83b19ULL);
  size_t index = hash & (kHllRegisters - 1);
  hash >>= kIndexBits;
  hash |= uint64_t{1} << kHashBits;  // the count stops at kHashBits + 1
  uint8_t count = 1;
  for (uint64_t bit = 1; (hash & bit) == 0; bit <<= 1) ++count;
  return {index, count};
}

Status DecodeHll(std::string_view value, HllRegisters* registers, bool* dense) {
  if (value.size() < kHeaderSize || value.substr(0, 4) != "HYLL") return Status::InvalidArgument(kNotHll);
  auto encoding = static_cast<uint8_t>(value[4]);
  if (encoding == kEncodingDense) {
    if (value.size() != kDenseSize) return Status::InvalidArgument(kNotHll);
    std::string_view packed = value.substr(kHeaderSize);
    for (size_t i = 0; i < kHllRegisters; ++i) (*registers)[i] = DenseRegister(packed, i);
    *dense = true;
    return Status::Ok();
  }
  if (encoding != kEncodingSparse) return Status::InvalidArgument(kNotHll);
  *dense = false;
  return DecodeSparse(value.substr(kHeaderSize), registers);
}

std::string EncodeHll(const HllRegisters& registers, bool dense) {
  if (!dense) {
    std::string sparse = Header(kEncodingSparse);
    if (AppendSparse(registers, &sparse)) return sparse;
  }
  std::string packed = Header(kEncodingDense);
  PackDense(registers, &packed);
  return packed;
}

uint64_t EstimateCardinality(const HllRegisters& registers) {
  double histogram[64] = {};
  for (uint8_t value : registers) histogram[value] += 1;
  double m = kHllRegisters;
  double z = m * Tau((m - histogram[kHashBits + 1]) / m);
  for (int j = kHashBits; j >= 1; --j) {
    z += histogram[j];
    z *= 0.5;
  }
  z += m * Sigma(histogram[0] / m);
  constexpr double kAlphaInf = 0.721347520444481703680;  // 1 / (2 ln 2)
  return static_cast<uint64_t>(std::llround(static_cast<long double>(kAlphaInf * m * m / z)));
}

}  // namespace kvd::storage
