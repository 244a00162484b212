// Value types shared by every part of the Raft core: log entries, the
// persistent vote state, the voter set and snapshots. Plain data, no logic
// beyond comparisons, so they can be copied into messages and storage freely.
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace kvd::cluster::raft {

using NodeId = uint64_t;
using Term = uint64_t;
using Index = uint64_t;

// Node ids are chosen by the operator; 0 is reserved to mean "nobody" (no
// vote cast, no known leader).
constexpr NodeId kNoNode = 0;

enum class EntryType : uint8_t {
  kNormal = 0,      // an application command handed to Propose()
  kNoop = 1,        // appended by every new leader, see Raft::BecomeLeader
  kMembership = 2,  // data = EncodeMembership(): the complete new voter set
};
constexpr uint8_t kMaxEntryType = 2;

struct Entry {
  Index index = 0;
  Term term = 0;
  EntryType type = EntryType::kNormal;
  std::string data;

  bool operator==(const Entry&) const = default;
};

// Identifies one log position unambiguously (the Log Matching property: two
// logs with an entry of the same index and term are identical up to it).
struct EntryId {
  Index index = 0;
  Term term = 0;

  bool operator==(const EntryId&) const = default;
};

// What must survive a crash besides the log. `commit` is not required for
// safety (it is recovered from the leader) but avoids re-applying less after
// a restart.
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;

  bool operator==(const HardState&) const = default;
};

// The voters of the cluster. A whole set rather than a delta is stored in
// membership entries so that applying one is idempotent.
struct Membership {
  std::set<NodeId> voters;

  bool Contains(NodeId id) const { return voters.count(id) != 0; }
  bool operator==(const Membership&) const = default;
};

struct SnapshotMeta {
  Index index = 0;  // last entry covered by the snapshot
  Term term = 0;    // term of that entry
  Membership membership;  // voter set in force at `index`

  bool operator==(const SnapshotMeta&) const = default;
};

// The application's state as of meta.index, opaque to Raft.
struct Snapshot {
  SnapshotMeta meta;
  std::string data;

  bool operator==(const Snapshot&) const = default;
};

enum class MembershipChangeType : uint8_t { kAddNode, kRemoveNode };

struct MembershipChange {
  MembershipChangeType type = MembershipChangeType::kAddNode;
  NodeId node = kNoNode;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };

const char* RoleName(Role role);

}  // namespace kvd::cluster::raft
