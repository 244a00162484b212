// CLIENT PAUSE's rule without a server: what a pause covers, and how pauses combine.
#include <doctest/doctest.h>

#include "roles/server/client_pause.h"

namespace kvd::server {
namespace {

TEST_CASE("client pause: WRITE covers what may replicate, ALL covers everything, until the end") {
  ClientPause pause;
  CHECK(pause.CoveringUntil(true, 0) == 0);
  pause.Pause(0, 1000, PauseScope::kWrite);
  CHECK(pause.CoveringUntil(true, 500) == 1000);
  CHECK(pause.CoveringUntil(false, 500) == 0);
  CHECK(pause.WritesPaused(999));
  CHECK_FALSE(pause.WritesPaused(1000));  // ended
  CHECK_FALSE(pause.MayBeActive());
  pause.Pause(1000, 2000, PauseScope::kAll);
  CHECK(pause.CoveringUntil(false, 1500) == 2000);
  pause.Unpause();
  CHECK(pause.CoveringUntil(true, 1500) == 0);
}

TEST_CASE("client pause: CLIENT PAUSE and a FAILOVER's pause end each on their own") {
  ClientPause pause;
  pause.Pause(0, 5000, PauseScope::kWrite, PauseCause::kClient);
  pause.Pause(0, UINT64_MAX, PauseScope::kWrite, PauseCause::kFailover);
  CHECK(pause.CoveringUntil(true, 100) == UINT64_MAX);
  pause.Unpause(PauseCause::kFailover);  // the failover ended: the client's pause still holds
  CHECK(pause.CoveringUntil(true, 100) == 5000);
  pause.Pause(0, UINT64_MAX, PauseScope::kWrite, PauseCause::kFailover);
  pause.Unpause(PauseCause::kClient);  // CLIENT UNPAUSE does not release the failover's
  CHECK(pause.CoveringUntil(true, 100) == UINT64_MAX);
  CHECK(pause.CoveringUntil(false, 100) == 0);
  pause.Unpause(PauseCause::kFailover);
  CHECK_FALSE(pause.MayBeActive());
}

TEST_CASE("client pause: a new pause extends and widens, never shortens or narrows") {
  ClientPause pause;
  pause.Pause(0, 5000, PauseScope::kAll);
  pause.Pause(0, 1000, PauseScope::kWrite);
  CHECK(pause.CoveringUntil(false, 3000) == 5000);  // still ALL, still until 5000
  pause.Unpause();
  pause.Pause(0, 1000, PauseScope::kWrite);
  pause.Pause(0, 3000, PauseScope::kWrite);
  CHECK(pause.CoveringUntil(true, 2000) == 3000);
  CHECK(pause.CoveringUntil(false, 2000) == 0);
  // An ALL pause that has run out does not widen the next one.
  pause.Unpause();
  pause.Pause(0, 1000, PauseScope::kAll);
  pause.Pause(1500, 3000, PauseScope::kWrite);
  CHECK(pause.CoveringUntil(false, 2000) == 0);
  CHECK(pause.CoveringUntil(true, 2000) == 3000);
}

}  // namespace
}  // namespace kvd::server
