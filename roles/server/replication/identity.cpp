#include "roles/server/replication/identity.h"

#include <nlohmann/json.hpp>
#include <random>

#include "common/file_util.h"

namespace kvd::server::replication {

std::string NewReplicationId() {
  std::random_device device;
  std::mt19937_64 random((static_cast<uint64_t>(device()) << 32) ^ device());
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 40; ++i) id.push_back(kHex[random() % 16]);
  return id;
}

Identity ContinueHistory(const Identity& mine, const std::string& master_replid, uint64_t latest) {
  if (mine.replid == master_replid) return mine;
  return Identity{master_replid, mine.replid, latest};
}

Identity StartNewHistory(const Identity& mine, uint64_t latest) {
  return Identity{NewReplicationId(), mine.replid, latest};
}

namespace {
std::string IdentityPath(const std::string& db_dir) { return db_dir + "/kvd-replication.json"; }
}  // namespace

Result<Identity> LoadIdentity(const std::string& db_dir) {
  auto text = ReadWholeFile(IdentityPath(db_dir));
  if (!text.ok()) return text.status();
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("replid") || !json["replid"].is_string()) {
    return Status::Corruption("bad replication identity file " + IdentityPath(db_dir));
  }
  Identity identity;
  identity.replid = json["replid"].get<std::string>();
  if (json.contains("replid2") && json["replid2"].is_string()) identity.replid2 = json["replid2"].get<std::string>();
  if (json.contains("replid2_last") && json["replid2_last"].is_number_unsigned()) {
    identity.replid2_last = json["replid2_last"].get<uint64_t>();
  }
  return identity;
}

Status SaveIdentity(const std::string& db_dir, const Identity& identity) {
  nlohmann::json json = {{"replid", identity.replid}, {"replid2", identity.replid2},
                         {"replid2_last", identity.replid2_last}};
  return WriteFileAtomically(IdentityPath(db_dir), json.dump() + "\n");
}

PsyncDecision DecidePsync(const Identity& master, uint64_t master_latest, bool binlog_holds_next,
                          const std::string& replica_replid, uint64_t next_sequence,
                          std::optional<uint64_t> next_inside_batch_from) {
  std::optional<uint64_t> shared_last;
  if (!replica_replid.empty() && replica_replid == master.replid) {
    shared_last = master_latest;
  } else if (!replica_replid.empty() && replica_replid == master.replid2) {
    shared_last = master.replid2_last;
  }
  PsyncDecision decision;
  if (!shared_last || next_sequence == 0) return decision;  // an unrelated history: full sync
  uint64_t replica_last = next_sequence - 1;
  if (replica_last > *shared_last) {
    decision.diverged_after = *shared_last;
    return decision;
  }
  if (next_inside_batch_from && *next_inside_batch_from > 0) {
    decision.diverged_after = *next_inside_batch_from - 1;
    return decision;
  }
  decision.partial = binlog_holds_next;
  return decision;
}

}  // namespace kvd::server::replication
