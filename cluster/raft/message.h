// The messages Raft nodes exchange. One struct for every type keeps the
// transport simple (one encoder, one decoder); each field documents which
// types use it, the others stay zero.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cluster/raft/types.h"

namespace kvd::cluster::raft {

enum class MessageType : uint8_t {
  kPreVote = 1,      // "would you vote for me at term+1?" - changes no state
  kPreVoteResp = 2,
  kVote = 3,         // RequestVote
  kVoteResp = 4,
  kAppend = 5,       // AppendEntries with entries (possibly none)
  kAppendResp = 6,   // also answers kSnapshot
  kHeartbeat = 7,    // leadership and commit index, confirms ReadIndex rounds
  kHeartbeatResp = 8,
  kSnapshot = 9,     // InstallSnapshot, sent when the entries a follower needs are compacted
  kReadIndex = 10,   // a follower forwards a linearizable read to the leader
  kReadIndexResp = 11,
};
constexpr uint8_t kMinMessageType = 1;
constexpr uint8_t kMaxMessageType = 11;

const char* MessageTypeName(MessageType type);

struct Message {
  MessageType type = MessageType::kHeartbeat;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  // The sender's term; for kPreVote (and a granted kPreVoteResp) the term the
  // candidate would campaign at.
  Term term = 0;

  // kPreVote/kVote: the candidate's last log position.
  // kAppend: the position just before `entries` (the consistency check).
  // kAppendResp: the last index now matching the leader (or, when rejecting,
  // the `index` of the rejected kAppend). kReadIndexResp: the read index.
  Term log_term = 0;
  Index index = 0;

  std::vector<Entry> entries;  // kAppend
  Index commit = 0;            // kAppend, kHeartbeat: the leader's commit index

  // Responses: the request was refused (vote not granted, log mismatch).
  bool reject = false;
  // kAppendResp rejections: the follower's guess of the last position where
  // the logs may agree (largest index <= the probe whose term <= the probed
  // term), so the leader skips a whole conflicting term per round trip.
  Index reject_hint = 0;
  Term hint_term = 0;

  // kHeartbeat/kHeartbeatResp: the leader's newest ReadIndex round, echoed
  // back so the leader can count confirmations of its leadership (0 = none).
  uint64_t read_seq = 0;
  // kReadIndex/kReadIndexResp: the application's id for the read.
  std::string context;

  std::optional<Snapshot> snapshot;  // kSnapshot

  bool operator==(const Message&) const = default;
};

}  // namespace kvd::cluster::raft
