#include "storage/types/zset_bounds.h"

namespace kvd::storage {
namespace {

constexpr size_t kMaxBoundBytes = 8 + 64;  // the score and up to 64 bytes of member
constexpr unsigned char kHasLow = 1;
constexpr unsigned char kHasHigh = 2;

bool ReadBound(std::string_view* tail, std::optional<std::string>* bound) {
  if (tail->empty()) return false;
  size_t length = static_cast<unsigned char>((*tail)[0]);
  if (tail->size() < 1 + length) return false;
  *bound = std::string(tail->substr(1, length));
  tail->remove_prefix(1 + length);
  return true;
}

}  // namespace

ScoreFieldBounds DecodeScoreFieldBounds(std::string_view tail) {
  ScoreFieldBounds bounds;
  if (tail.empty()) return bounds;
  auto flags = static_cast<unsigned char>(tail[0]);
  tail.remove_prefix(1);
  if ((flags & kHasLow) && !ReadBound(&tail, &bounds.first)) return {};
  if ((flags & kHasHigh) && !ReadBound(&tail, &bounds.last)) return {};
  return bounds;
}

std::string EncodeScoreFieldBounds(const ScoreFieldBounds& bounds) {
  if (!bounds.first && !bounds.last) return {};
  std::string tail(1, static_cast<char>((bounds.first ? kHasLow : 0) | (bounds.last ? kHasHigh : 0)));
  for (const auto* bound : {&bounds.first, &bounds.last}) {
    if (!*bound) continue;
    tail.push_back(static_cast<char>((*bound)->size()));
    tail += **bound;
  }
  return tail;
}

std::string LowBoundAt(std::string_view field) { return std::string(field.substr(0, kMaxBoundBytes)); }

std::optional<std::string> HighBoundAt(std::string_view field) {
  if (field.size() <= kMaxBoundBytes) return std::string(field);
  std::string prefix(field.substr(0, kMaxBoundBytes));
  // The successor of the prefix sorts after every field that starts with it.
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;  // no short bound: none
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

void WidenScoreFieldBounds(ScoreFieldBounds* bounds, std::string_view field) {
  if (bounds->first && field < std::string_view(*bounds->first)) bounds->first = LowBoundAt(field);
  if (bounds->last && field > std::string_view(*bounds->last)) bounds->last = HighBoundAt(field);
}

}  // namespace kvd::storage
