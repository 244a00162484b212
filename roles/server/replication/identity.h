// Which history a server's data belongs to, and the pure rule a master uses
// to answer a replica's PSYNC.
//
// Offsets are RocksDB sequence numbers. A replica starts from a checkpoint of
// its master and then writes exactly the master's batches, so a sequence
// number names the same write on the master and on all of its replicas, and
// it survives restarts and promotion. A sequence alone cannot tell histories
// apart, though: after a failover the old master may hold writes numbered
// like the new master's but different. So, as in Redis's PSYNC2, each history
// has a random replication id; a promoted replica starts a new id and
// remembers the previous one with the last sequence the two share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace kvd::server::replication {

struct Identity {
  std::string replid;          // the history this data belongs to
  std::string replid2;         // the history it continued from ("" when none)
  uint64_t replid2_last = 0;   // last sequence shared with replid2's history
};

std::string NewReplicationId();  // 40 random hex digits

// A replica that adopts its master's history after a PSYNC answer: keeps
// its old id as replid2 when its data up to `latest` belongs to both.
Identity ContinueHistory(const Identity& mine, const std::string& master_replid, uint64_t latest);
// A replica promoted to master starts a new history that shares everything so far.
Identity StartNewHistory(const Identity& mine, uint64_t latest);

// The identity is kept as DATA/db/kvd-replication.json, inside the database
// directory, so that a database swap (full sync) replaces data and identity together.
Result<Identity> LoadIdentity(const std::string& db_dir);  // NotFound when there is none
Status SaveIdentity(const std::string& db_dir, const Identity& identity);

struct PsyncDecision {
  bool partial = false;
  // Set when the replica holds writes this master never had (a diverged
  // history): the last sequence the two share. Its writes after it are lost
  // by the full sync, so the replica saves them first.
  std::optional<uint64_t> diverged_after;
};

// `binlog_holds_next`: the master's binlog can stream from `next_sequence`.
// `next_inside_batch_from`: `next_sequence` falls inside a batch of the
// master's binlog that starts there, so the replica holds other writes at
// those sequences.
PsyncDecision DecidePsync(const Identity& master, uint64_t master_latest, bool binlog_holds_next,
                          const std::string& replica_replid, uint64_t next_sequence,
                          std::optional<uint64_t> next_inside_batch_from = std::nullopt);

}  // namespace kvd::server::replication
