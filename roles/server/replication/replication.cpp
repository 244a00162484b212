#include "roles/server/replication/replication.h"

#include <filesystem>

#include "common/logging.h"
#include "storage/binlog_stream.h"

namespace kvd::server::replication {

Result<Mode> ParseMode(std::string_view name) {
  if (name == "async") return Mode::kAsync;
  if (name == "semi-sync") return Mode::kSemiSync;
  if (name == "sync") return Mode::kSync;
  return Status::InvalidArgument("replication-mode must be one of async, semi-sync, sync");
}

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kAsync: return "async";
    case Mode::kSemiSync: return "semi-sync";
    case Mode::kSync: return "sync";
  }
  return "async";
}

Replication::Replication(storage::Engine& engine) : engine_(engine), master_(engine) {
  engine_.SetWalFlushedHook([this] { master_.NotifyWritten(); });
}

Replication::~Replication() {
  StopLink();
  master_.DisconnectAll();
  engine_.SetWalFlushedHook(nullptr);
}

Status Replication::Init() {
  // A full sync cut short by a crash leaves its download behind.
  std::error_code ignored;
  std::filesystem::remove_all(engine_.data_dir() + "/fullsync", ignored);
  auto loaded = LoadIdentity(engine_.DbDir());
  if (loaded.ok()) {
    std::lock_guard lock(identity_mutex_);
    identity_ = *loaded;
    return Status::Ok();
  }
  if (!loaded.status().Is(Status::Code::kNotFound)) return loaded.status();
  return SetIdentity(Identity{NewReplicationId(), "", 0});
}

Identity Replication::identity() const {
  std::lock_guard lock(identity_mutex_);
  return identity_;
}

Status Replication::SetIdentity(const Identity& identity) {
  std::lock_guard lock(identity_mutex_);
  if (identity.replid == identity_.replid && identity.replid2 == identity_.replid2 &&
      identity.replid2_last == identity_.replid2_last) {
    return Status::Ok();
  }
  KVD_RETURN_IF_ERROR(SaveIdentity(engine_.DbDir(), identity));
  identity_ = identity;
  return Status::Ok();
}

Status Replication::ForkForLocalWrite() {
  if (forked_locally_.load()) return Status::Ok();  // the usual case: one load per write
  // Writes of two io threads: one forks, the other waits until the fork is saved.
  std::lock_guard lock(fork_mutex_);
  if (forked_locally_.load()) return Status::Ok();
  Identity forked = StartNewHistory(identity(), engine_.LatestSequence());
  KVD_RETURN_IF_ERROR(SetIdentity(forked));
  forked_locally_ = true;
  // Our replicas streamed under the id we just left: reconnected, they learn
  // the new one (+CONTINUE) before the local write reaches them, so that a
  // later full sync of ours is seen as a new history and not continued.
  master_.DisconnectAll();
  KVD_LOG(kWarning) << "a write on this writable replica: its data now parts from the master's after sequence "
                    << forked.replid2_last << "; at the master's next write its own writes are saved to a "
                    << "diverged-*.resp file and it syncs fully";
  return Status::Ok();
}

Status Replication::Follow(LinkSettings settings) {
  std::lock_guard role(role_mutex_);
  StopLink();
  // Our own replicas must follow the new history from its start.
  master_.DisconnectAll();
  LinkHooks hooks;
  hooks.identity = [this] { return identity(); };
  hooks.set_identity = [this](const Identity& identity) {
    forked_locally_ = false;
    return SetIdentity(identity);
  };
  hooks.replace_database = [this](const std::string& dir, const Identity& identity) {
    forked_locally_ = false;
    return ReplaceDatabase(dir, identity);
  };
  {
    std::lock_guard lock(link_mutex_);
    replica_ = std::make_unique<Replica>(engine_, std::move(settings), std::move(hooks));
  }
  replica_active_ = true;
  if (role_hook_) role_hook_(true);
  return Status::Ok();
}

void Replication::BecomeMaster() {
  std::lock_guard role(role_mutex_);
  if (!replica_active_.load()) return;
  StopLink();
  replica_active_ = false;
  Status saved = SetIdentity(StartNewHistory(identity(), engine_.LatestSequence()));
  if (!saved.ok()) KVD_LOG(kWarning) << "saving the new replication id: " << saved.message();
  // As Redis does on promotion: our replicas reconnect and learn the new id.
  master_.DisconnectAll();
  KVD_LOG(kNotice) << "now a master; new replication id " << identity().replid << ", continuing at sequence "
                   << engine_.LatestSequence() + 1;
  if (role_hook_) role_hook_(false);
}

void Replication::Stop() {
  std::lock_guard role(role_mutex_);
  StopLink();
  master_.DisconnectAll();
}

void Replication::StopLink() {
  std::unique_ptr<Replica> stopping;
  {
    std::lock_guard lock(link_mutex_);
    stopping.swap(replica_);
  }
  stopping.reset();  // joins the link thread outside link_mutex_
}

std::optional<LinkStatus> Replication::Link() const {
  std::lock_guard lock(link_mutex_);
  if (replica_ == nullptr) return std::nullopt;
  return replica_->Status();
}

Status Replication::ReplaceDatabase(const std::string& new_db_dir, const Identity& identity) {
  Status result;
  auto swap = [&] {
    master_.DisconnectAll();
    result = engine_.ReplaceDatabase(new_db_dir);
    if (result.ok()) {
      std::lock_guard lock(identity_mutex_);
      identity_ = identity;  // saved with the new database's files
    }
  };
  if (pause_io_) {
    pause_io_(swap);
  } else {
    swap();
  }
  if (result.ok() && replaced_hook_) replaced_hook_();
  return result;
}

PsyncDecision Replication::DecidePsync(const std::string& replica_replid, uint64_t next_sequence) {
  uint64_t latest = engine_.LatestSequence();
  storage::BinlogStream::Hold hold = storage::BinlogStream::Find(engine_.data_dir(), next_sequence, latest);
  return replication::DecidePsync(identity(), latest, hold.streams, replica_replid, next_sequence,
                                  hold.inside_batch_from);
}

bool Replication::SemiSyncDegraded() {
  if (!degraded_.load(std::memory_order_relaxed)) return false;
  std::lock_guard lock(semi_sync_mutex_);
  if (!degraded_at_) return false;
  if (master_.AckedAtLeast(*degraded_at_) >= policy_.min_acks.load()) {
    KVD_LOG(kNotice) << "semi-sync: replicas caught up with sequence " << *degraded_at_ << "; back to semi-sync";
    degraded_at_.reset();
    degraded_ = false;
    return false;
  }
  return true;
}

void Replication::NoteSemiSyncTimeout(uint64_t sequence) {
  semi_sync_timeouts_.fetch_add(1);
  std::lock_guard lock(semi_sync_mutex_);
  if (degraded_at_) return;
  degraded_at_ = sequence;
  degraded_ = true;
  KVD_LOG(kWarning) << "semi-sync: no acknowledgement from " << policy_.min_acks.load() << " replicas within "
                    << policy_.ack_timeout_ms.load() << " ms for sequence " << sequence
                    << "; falling back to async until they catch up";
}

}  // namespace kvd::server::replication
