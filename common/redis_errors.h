// Every error text a client can see, in one place, worded as Redis words them.
#pragma once

namespace kvd::errors {

inline constexpr const char* kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kSyntax = "ERR syntax error";
inline constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
inline constexpr const char* kNotFloat = "ERR value is not a valid float";
inline constexpr const char* kOverflow = "ERR increment or decrement would overflow";
inline constexpr const char* kFloatOverflow = "ERR increment would produce NaN or Infinity";
inline constexpr const char* kNoSuchKey = "ERR no such key";
inline constexpr const char* kDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr const char* kInvalidDbIndex = "ERR invalid DB index";
inline constexpr const char* kNoAuth = "NOAUTH Authentication required.";
inline constexpr const char* kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr const char* kAuthNotConfigured =
    "ERR AUTH <password> called without any password configured for the default user. Are you sure your "
    "configuration is correct?";
inline constexpr const char* kProtocolVersion = "ERR Protocol version is not an integer or out of range";
inline constexpr const char* kNoProto = "NOPROTO unsupported protocol version";
inline constexpr const char* kHelloNoAuth =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH "
    "<user> <pass> option can be used to authenticate the client and select the RESP protocol version at the "
    "same time";
inline constexpr const char* kBitOffset = "ERR bit offset is not an integer or out of range";
inline constexpr const char* kBitValue = "ERR bit is not an integer or out of range";
inline constexpr const char* kStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr const char* kInvalidExpire = "ERR invalid expire time in '%s' command";
inline constexpr const char* kSameObject = "ERR source and destination objects are the same";
inline constexpr const char* kMaxClients = "ERR max number of clients reached";
inline constexpr const char* kNotPositive = "ERR value is out of range, must be positive";
inline constexpr const char* kExpireOptions = "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr const char* kGtLtNx = "ERR GT and LT options at the same time are not compatible";
inline constexpr const char* kReadOnlyReplica = "READONLY You can't write against a read only replica.";
inline constexpr const char* kNoReplicas = "NOREPLICAS Not enough good replicas to write.";
// sync replication mode, acknowledgements missing: the write may or may not survive a failover.
inline constexpr const char* kUnknownOutcome =
    "UNKNOWN write outcome unknown: not acknowledged by min-replica-acks replicas within replica-ack-timeout-ms";

}  // namespace kvd::errors
