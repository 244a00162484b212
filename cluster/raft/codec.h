// Binary encoding of Raft messages (for the transport) and of the records a
// durable store keeps (entries, hard state, snapshots, voter sets).
//
// Every top-level encoding starts with a format version byte and a record
// kind byte, so a reader can reject data written by a newer format or handed
// to the wrong decoder. Integers are LEB128 varints, strings are
// length-prefixed. Decoders return Status::Corruption on anything malformed
// (truncated, trailing bytes, unknown enum values, impossible lengths) and
// never crash or over-allocate on garbage.
#pragma once

#include <string>
#include <string_view>

#include "cluster/raft/message.h"
#include "cluster/raft/types.h"
#include "common/status.h"

namespace kvd::cluster::raft {

constexpr uint8_t kCodecVersion = 1;

std::string EncodeMessage(const Message& message);
Result<Message> DecodeMessage(std::string_view bytes);

std::string EncodeEntry(const Entry& entry);
Result<Entry> DecodeEntry(std::string_view bytes);

std::string EncodeHardState(const HardState& state);
Result<HardState> DecodeHardState(std::string_view bytes);

std::string EncodeSnapshot(const Snapshot& snapshot);
Result<Snapshot> DecodeSnapshot(std::string_view bytes);

// The data of an EntryType::kMembership entry.
std::string EncodeMembership(const Membership& membership);
Result<Membership> DecodeMembership(std::string_view bytes);

}  // namespace kvd::cluster::raft
