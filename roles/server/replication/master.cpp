#include "roles/server/replication/master.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/clock.h"
#include "common/logging.h"
#include "protocol/resp_client.h"
#include "protocol/resp_value.h"
#include "roles/server/replication/stream_format.h"
#include "storage/binlog_stream.h"

namespace kvd::server::replication {

namespace {
constexpr size_t kRefillBelow = 256 * 1024;   // read more binlog when less than this waits to be sent
constexpr size_t kReadBatchBytes = 1 << 20;   // binlog read per refill: bounds the send buffer
constexpr uint64_t kHeartbeatMs = 1000;       // a replica measures master_last_io from these
constexpr uint64_t kSilentReplicaMs = 60'000; // no ACK for this long: the replica is gone
// Without anyone waiting for acknowledgements a feeder reads the binlog at
// most once per this interval: each wake-up costs several system calls, and
// waking for every flush of a busy master cost it a tenth of its CPU; 5 ms
// against 1 ms saved the master 1.2 µs of CPU per SET (bench/HISTORY.md).
constexpr int kGatherMs = 5;
}  // namespace

// One replica: a thread that streams the binlog to its socket and reads its
// acknowledgements from it, in one poll loop.
class Feeder {
 public:
  Feeder(Master& master, storage::Engine& engine, uint64_t id, int fd, std::string ip, uint16_t port,
         uint64_t next_sequence, std::string greeting)
      : master_(master),
        engine_(engine),
        id_(id),
        fd_(fd),
        wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        ip_(std::move(ip)),
        port_(port),
        stream_(engine.data_dir(), next_sequence),
        out_(std::move(greeting)) {
    acked_ = next_sequence - 1;
    last_ack_ms_ = SteadyNowMs();
    thread_ = std::thread([this] { Run(); });
  }
  ~Feeder() {
    Stop();
    if (thread_.joinable()) thread_.join();
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  // New writes: wakes the feeder when it sleeps with nothing to send.
  void Wake() {
    if (idle_.load()) Signal();
  }
  // Someone waits for acknowledgements: ends a gathering pause. (Their writes
  // already woke an idle feeder; signalling again cost a wake-up per group.)
  void Hurry() {
    if (gathering_.load()) Signal();
  }
  void Stop() {
    stopping_ = true;
    Signal();
  }
  ReplicaView View() const {
    return ReplicaView{id_, ip_, port_, acked_.load(), last_ack_wall_ms_.load()};
  }
  uint64_t id() const { return id_; }
  uint64_t acked() const { return acked_.load(); }
  uint64_t last_ack_ms() const { return last_ack_ms_.load(); }

 private:
  void Run() {
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    std::string reason = Loop();
    KVD_LOG(kNotice) << "replica " << ip_ << ":" << port_ << " disconnected: " << reason;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    master_.OnFeederExit(id_);
  }

  // Returns why the link ended.
  std::string Loop() {
    uint64_t last_send_ms = SteadyNowMs();
    while (!stopping_) {
      if (out_.size() - sent_ < kRefillBelow) {
        if (!master_.AcksAwaited()) GatherWrites();
        Status refilled = Refill();
        if (!refilled.ok()) return refilled.message();
      }
      bool pending = sent_ < out_.size();
      uint64_t now = SteadyNowMs();
      if (!pending && now - last_send_ms >= kHeartbeatMs) {
        out_ += HeartbeatFrame();
        pending = true;
      }
      if (now - last_ack_ms_.load() > kSilentReplicaMs) return "no acknowledgement for 60 s";
      if (!pending) {
        // Announce that we sleep, then look once more: a write flushed
        // before the announcement is seen now, one after it wakes us.
        idle_ = true;
        Status refilled = Refill();
        if (!refilled.ok()) return refilled.message();
        pending = sent_ < out_.size();
        if (pending) idle_ = false;
      }
      pollfd fds[2] = {{fd_, static_cast<short>(POLLIN | (pending ? POLLOUT : 0)), 0}, {wake_fd_, POLLIN, 0}};
      int wait_ms = pending ? 1000 : static_cast<int>(kHeartbeatMs - std::min(kHeartbeatMs, now - last_send_ms));
      int ready = ::poll(fds, 2, std::max(wait_ms, 1));
      idle_ = false;
      if (ready < 0 && errno != EINTR) return std::string("poll: ") + std::strerror(errno);
      if (fds[1].revents & POLLIN) ClearWakeUps();
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        std::string error = ReadAcks();
        if (!error.empty()) return error;
      }
      if (fds[0].revents & POLLOUT) {
        std::string error = Send();
        if (!error.empty()) return error;
        last_send_ms = SteadyNowMs();
      }
    }
    return "stopped";
  }

