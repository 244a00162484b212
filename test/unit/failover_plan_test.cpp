// FAILOVER's decision (roles/server/replication/failover_plan.h).
#include <doctest/doctest.h>

#include "roles/server/replication/failover_plan.h"

namespace kvd::server::replication {

namespace {

ReplicaView Replica(std::string ip, uint16_t port, uint64_t acked) {
  ReplicaView view;
  view.ip = std::move(ip);
  view.port = port;
  view.acked = acked;
  return view;
}

}  // namespace

TEST_CASE("failover plan: the first replica that holds everything, or the named one") {
  std::vector<ReplicaView> replicas = {Replica("10.0.0.1", 7001, 90), Replica("10.0.0.2", 7002, 100)};
  FailoverPlan any;
  CHECK(DecideFailover(any, replicas, 101, 0).kind == FailoverStep::Kind::kWait);
  FailoverStep step = DecideFailover(any, replicas, 100, 0);
  CHECK(step.kind == FailoverStep::Kind::kHandOver);
  CHECK(step.host == "10.0.0.2");
  CHECK(step.port == 7002);

  FailoverPlan named;
  named.target_host = "10.0.0.1";
  named.target_port = 7001;
  CHECK(DecideFailover(named, replicas, 100, 0).kind == FailoverStep::Kind::kWait);  // the other one is caught up
  replicas[0].acked = 100;
  CHECK(DecideFailover(named, replicas, 100, 0).host == "10.0.0.1");
}

TEST_CASE("failover plan: the timeout aborts, unless FORCE names a replica") {
  std::vector<ReplicaView> behind = {Replica("10.0.0.1", 7001, 5)};
  FailoverPlan plan;
  plan.deadline_ms = 1000;
  CHECK(DecideFailover(plan, behind, 10, 999).kind == FailoverStep::Kind::kWait);
  FailoverStep aborted = DecideFailover(plan, behind, 10, 1000);
  CHECK(aborted.kind == FailoverStep::Kind::kAbort);
  CHECK(aborted.reason == "Replica never caught up before timeout");
  plan.force = true;
  plan.target_host = "10.0.0.1";
  plan.target_port = 7001;
  FailoverStep forced = DecideFailover(plan, behind, 10, 1000);
  CHECK(forced.kind == FailoverStep::Kind::kHandOver);
  CHECK(forced.host == "10.0.0.1");
  // A replica gone from the list: FORCE still hands over to the one named.
  CHECK(DecideFailover(plan, {}, 10, 2000).kind == FailoverStep::Kind::kHandOver);
  FailoverPlan forever;
  CHECK(DecideFailover(forever, behind, 10, UINT64_MAX).kind == FailoverStep::Kind::kWait);
}

}  // namespace kvd::server::replication
