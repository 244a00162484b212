// Where the live fields of a collection can be. Kept apart from the iterator
// (collection.h) so that the pure encodings of such ranges (zset_bounds.h)
// need no database.
#pragma once

#include <optional>
#include <string>

namespace kvd::storage {

// No live field sorts before `first` nor after `last` (nullopt: open).
struct FieldRange {
  std::optional<std::string> first;
  std::optional<std::string> last;
  bool operator==(const FieldRange&) const = default;
};

}  // namespace kvd::storage
