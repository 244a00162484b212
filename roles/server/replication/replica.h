// The replica side of replication: one thread that keeps a link to the
// master. Its states, in order:
//
//   connecting  -> handshake (AUTH, REPLCONF listening-port, PSYNC)
//   PSYNC answered +CONTINUE      -> streaming
//   PSYNC answered +FULLRESYNC    -> full sync: save diverged writes if the
//                                    master says we have some, fetch a checkpoint
//                                    of the master as files, swap it in, PSYNC again
//   streaming   -> apply each batch at the master's sequence, acknowledge
//                  after each read and every 100 ms
//   any error   -> connecting again after a second
//
// While it streams, the replica's data is a prefix of the master's history,
// sequence for sequence.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "protocol/resp_client.h"
#include "roles/server/replication/identity.h"
#include "storage/engine.h"

namespace kvd::server::replication {

struct LinkSettings {
  std::string host;
  uint16_t port = 0;
  std::string masterauth;
  uint16_t listening_port = 0;  // ours, announced to the master
  uint64_t timeout_ms = 60'000; // master silent this long: reconnect
};

struct LinkStatus {
  std::string host;
  uint16_t port = 0;
  std::string state;            // connect, connecting, sync, connected
  bool up = false;
  bool sync_in_progress = false;
  uint64_t last_io_ms = 0;      // wall clock of the last byte from the master
};

// What the link needs from the rest of the server.
struct LinkHooks {
  std::function<Identity()> identity;
  std::function<Status(const Identity&)> set_identity;
  // Swaps in a fetched database; the server parks its io threads meanwhile.
  std::function<Status(const std::string& new_db_dir, const Identity& identity)> replace_database;
};

class Replica {
 public:
  Replica(storage::Engine& engine, LinkSettings settings, LinkHooks hooks);
  ~Replica();  // stops the link
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  LinkStatus Status() const;

 private:
  void Run();
  // One connection's life; returns why it ended.
  std::string Session();
  std::string Stream(protocol::RespClient& client);
  kvd::Status FullSync(protocol::RespClient& client, const std::string& replid);
  kvd::Status FetchFile(protocol::RespClient& client, const std::string& id, const std::string& name, uint64_t size,
                        const std::string& path);
  void SaveDivergedWrites(uint64_t after_sequence);
  void SetState(const char* state);
  bool Stopping() const { return stopping_.load(); }

  storage::Engine& engine_;
  LinkSettings settings_;
  LinkHooks hooks_;
  mutable std::mutex mutex_;
  std::condition_variable stop_wakeup_;
  std::string state_ = "connect";  // guarded by mutex_
  protocol::RespClient* client_ = nullptr;  // guarded by mutex_: shut down to stop at once
  std::atomic<bool> up_{false};
  std::atomic<bool> sync_in_progress_{false};
  std::atomic<uint64_t> last_io_ms_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace kvd::server::replication
