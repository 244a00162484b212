// Reading a key's metadata the way every typed store needs it: present and
// not expired, or NotFound.
#pragma once

#include <string_view>

#include "common/status.h"
#include "storage/encoding.h"
#include "storage/engine.h"

namespace kvd::storage {

Status ReadLiveMeta(Engine& engine, uint8_t db, std::string_view key, Metadata* meta);

// What a store command with an empty result does to its destination: deletes
// it if it is live, and writes nothing otherwise (Redis signals no change).
Status DeleteIfLive(Engine& engine, uint8_t db, std::string_view key);

}  // namespace kvd::storage