  // Lets writes accumulate until kGatherMs after the previous refill; an
  // acknowledgement that arrives meanwhile is read, a Hurry() ends the wait.
  void GatherWrites() {
    uint64_t since = SteadyNowMs() - last_refill_ms_;
    if (since >= static_cast<uint64_t>(kGatherMs)) return;
    // Announce the pause, then look once more: a waiter that came before the
    // announcement is seen now, one after it signals us (both sequentially consistent).
    gathering_ = true;
    if (!master_.AcksAwaited()) {
      pollfd fds[1] = {{wake_fd_, POLLIN, 0}};
      if (::poll(fds, 1, kGatherMs - static_cast<int>(since)) > 0) ClearWakeUps();
    }
    gathering_ = false;
  }

  void Signal() {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  }

  void ClearWakeUps() {
    uint64_t count;
    ssize_t ignored = ::read(wake_fd_, &count, sizeof(count));
    (void)ignored;
  }

  Status Refill() {
    last_refill_ms_ = SteadyNowMs();
    std::vector<storage::StreamedBatch> batches;
    Status read = stream_.Read(kReadBatchBytes, engine_.LatestSequence(), &batches);
    if (!read.ok()) return read;
    if (sent_ > 0 && sent_ == out_.size()) {
      out_.clear();
      sent_ = 0;
    }
    for (const auto& batch : batches) out_ += BatchFrame(batch.sequence, batch.data);
    return Status::Ok();
  }

  std::string Send() {
    while (sent_ < out_.size()) {
      ssize_t n = ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::string("send: ") + std::strerror(errno);
      sent_ += static_cast<size_t>(n);
    }
    if (sent_ == out_.size()) {
      out_.clear();
      sent_ = 0;
    } else if (sent_ > (4u << 20)) {
      out_.erase(0, sent_);
      sent_ = 0;
    }
    return {};
  }

  std::string ReadAcks() {
    char chunk[4096];
    while (true) {
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n == 0) return "closed by the replica";
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::string("recv: ") + std::strerror(errno);
      in_.append(chunk, static_cast<size_t>(n));
      if (in_.size() > (1u << 20)) return "replica sent too much";
    }
    size_t used = 0;
    while (used < in_.size()) {
      protocol::RespValue frame;
      Result<size_t> got = protocol::ParseReply(std::string_view(in_).substr(used), &frame);
      if (!got.ok()) return "bad frame from the replica: " + got.status().message();
      if (*got == 0) break;
      used += *got;
      uint64_t sequence = 0;
      if (ParseAckFrame(frame, &sequence)) {
        acked_ = std::max(acked_.load(), sequence);
        last_ack_ms_ = SteadyNowMs();
        last_ack_wall_ms_ = SystemClock::Instance()->NowMs();
        master_.OnAck(id_, sequence);
      }
    }
    in_.erase(0, used);
    return {};
  }

  Master& master_;
  storage::Engine& engine_;
  uint64_t id_;
  int fd_;
  int wake_fd_;
  std::string ip_;
  uint16_t port_;
  storage::BinlogStream stream_;
  std::string out_;
  size_t sent_ = 0;
  std::string in_;
  uint64_t last_refill_ms_ = 0;  // steady clock
  std::atomic<bool> idle_{false};
  std::atomic<bool> gathering_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> acked_{0};
  std::atomic<uint64_t> last_ack_ms_{0};      // steady clock
  std::atomic<uint64_t> last_ack_wall_ms_{0};  // for INFO's lag
  std::thread thread_;
};

Master::Master(storage::Engine& engine) : engine_(engine) {
  timer_ = std::thread([this] { TimerLoop(); });
}

Master::~Master() {
  DisconnectAll();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  timer_wakeup_.notify_all();
  timer_.join();
}

void Master::Attach(int fd, std::string ip, uint16_t port, uint64_t next_sequence, std::string greeting) {
  std::lock_guard lock(mutex_);
  uint64_t id = next_id_++;
  KVD_LOG(kNotice) << "replica " << ip << ":" << port << " streams from sequence " << next_sequence;
  feeders_.push_back(std::make_unique<Feeder>(*this, engine_, id, fd, std::move(ip), port, next_sequence,
                                              std::move(greeting)));
  feeder_count_ = feeders_.size();
}

