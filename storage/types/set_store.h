// Set values (see storage/encoding.h for the sub-key layout).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/engine.h"

namespace kvd::storage {

class SetStore {
 public:
  explicit SetStore(Engine& engine) : engine_(engine) {}

 private:
  [[maybe_unused]] Engine& engine_;
};

}  // namespace kvd::storage
