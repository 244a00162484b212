// The versions every role reports: kvd's own, and the Redis version whose
// behaviour it follows (client libraries enable features by it).
#pragma once

namespace kvd {

inline constexpr const char* kKvdVersion = "0.1.0";
inline constexpr const char* kRedisCompatVersion = "7.0.15";

}  // namespace kvd