void Master::NotifyWritten() {
  if (feeder_count_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lock(mutex_);
  for (auto& feeder : feeders_) feeder->Wake();
}

void Master::DisconnectAll() {
  std::list<std::unique_ptr<Feeder>> stopping;
  {
    std::lock_guard lock(mutex_);
    stopping.swap(feeders_);
    exited_.clear();
    feeder_count_ = 0;
  }
  for (auto& feeder : stopping) feeder->Stop();
  stopping.clear();  // joins their threads (they may call OnFeederExit, which only takes the lock)
}

std::vector<ReplicaView> Master::Replicas() const {
  std::lock_guard lock(mutex_);
  std::vector<ReplicaView> views;
  for (const auto& feeder : feeders_) views.push_back(feeder->View());
  return views;
}

size_t Master::Healthy(uint64_t max_lag_ms) const {
  std::lock_guard lock(mutex_);
  uint64_t now = SteadyNowMs();
  size_t healthy = 0;
  for (const auto& feeder : feeders_) {
    if (AckedWithin(feeder->last_ack_ms(), now, max_lag_ms)) ++healthy;
  }
  return healthy;
}

size_t Master::AckedAtLeastLocked(uint64_t sequence) const {
  size_t count = 0;
  for (const auto& feeder : feeders_) {
    if (feeder->acked() >= sequence) ++count;
  }
  return count;
}

size_t Master::AckedAtLeast(uint64_t sequence) const {
  std::lock_guard lock(mutex_);
  return AckedAtLeastLocked(sequence);
}

void Master::WaitForAcks(uint64_t sequence, size_t needed, uint64_t timeout_ms, std::function<void(size_t)> done) {
  uint64_t deadline_ms = timeout_ms == 0 ? 0 : SteadyNowMs() + timeout_ms;
  std::unique_lock lock(mutex_);
  size_t acked = AckedAtLeastLocked(sequence);
  if (acked >= needed) {
    lock.unlock();
    return done(acked);
  }
  waiters_.push_back(Waiter{sequence, needed, deadline_ms, std::move(done)});
  waiter_count_ = waiters_.size();
  for (auto& feeder : feeders_) feeder->Hurry();
  // Waking the timer for every waiting group cost a context switch per
  // group; it only needs to hear of a deadline before the one it sleeps to.
  bool earlier_deadline = deadline_ms != 0 && deadline_ms < timer_due_ms_;
  lock.unlock();
  if (earlier_deadline) timer_wakeup_.notify_all();
}

void Master::OnAck(uint64_t, uint64_t) {
  std::unique_lock lock(mutex_);
  if (waiters_.empty()) return;
  ReleaseSatisfied(lock);
}

void Master::ReleaseSatisfied(std::unique_lock<std::mutex>& lock) {
  uint64_t now = SteadyNowMs();
  std::vector<std::pair<std::function<void(size_t)>, size_t>> ready;
  for (size_t i = 0; i < waiters_.size();) {
    size_t acked = AckedAtLeastLocked(waiters_[i].sequence);
    bool expired = waiters_[i].deadline_ms != 0 && now >= waiters_[i].deadline_ms;
    if (acked >= waiters_[i].needed || expired) {
      ready.emplace_back(std::move(waiters_[i].done), acked);
      waiters_[i] = std::move(waiters_.back());
      waiters_.pop_back();
      waiter_count_ = waiters_.size();
    } else {
      ++i;
    }
  }
  lock.unlock();
  for (auto& [done, acked] : ready) done(acked);
  lock.lock();
}

void Master::OnFeederExit(uint64_t replica_id) {
  {
    std::lock_guard lock(mutex_);
    exited_.push_back(replica_id);
  }
  timer_wakeup_.notify_all();
}

void Master::ReapExited() {
  std::list<std::unique_ptr<Feeder>> gone;
  {
    std::lock_guard lock(mutex_);
    for (uint64_t id : exited_) {
      for (auto it = feeders_.begin(); it != feeders_.end(); ++it) {
        if ((*it)->id() == id) {
          gone.splice(gone.end(), feeders_, it);
          break;
        }
      }
    }
    exited_.clear();
    feeder_count_ = feeders_.size();
  }
  gone.clear();  // joins outside the lock
}

// Expires WAIT / semi-sync deadlines and joins feeders that ended.
void Master::TimerLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    uint64_t now = SteadyNowMs();
    uint64_t next = now + 100;
    for (const auto& waiter : waiters_) {
      if (waiter.deadline_ms != 0) next = std::min(next, waiter.deadline_ms);
    }
    timer_due_ms_ = next;
    timer_wakeup_.wait_for(lock, std::chrono::milliseconds(next > now ? next - now : 0));
    if (!exited_.empty()) {
      lock.unlock();
      ReapExited();
      lock.lock();
    }
    if (!waiters_.empty()) ReleaseSatisfied(lock);
  }
}

}  // namespace kvd::server::replication
