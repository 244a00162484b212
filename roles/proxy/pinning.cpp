#include "roles/proxy/pinning.h"

#include "roles/proxy/replies.h"

namespace kvd::proxy {

namespace {

constexpr const char* kCrossSlot = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";

Step Local(std::string reply) {
  Step step;
  step.reply = std::move(reply);
  return step;
}

Step LocalError(const std::string& message) { return Local(ErrorReply(message)); }

}  // namespace

Step Pinning::Dedicated(int32_t backend) {
  Step step;
  step.target = Step::Target::kDedicated;
  step.backend = backend;
  return step;
}

Step Pinning::QueueingError(std::string reply) {
  failed_ = true;
  return Local(std::move(reply));
}

void Pinning::Unpin() {
  multi_sent_ = false;
  watching_ = false;
  failed_ = false;
  deferred_.clear();
  deferred_backend_ = RouteTable::kUnassigned;
}

Step Pinning::OpenOn(int32_t backend) {
  pinned_ = backend;
  multi_sent_ = true;
  Step step = Dedicated(backend);
  step.preamble.push_back({"MULTI"});
  step.preamble.insert(step.preamble.end(), deferred_.begin(), deferred_.end());
  deferred_.clear();
  return step;
}

Step Pinning::Multi() {
  if (in_multi_) return LocalError("ERR MULTI calls can not be nested");
  in_multi_ = true;
  failed_ = false;
  if (!watching_) return Local("+OK\r\n");
  multi_sent_ = true;
  return Dedicated(pinned_);
}

Step Pinning::Exec() {
  if (!in_multi_) return LocalError("ERR EXEC without MULTI");
  in_multi_ = false;
  if (failed_) {
    Step step = LocalError("EXECABORT Transaction discarded because of previous errors.");
    if (multi_sent_) step.preamble.push_back({"DISCARD"});  // also forgets the watched keys
    else if (watching_) step.preamble.push_back({"UNWATCH"});
    step.backend = pinned_;
    Unpin();
    return step;
  }
  if (!multi_sent_ && deferred_.empty()) {
    Unpin();
    return Local("*0\r\n");  // nothing was queued
  }
  Step step = multi_sent_ ? Dedicated(pinned_) : OpenOn(deferred_backend_);
  Unpin();
  return step;
}

Step Pinning::Discard() {
  if (!in_multi_) return LocalError("ERR DISCARD without MULTI");
  in_multi_ = false;
  bool sent = multi_sent_;
  Unpin();
  return sent ? Dedicated(pinned_) : Local("+OK\r\n");
}

Step Pinning::Watch(const Plan& keys) {
  if (in_multi_) return LocalError("ERR WATCH inside MULTI is not allowed");
  if (keys.kind == Plan::Kind::kReply) return Local(keys.reply);
  if (keys.kind != Plan::Kind::kForward || (watching_ && keys.backend != pinned_)) return Local(kCrossSlot);
  watching_ = true;
  pinned_ = keys.backend;
  return Dedicated(pinned_);
}

Step Pinning::Unwatch() {
  if (in_multi_) return multi_sent_ ? Dedicated(pinned_) : Local("+QUEUED\r\n");
  if (!watching_) return Local("+OK\r\n");
  watching_ = false;
  return Dedicated(pinned_);
}

Step Pinning::Command(const Plan& plan, const std::vector<std::string>& args) {
  if (!in_multi_) {
    if (plan.kind != Plan::Kind::kForward || !plan.blocking) {
      Step step;
      step.target = Step::Target::kShared;
      return step;
    }
    if (watching_ && plan.backend != pinned_) return Local(kCrossSlot);
    pinned_ = plan.backend;
    Step step = Dedicated(plan.backend);
    step.blocks = true;
    return step;
  }
  if (plan.kind == Plan::Kind::kReply) return QueueingError(plan.reply);
  if (plan.kind == Plan::Kind::kSplit) return QueueingError(kCrossSlot);
  if (multi_sent_) {
    if (!plan.any_backend && plan.backend != pinned_) return QueueingError(kCrossSlot);
    return Dedicated(pinned_);
  }
  if (plan.any_backend) {
    // No group yet: queued here, sent once a key picks the group.
    deferred_.push_back(args);
    deferred_backend_ = plan.backend;
    return Local("+QUEUED\r\n");
  }
  return OpenOn(plan.backend);
}

}  // namespace kvd::proxy
