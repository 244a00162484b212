// The topology as a replicated state machine. Every sentinel holds one
// TopologyStore and applies the committed Raft entries to it in log order;
// since Apply is deterministic (no clock, no randomness, no I/O) all nodes
// hold the same topology at the same log index. A rejected command (stale
// epoch, unknown group, ...) is a value returned by Apply - identical on
// every node - and leaves the store unchanged.
//
// Error codes of Apply/Check: InvalidArgument for malformed commands,
// NotFound for an unknown group or proxy, Aborted when the command conflicts
// with the current state (stale config epoch, group exists or still owns
// slots, slot migrating, ...).
//
// Watching: version() grows by one with every applied change. A client that
// knows version N asks ChangesSince(N) and gets the commands applied since,
// or waits with VersionWatchers (watch.h) until there are some.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/raft/types.h"
#include "cluster/topology/command.h"
#include "cluster/topology/model.h"
#include "common/status.h"

namespace kvd::cluster::topology {

struct Change {
  uint64_t version = 0;  // the store's version once this change was applied
  std::string command;   // the command, as EncodeCommand encodes it

  bool operator==(const Change&) const = default;
};

class TopologyStore {
 public:
  static constexpr size_t kDefaultHistory = 1024;

  // Keeps the last `history_limit` changes for ChangesSince.
  explicit TopologyStore(size_t history_limit = kDefaultHistory);

  // Applies a committed Raft entry: kNormal entries hold a command;
  // kNoop and kMembership entries change nothing. Entries at or below
  // applied_index() are skipped, so replaying the log after restoring a
  // snapshot is harmless. Returns the version after the entry.
  Result<uint64_t> ApplyEntry(const raft::Entry& entry);
  // Decodes and applies one command; returns the new version.
  Result<uint64_t> Apply(std::string_view command_json);
  Result<uint64_t> Apply(const Command& command);
  // What Apply would answer now, without applying: lets a proposer refuse
  // early (e.g. a stale epoch) instead of going through Raft.
  Status Check(const Command& command) const;

  // The whole state as JSON, including version() and applied_index().
  std::string Snapshot() const;
  // Replaces the state by a Snapshot(); all-or-nothing. The change history
  // restarts empty, so older versions get OutOfRange from ChangesSince.
  Status Restore(std::string_view snapshot_json);

  uint64_t version() const { return version_; }
  uint64_t applied_index() const { return applied_index_; }
  const Topology& topology() const { return topology_; }
  const Group* FindGroup(std::string_view name) const;
  const Proxy* FindProxy(std::string_view id) const;
  // The state of `slot`; slots >= kSlotCount read as unassigned.
  const SlotState& slot(uint16_t slot) const;

  // The changes after `version`, oldest first; empty when there are none yet
  // (also when `version` is ahead of this store, which is still catching up).
  // OutOfRange when some are no longer kept: re-read Snapshot() instead.
  Result<std::vector<Change>> ChangesSince(uint64_t version) const;

 private:
  // store_apply.cpp: the rules of each command.
  Status CheckCommand(const Command& command) const;
  void Mutate(const Command& command);
  Result<uint64_t> ApplyDecoded(const Command& command);

  Topology topology_;
  uint64_t version_ = 0;
  uint64_t applied_index_ = 0;
  std::deque<Change> history_;
  size_t history_limit_;
};

}  // namespace kvd::cluster::topology
