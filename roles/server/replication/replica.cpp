#include "roles/server/replication/replica.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "roles/server/replication/stream_format.h"
#include "storage/binlog_stream.h"
#include "storage/checkpoint.h"
#include "storage/wal_reader.h"

namespace kvd::server::replication {

namespace {
namespace fs = std::filesystem;
using protocol::RespValue;

constexpr uint64_t kAckEveryMs = 100;
constexpr size_t kJoinBytes = 4 << 20;  // bounds one joined write on a replica
constexpr uint64_t kChunkBytes = 8 << 20;  // CHECKPOINT READ's largest reply
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);


std::string Describe(const Result<RespValue>& reply) {
  return reply.ok() ? reply->ToString() : reply.status().message();
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < line.size()) {
    size_t end = line.find(' ', start);
    if (end == std::string::npos) end = line.size();
    if (end > start) words.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

}  // namespace

Replica::Replica(storage::Engine& engine, LinkSettings settings, LinkHooks hooks)
    : engine_(engine), settings_(std::move(settings)), hooks_(std::move(hooks)) {
  thread_ = std::thread([this] { Run(); });
}

Replica::~Replica() {
  stopping_ = true;
  {
    std::lock_guard lock(mutex_);
    if (client_ != nullptr) client_->Shutdown();
  }
  stop_wakeup_.notify_all();
  thread_.join();
}

LinkStatus Replica::Status() const {
  std::lock_guard lock(mutex_);
  return LinkStatus{settings_.host, settings_.port, state_, up_.load(), sync_in_progress_.load(), last_io_ms_.load()};
}

void Replica::SetState(const char* state) {
  std::lock_guard lock(mutex_);
  state_ = state;
}

void Replica::Run() {
  storage::Engine::StopPerfCountersOfThisThread();
  KVD_LOG(kNotice) << "replicating from " << settings_.host << ":" << settings_.port;
  while (!Stopping()) {
    std::string why = Session();
    up_ = false;
    sync_in_progress_ = false;
    SetState("connect");
    if (Stopping()) break;
    KVD_LOG(kWarning) << "replication link to " << settings_.host << ":" << settings_.port << ": " << why
                      << "; reconnecting in 1 s";
    std::unique_lock lock(mutex_);
    stop_wakeup_.wait_for(lock, std::chrono::seconds(1), [this] { return Stopping(); });
  }
}

std::string Replica::Session() {
  protocol::RespClient client;
  client.SetTimeout(kHandshakeTimeout);
  {
    std::lock_guard lock(mutex_);
    state_ = "connecting";
    client_ = &client;
  }
  struct Detach {
    Replica* self;
    ~Detach() {
      std::lock_guard lock(self->mutex_);
      self->client_ = nullptr;
    }
  } detach{this};
  if (Stopping()) return "stopped";
  kvd::Status connected = client.Connect(settings_.host, settings_.port);
  if (!connected.ok()) return connected.message();
  if (!settings_.masterauth.empty()) {
    auto reply = client.Command({"AUTH", settings_.masterauth});
    if (!reply.ok() || reply->IsError()) return "AUTH failed: " + Describe(reply);
  }
  auto announced = client.Command({"REPLCONF", "listening-port", std::to_string(settings_.listening_port)});
  if (!announced.ok() || announced->IsError()) return "REPLCONF failed: " + Describe(announced);

  while (!Stopping()) {
    Identity mine = hooks_.identity();
    uint64_t latest = engine_.LatestSequence();
    auto reply = client.Command({"PSYNC", mine.replid.empty() ? "?" : mine.replid, std::to_string(latest + 1)});
    if (!reply.ok() || reply->type != RespValue::Type::kSimple) return "PSYNC failed: " + Describe(reply);
    std::vector<std::string> words = Words(reply->str);
    if (words.size() >= 2 && words[0] == "CONTINUE") {
      kvd::Status adopted = hooks_.set_identity(ContinueHistory(mine, words[1], latest));
      if (!adopted.ok()) return adopted.message();
      KVD_LOG(kNotice) << "partial sync from " << settings_.host << ":" << settings_.port << " at sequence "
                       << latest + 1;
      return Stream(client);
    }
    if (words.size() < 3 || words[0] != "FULLRESYNC") return "unexpected PSYNC answer: " + reply->str;
    if (words.size() >= 4) {
      uint64_t after = std::strtoull(words[3].c_str(), nullptr, 10);
      SaveDivergedWrites(after);
    } else if (mine.replid2 == words[1]) {
      // Our history parted from this master's (we were promoted, or wrote as
      // a writable replica) and it does not know ours: what we wrote after
      // the parting is not in its history either.
      SaveDivergedWrites(mine.replid2_last);
    }
    KVD_LOG(kNotice) << "full sync from " << settings_.host << ":" << settings_.port << " (we are at sequence "
                     << latest << ")";
    kvd::Status synced = FullSync(client, words[1]);
    sync_in_progress_ = false;
    if (!synced.ok()) return "full sync failed: " + synced.message();
  }
  return "stopped";
}

kvd::Status Replica::FullSync(protocol::RespClient& client, const std::string& replid) {
  SetState("sync");
  sync_in_progress_ = true;
  uint64_t started = SteadyNowMs();
  auto made = client.Command({"CHECKPOINT", "CREATE"});
  if (!made.ok()) return made.status();
  if (made->IsError() || made->type != RespValue::Type::kArray || made->elements.size() < 2 ||
      made->elements.size() % 2 != 0) {
    return kvd::Status::IOError("CHECKPOINT CREATE: " + made->ToString());
  }
  std::string id = made->elements[0].str;
  uint64_t sequence = static_cast<uint64_t>(made->elements[1].integer);
  uint64_t created = SteadyNowMs();
  std::string staging = engine_.data_dir() + "/fullsync";
  std::error_code error;
  fs::remove_all(staging, error);
  fs::create_directories(staging + "/db", error);
  if (error) return kvd::Status::IOError("cannot create " + staging + ": " + error.message());
  uint64_t bytes = 0;
  kvd::Status fetched = kvd::Status::Ok();
  for (size_t i = 2; i + 1 < made->elements.size() && fetched.ok(); i += 2) {
    const std::string& name = made->elements[i].str;
    uint64_t size = static_cast<uint64_t>(made->elements[i + 1].integer);
    if (!storage::IsPlainFileName(name)) {
      fetched = kvd::Status::Corruption("bad file name in checkpoint: " + name);
      break;
    }
    fetched = FetchFile(client, id, name, size, staging + "/db/" + name);
    bytes += size;
  }
  if (fetched.ok()) fetched = FsyncPath(staging + "/db");
  if (!fetched.ok()) {
    // The connection may still owe replies: the caller drops it, and the
    // master sweeps the abandoned checkpoint.
    fs::remove_all(staging, error);
    return fetched;
  }
  auto dropped = client.Command({"CHECKPOINT", "DROP", id});
  if (!dropped.ok()) return dropped.status();
  uint64_t fetched_at = SteadyNowMs();
  Identity identity{replid, "", 0};
  KVD_RETURN_IF_ERROR(SaveIdentity(staging + "/db", identity));
  KVD_RETURN_IF_ERROR(hooks_.replace_database(staging + "/db", identity));
  fs::remove_all(staging, error);
  uint64_t done = SteadyNowMs();
  KVD_LOG(kNotice) << "full sync done: " << bytes << " bytes at sequence " << sequence << " in " << done - started
                   << " ms (checkpoint " << created - started << " ms, transfer " << fetched_at - created
                   << " ms, swap " << done - fetched_at << " ms); now at sequence " << engine_.LatestSequence();
  return kvd::Status::Ok();
}

kvd::Status Replica::FetchFile(protocol::RespClient& client, const std::string& id, const std::string& name,
                               uint64_t size, const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return kvd::Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  // A few reads in flight keep the master's disk and the network busy while
  // this side writes the previous chunk.
  constexpr int kInFlight = 4;
  kvd::Status status = kvd::Status::Ok();
  uint64_t requested = 0, received = 0;
  int pending = 0;
  while (received < size && status.ok()) {
    while (pending < kInFlight && requested < size && status.ok()) {
      status = client.SendRaw(protocol::EncodeCommand(
          {"CHECKPOINT", "READ", id, name, std::to_string(requested), std::to_string(kChunkBytes)}));
      requested += std::min<uint64_t>(kChunkBytes, size - requested);
      ++pending;
    }
    if (!status.ok()) break;
    // Each chunk goes from the socket to the file in pieces (no 8 MB copy),
    // never past the size the checkpoint listed for the file.
    uint64_t written = received;
    auto chunk = client.ReadBulkInto([&](std::string_view piece) {
      if (written + piece.size() > size) return kvd::Status::IOError("more bytes than the file's listed size");
      written += piece.size();
      return WriteAll(fd, piece, path);
    });
    --pending;
    if (!chunk.ok()) {
      status = kvd::Status::IOError("CHECKPOINT READ " + name + ": " + chunk.status().message());
    } else if (*chunk == 0) {
      status = kvd::Status::IOError("CHECKPOINT READ " + name + ": the file ended early");
    } else {
      received += *chunk;
      last_io_ms_ = SystemClock::Instance()->NowMs();
    }
    if (Stopping()) status = kvd::Status::Aborted("stopped");
  }
  // Replies still owed on this connection (after an error) make it unusable: the caller drops it.
  if (status.ok() && ::fsync(fd) != 0) status = kvd::Status::IOError("fsync " + path + ": " + std::strerror(errno));
  ::close(fd);
  return status;
}

std::string Replica::Stream(protocol::RespClient& client) {
  SetState("connected");
  up_ = true;
  last_io_ms_ = SystemClock::Instance()->NowMs();
  client.SetTimeout(std::chrono::milliseconds(settings_.timeout_ms));
  uint64_t last_heard = SteadyNowMs();
  uint64_t last_ack = 0;
  // What arrived in one read is written with one RocksDB write.
  storage::BatchJoiner joined;
  auto write_joined = [&]() -> kvd::Status {
    if (joined.empty()) return kvd::Status::Ok();
    uint64_t sequence = joined.sequence();
    return engine_.ApplyReplicated(sequence, joined.Take());
  };
  while (!Stopping()) {
    auto readable = client.WaitReadable(std::chrono::milliseconds(kAckEveryMs));
    if (!readable.ok()) return readable.status().message();
    bool applied = false;
    if (*readable) {
      do {
        auto frame = client.ReadReply();
        if (!frame.ok()) return frame.status().message();
        last_heard = SteadyNowMs();
        last_io_ms_ = SystemClock::Instance()->NowMs();
        uint64_t sequence = 0;
        std::string data;
        if (ParseBatchFrame(*frame, &sequence, &data)) {
          kvd::Status written = kvd::Status::Ok();
          if (joined.bytes() > kJoinBytes || !joined.Add(sequence, data)) {
            written = write_joined();
            if (written.ok() && !joined.Add(sequence, data)) written = engine_.ApplyReplicated(sequence, std::move(data));
          }
          if (!written.ok()) return "cannot apply the master's batch: " + written.message();
          applied = true;
        } else if (!IsHeartbeatFrame(*frame)) {
          return "unexpected frame from the master: " + frame->ToString();
        }
      } while (client.buffered() > 0);
      kvd::Status written = write_joined();
      if (!written.ok()) return "cannot apply the master's batch: " + written.message();
    }
    if (applied) {
      // Acknowledge only what is committed here as durably as our fsync policy says.
      kvd::Status durable = engine_.MakeDurable();
      if (!durable.ok()) return "cannot make replicated writes durable: " + durable.message();
    }
    uint64_t now = SteadyNowMs();
    if (applied || now - last_ack >= kAckEveryMs) {
      kvd::Status sent = client.SendRaw(AckFrame(engine_.LatestSequence()));
      if (!sent.ok()) return sent.message();
      last_ack = now;
    }
    if (now - last_heard > settings_.timeout_ms) return "no data from the master for " + std::to_string(settings_.timeout_ms) + " ms";
  }
  return "stopped";
}

void Replica::SaveDivergedWrites(uint64_t after_sequence) {
  uint64_t latest = engine_.LatestSequence();
  if (latest <= after_sequence) return;
  std::string path = engine_.data_dir() + "/diverged-" + std::to_string(SystemClock::Instance()->NowMs()) + "-after-" +
                     std::to_string(after_sequence) + ".resp";
  auto reader = storage::BinlogReader::Open(engine_.data_dir());
  if (!reader.ok()) {
    KVD_LOG(kWarning) << "diverged history: cannot read our binlog to save writes after sequence " << after_sequence
                      << ": " << reader.status().message();
    return;
  }
  (void)(*reader)->SkipFilesBefore(after_sequence + 1);
  std::ofstream out(path, std::ios::binary);
  size_t saved = 0;
  int db = -1;
  storage::WalBatch batch;
  while (true) {
    auto more = (*reader)->Next(&batch);
    if (!more.ok() || !*more) break;
    if (batch.sequence <= after_sequence) continue;
    for (const auto& entry : batch.records) {
      out << protocol::EncodeCommandInDb(entry.record.db, entry.record.args, &db);
      ++saved;
    }
  }
  out.flush();
  KVD_LOG(kWarning) << "diverged history: this server holds writes after sequence " << after_sequence
                    << " (up to " << latest << ") that the master never had; " << saved
                    << " commands saved to " << path
                    << " (replayable with redis-cli --pipe) before the full sync replaces the data";
}

}  // namespace kvd::server::replication
