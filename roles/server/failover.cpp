#include "roles/server/failover.h"

#include <chrono>

#include "common/logging.h"
#include "protocol/resp_client.h"
#include "roles/server/context.h"

namespace kvd::server {

Status FollowMaster(ServerContext& server, const std::string& host, uint16_t port) {
  ServerConfig config = server.config.Snapshot();
  replication::LinkSettings settings;
  settings.host = host;
  settings.port = port;
  settings.masterauth = config.masterauth;
  settings.listening_port = server.port;
  settings.timeout_ms = static_cast<uint64_t>(config.repl_timeout) * 1000;
  return server.replication.Follow(std::move(settings));
}

Failover::~Failover() {
  Abort();
  if (thread_.joinable()) thread_.join();
}

void Failover::Start(replication::FailoverPlan plan) {
  if (thread_.joinable()) thread_.join();  // the last one has finished (InProgress was false)
  {
    std::lock_guard lock(mutex_);
    abort_ = false;
  }
  state_ = State::kWaitingForSync;
  uint64_t now = server_.engine.NowMs();
  server_.pause.Pause(now, UINT64_MAX, PauseScope::kWrite, PauseCause::kFailover);
  thread_ = std::thread([this, plan = std::move(plan)] { Run(plan); });
}

bool Failover::Abort() {
  if (state_.load() == State::kNone) return false;
  {
    std::lock_guard lock(mutex_);
    abort_ = true;
  }
  wakeup_.notify_all();
  return true;
}

const char* Failover::StateName() const {
  switch (state_.load()) {
    case State::kNone: return "no-failover";
    case State::kWaitingForSync: return "waiting-for-sync";
    case State::kInProgress: return "failover-in-progress";
  }
  return "no-failover";
}

void Failover::Run(replication::FailoverPlan plan) {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      // Acknowledgements arrive at least every 100 ms; a few checks in between are cheap.
      wakeup_.wait_for(lock, std::chrono::milliseconds(10), [this] { return abort_; });
      if (abort_) return Finish("FAILOVER aborted: Failover manually aborted");
    }
    replication::FailoverStep step = replication::DecideFailover(
        plan, server_.replication.master().Replicas(), server_.engine.LatestSequence(), server_.engine.NowMs());
    if (step.kind == replication::FailoverStep::Kind::kWait) continue;
    if (step.kind == replication::FailoverStep::Kind::kAbort) return Finish("FAILOVER aborted: " + step.reason);
    KVD_LOG(kNotice) << "FAILOVER: " << step.reason << "; handing over to " << step.host << ":" << step.port;
    state_ = State::kInProgress;
    Status handed = HandOver(step.host, step.port);
    return Finish(handed.ok() ? "FAILOVER to " + step.host + ":" + std::to_string(step.port) + " succeeded"
                              : "FAILOVER aborted: " + handed.message());
  }
}

Status Failover::HandOver(const std::string& host, uint16_t port) {
  ServerConfig config = server_.config.Snapshot();
  protocol::RespClient target;
  target.SetTimeout(std::chrono::milliseconds(static_cast<uint64_t>(config.repl_timeout) * 1000));
  KVD_RETURN_IF_ERROR(target.Connect(host, port));
  if (!config.masterauth.empty()) {
    auto auth = target.Command({"AUTH", config.masterauth});
    if (!auth.ok()) return auth.status();
    if (auth->IsError()) return Status::Aborted("the target refused AUTH: " + auth->str);
  }
  auto promoted = target.Command({"REPLICAOF", "NO", "ONE"});
  if (!promoted.ok()) return promoted.status();
  if (promoted->IsError()) return Status::Aborted("the target refused REPLICAOF NO ONE: " + promoted->str);
  return FollowMaster(server_, host, port);
}

void Failover::Finish(const std::string& outcome) {
  KVD_LOG(kNotice) << outcome;
  // Resume first: a FAILOVER started once the state reads none pauses again, and must stay paused.
  server_.pause.Unpause(PauseCause::kFailover);
  server_.clients.WakePostponed();
  state_ = State::kNone;
}

}  // namespace kvd::server
