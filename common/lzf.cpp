#include "common/lzf.h"

namespace kvd {

Result<std::string> LzfDecompress(std::string_view compressed, size_t expected_size) {
  // Each input byte yields at most 132 bytes (a 2-byte reference copies up to
  // 264): a larger claim is a lie, and would make us allocate it.
  if (expected_size / 132 > compressed.size()) return Status::Corruption("LZF size out of proportion");
  std::string out;
  out.reserve(expected_size);
  size_t in = 0;
  while (in < compressed.size()) {
    auto control = static_cast<unsigned char>(compressed[in++]);
    if (control < 32) {
      size_t run = size_t{control} + 1;
      if (compressed.size() - in < run || expected_size - out.size() < run) {
        return Status::Corruption("LZF literal run overflows");
      }
      out.append(compressed.substr(in, run));
      in += run;
      continue;
    }
    size_t length = control >> 5;
    if (length == 7) {
      if (in >= compressed.size()) return Status::Corruption("LZF input ends in a reference");
      length += static_cast<unsigned char>(compressed[in++]);
    }
    if (in >= compressed.size()) return Status::Corruption("LZF input ends in a reference");
    size_t distance = ((size_t{control} & 0x1F) << 8) + static_cast<unsigned char>(compressed[in++]) + 1;
    length += 2;
    if (distance > out.size() || expected_size - out.size() < length) {
      return Status::Corruption("LZF reference out of bounds");
    }
    // Byte by byte: the source may overlap what this copy writes (a repeated run).
    size_t from = out.size() - distance;
    for (size_t i = 0; i < length; ++i) out.push_back(out[from + i]);
  }
  if (out.size() != expected_size) return Status::Corruption("LZF output has the wrong size");
  return out;
}

}  // namespace kvd
