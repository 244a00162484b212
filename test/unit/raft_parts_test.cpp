// The small pure pieces of the Raft core: quorum math, per-follower
// progress, the log, the configuration history, the ReadIndex queue, the
// binary codec and the persistent state rules.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cluster/raft/codec.h"
#include "cluster/raft/config_history.h"
#include "cluster/raft/log.h"
#include "cluster/raft/persistent_state.h"
#include "cluster/raft/progress.h"
#include "cluster/raft/quorum.h"
#include "cluster/raft/random.h"
#include "cluster/raft/read_index.h"

namespace kvd::cluster::raft {
namespace {

Membership Voters(std::initializer_list<NodeId> ids) { return Membership{std::set<NodeId>(ids)}; }

Snapshot MakeSnapshot(Index index, Term term, const Membership& voters, std::string data) {
  Snapshot snapshot;
  snapshot.meta.index = index;
  snapshot.meta.term = term;
  snapshot.meta.membership = voters;
  snapshot.data = std::move(data);
  return snapshot;
}

// Entries first..last, with terms from `terms` (one per entry).
std::vector<Entry> Entries(Index first, const std::vector<Term>& terms) {
  std::vector<Entry> out;
  for (size_t i = 0; i < terms.size(); ++i) {
    out.push_back({first + i, terms[i], EntryType::kNormal, "e" + std::to_string(first + i)});
  }
  return out;
}

TEST_SUITE("raft parts") {
  TEST_CASE("raft quorum: majority sizes and committed index") {
    CHECK(MajorityOf(1) == 1);
    CHECK(MajorityOf(2) == 2);
    CHECK(MajorityOf(3) == 2);
    CHECK(MajorityOf(4) == 3);
    CHECK(MajorityOf(5) == 3);

    std::map<NodeId, Index> match{{1, 9}, {2, 5}, {3, 7}, {4, 1}, {5, 7}};
    auto of = [&](NodeId id) { return match[id]; };
    CHECK(QuorumIndex(Voters({1, 2, 3, 4, 5}), of) == 7);
    CHECK(QuorumIndex(Voters({1, 2, 3}), of) == 7);
    CHECK(QuorumIndex(Voters({1, 2, 4}), of) == 5);
    CHECK(QuorumIndex(Voters({1, 4}), of) == 1);
    CHECK(QuorumIndex(Voters({1}), of) == 9);
    CHECK(QuorumIndex(Voters({}), of) == 0);
  }

  TEST_CASE("raft quorum: votes and acks only count voters") {
    Membership three = Voters({1, 2, 3});
    CHECK(TallyVotes(three, {{1, true}}) == VoteOutcome::kPending);
    CHECK(TallyVotes(three, {{1, true}, {2, true}}) == VoteOutcome::kWon);
    CHECK(TallyVotes(three, {{1, true}, {2, false}}) == VoteOutcome::kPending);
    CHECK(TallyVotes(three, {{1, true}, {2, false}, {3, false}}) == VoteOutcome::kLost);
    CHECK(TallyVotes(three, {{1, true}, {7, true}, {8, true}}) == VoteOutcome::kPending);
    CHECK(TallyVotes(Voters({1, 2, 3, 4}), {{1, true}, {2, false}, {3, false}}) == VoteOutcome::kLost);
    CHECK(IsQuorum(three, {1, 3}));
    CHECK_FALSE(IsQuorum(three, {1, 9}));
    CHECK_FALSE(IsQuorum(Voters({}), {1}));
  }

  TEST_CASE("raft progress: probe sends one append at a time") {
    Progress p(11, 4);
    CHECK(p.state() == ProgressState::kProbe);
    CHECK_FALSE(p.IsPaused());
    p.OnAppendSent(10, false);
    CHECK(p.IsPaused());
    p.OnHeartbeatResponse();  // reachable again: may probe once more
    CHECK_FALSE(p.IsPaused());
    p.OnAppendSent(10, true);
    // A rejection of the probe at 10 with a hint of 4 moves next to 5.
    CHECK(p.MaybeDecreaseTo(10, 4));
    CHECK(p.next() == 5);
    CHECK_FALSE(p.IsPaused());
    // A second answer to the same old probe is stale.
    CHECK_FALSE(p.MaybeDecreaseTo(10, 2));
    CHECK(p.next() == 5);
    CHECK(p.MaybeUpdate(7));
    CHECK(p.match() == 7);
    CHECK(p.next() == 8);
    CHECK_FALSE(p.MaybeUpdate(6));
  }

  TEST_CASE("raft progress: replicate pipelines up to the window") {
    Progress p(1, 2);
    p.MaybeUpdate(5);
    p.BecomeReplicate();
    CHECK(p.next() == 6);
    p.OnAppendSent(8, true);
    CHECK_FALSE(p.IsPaused());
    p.OnAppendSent(10, true);
    CHECK(p.IsPaused());
    CHECK(p.next() == 11);
    CHECK(p.MaybeUpdate(8));  // frees the first slot
    CHECK_FALSE(p.IsPaused());
    // Rejections of already-matched positions are stale; others fall back.
    CHECK_FALSE(p.MaybeDecreaseTo(7, 0));
    CHECK(p.MaybeDecreaseTo(9, 0));
    CHECK(p.next() == 9);
    p.BecomeSnapshot(20, 5);
    CHECK(p.IsPaused());
    p.BecomeProbe();  // the snapshot may have arrived: try right after it
    CHECK(p.next() == 21);
  }

  TEST_CASE("raft log: append, conflicts and truncation") {
    RaftLog log({0, 0}, Entries(1, {1, 1, 2}), 0);
    CHECK(log.LastIndex() == 3);
    CHECK(log.LastTerm() == 2);
    CHECK(log.stable() == 3);
    CHECK(log.TermAt(0) == 0u);
    CHECK(log.TermAt(4) == std::nullopt);
    CHECK(log.MatchTerm(2, 1));
    CHECK_FALSE(log.MatchTerm(3, 1));

    CHECK(log.FindConflict(Entries(2, {1, 2})) == 0);
    CHECK(log.FindConflict(Entries(2, {1, 2, 2})) == 4);
    CHECK(log.FindConflict(Entries(2, {1, 3})) == 3);

    log.TruncateAndAppend(Entries(3, {3, 3}));
    CHECK(log.LastIndex() == 4);
    CHECK(log.TermAt(3) == 3u);
    CHECK(log.stable() == 2);
    CHECK(log.UnstableEntries().size() == 2);
    log.StableTo({4, 2});  // that entry was replaced: not stable
    CHECK(log.stable() == 2);
    log.StableTo({4, 3});
    CHECK(log.stable() == 4);
    CHECK(log.UnstableEntries().empty());
  }

  TEST_CASE("raft log: up-to-date comparison and conflict hints") {
    RaftLog log({0, 0}, Entries(1, {1, 1, 2, 2, 4, 4}), 0);
    CHECK(log.IsUpToDate(6, 4));
    CHECK(log.IsUpToDate(1, 5));
    CHECK_FALSE(log.IsUpToDate(5, 4));
    CHECK_FALSE(log.IsUpToDate(100, 3));
    CHECK(log.FindConflictByTerm(6, 3) == EntryId{4, 2});
    CHECK(log.FindConflictByTerm(6, 4) == EntryId{6, 4});
    CHECK(log.FindConflictByTerm(3, 1) == EntryId{2, 1});
    CHECK(log.FindConflictByTerm(100, 2) == EntryId{4, 2});
    CHECK(log.FindConflictByTerm(6, 0) == EntryId{0, 0});
  }

  TEST_CASE("raft log: commit rules, apply and compaction") {
    RaftLog log({0, 0}, Entries(1, {1, 1, 2, 3}), 0);
    CHECK_FALSE(log.MaybeCommit(3, 3));  // entry 3 is from term 2
    CHECK(log.MaybeCommit(4, 3));
    CHECK(log.committed() == 4);
    log.CommitTo(2);  // never backwards
    CHECK(log.committed() == 4);
    CHECK(log.EntriesToApply().size() == 4);
    log.AppliedTo(3);
    CHECK(log.EntriesToApply().size() == 1);
    log.CompactTo(2);
    CHECK(log.base() == EntryId{2, 1});
    CHECK(log.FirstIndex() == 3);
    CHECK(log.TermAt(1) == std::nullopt);
    CHECK(log.TermAt(2) == 1u);
    CHECK(log.Slice(1, 4, 10).empty());
    CHECK(log.Slice(3, 4, 10).size() == 2);
    CHECK(log.Slice(3, 4, 1).size() == 1);
    log.RestoreFromSnapshot({10, 5});
    CHECK(log.LastIndex() == 10);
    CHECK(log.committed() == 10);
    CHECK(log.applied() == 10);
    CHECK(log.LastTerm() == 5);
  }

  TEST_CASE("raft config history: follows appends and truncations") {
    ConfigHistory history;
    history.Reset(0, Voters({1, 2, 3}));
    Entry add{5, 2, EntryType::kMembership, EncodeMembership(Voters({1, 2, 3, 4}))};
    Entry remove{8, 2, EntryType::kMembership, EncodeMembership(Voters({2, 3, 4}))};
    CHECK(history.Record(add));
    CHECK(history.Record(remove));
    CHECK_FALSE(history.Record(Entry{9, 2, EntryType::kNormal, "x"}));
    CHECK(history.Current() == Voters({2, 3, 4}));
    CHECK(history.CurrentIndex() == 8);
    CHECK(history.At(4) == Voters({1, 2, 3}));
    CHECK(history.At(7) == Voters({1, 2, 3, 4}));
    history.TruncateFrom(6);  // a new leader replaced entries 6..
    CHECK(history.Current() == Voters({1, 2, 3, 4}));
    history.CompactTo(5);
    CHECK(history.At(5) == Voters({1, 2, 3, 4}));
    CHECK(history.CurrentIndex() == 5);
  }

  TEST_CASE("raft read index queue: a round confirms earlier requests") {
    ReadIndexQueue queue;
    Membership three = Voters({1, 2, 3});
    uint64_t first = queue.Add("a", 1, 10, 1);
    uint64_t second = queue.Add("b", 2, 12, 1);
    CHECK(queue.LatestRound() == second);
    CHECK(queue.Ack(first, 9, three).empty());  // not a voter
    auto confirmed = queue.Ack(second, 3, three);
    REQUIRE(confirmed.size() == 2);
    CHECK(confirmed[0].context == "a");
    CHECK(confirmed[0].index == 10);
    CHECK(confirmed[1].requester == 2);
    CHECK(queue.empty());
    uint64_t third = queue.Add("c", 1, 13, 1);
    CHECK(queue.Ack(third - 1, 2, three).empty());  // an answer to an older round
    CHECK(queue.Ack(third, 2, three).size() == 1);
  }

  TEST_CASE("raft codec: messages round-trip") {
    Message m;
    m.type = MessageType::kAppend;
    m.from = 1;
    m.to = 300;
    m.term = 1ULL << 40;
    m.log_term = 7;
    m.index = 123456789;
    m.entries = Entries(123456790, {7, 8});
    m.entries[1].type = EntryType::kMembership;
    m.entries[1].data = std::string("\0\xff\x01", 3);
    m.commit = 99;
    m.reject = true;
    m.reject_hint = 5;
    m.hint_term = 6;
    m.read_seq = UINT64_MAX;
    m.context = "read-1";
    m.snapshot = MakeSnapshot(50, 6, Voters({1, 2, 3}), "state");
    auto decoded = DecodeMessage(EncodeMessage(m));
    REQUIRE(decoded.ok());
    CHECK(*decoded == m);

    Message empty;
    auto decoded_empty = DecodeMessage(EncodeMessage(empty));
    REQUIRE(decoded_empty.ok());
    CHECK(*decoded_empty == empty);
  }

  TEST_CASE("raft codec: records round-trip") {
    Entry entry{9, 3, EntryType::kNoop, ""};
    CHECK(DecodeEntry(EncodeEntry(entry)).value() == entry);
    HardState hard{12, 3, 40};
    CHECK(DecodeHardState(EncodeHardState(hard)).value() == hard);
    Snapshot snapshot = MakeSnapshot(40, 12, Voters({1, 5}), std::string(1000, 'x'));
    auto decoded_snapshot = DecodeSnapshot(EncodeSnapshot(snapshot));
    REQUIRE(decoded_snapshot.ok());
    CHECK(decoded_snapshot->meta == snapshot.meta);
    CHECK(decoded_snapshot->data == snapshot.data);
    CHECK(DecodeMembership(EncodeMembership(Voters({2, 4}))).value() == Voters({2, 4}));
    // A record handed to the wrong decoder is refused.
    CHECK(DecodeEntry(EncodeHardState(hard)).status().Is(Status::Code::kCorruption));
    // A newer format version is refused.
    std::string newer = EncodeEntry(entry);
    newer[0] = static_cast<char>(kCodecVersion + 1);
    CHECK_FALSE(DecodeEntry(newer).ok());
  }

  TEST_CASE("raft codec: malformed input is rejected, never crashes") {
    Message m;
    m.type = MessageType::kSnapshot;
    m.from = 2;
    m.to = 3;
    m.term = 5;
    m.entries = Entries(1, {1, 2, 3});
    m.snapshot = MakeSnapshot(3, 2, Voters({1, 2, 3}), "data");
    std::string good = EncodeMessage(m);
    // Every strict prefix is truncated; trailing bytes are refused.
    for (size_t size = 0; size < good.size(); ++size) {
      CHECK_FALSE(DecodeMessage(good.substr(0, size)).ok());
    }
    CHECK_FALSE(DecodeMessage(good + "x").ok());
    // Unknown message and entry types.
    std::string bad_type = good;
    bad_type[2] = 0x7F;
    CHECK_FALSE(DecodeMessage(bad_type).ok());
    // A count claiming billions of entries is refused before allocating.
    CHECK_FALSE(DecodeMessage(std::string("\x01M\x05\x01\x02\x03\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x0f", 19))
                    .ok());
    // Random bytes and random corruptions of a valid message: any outcome
    // but a crash is fine (sanitizer builds check memory safety here).
    Prng rng(42);
    for (int i = 0; i < 20000; ++i) {
      std::string bytes;
      if (i % 2 == 0) {
        bytes.resize(rng.Below(64));
        for (char& c : bytes) c = static_cast<char>(rng.Next());
        if (bytes.size() >= 2 && rng.Percent(50)) bytes.replace(0, 2, "\x01M");
      } else {
        bytes = good;
        for (int flips = 1 + static_cast<int>(rng.Below(4)); flips > 0; --flips) {
          bytes[rng.Below(bytes.size())] = static_cast<char>(rng.Next());
        }
      }
      auto decoded = DecodeMessage(bytes);
      if (decoded.ok()) CHECK(DecodeMessage(EncodeMessage(*decoded)).ok());
    }
  }

  TEST_CASE("raft persistent state: the store's update rules") {
    PersistentState state = PersistentState::Bootstrap(Voters({1, 2, 3}));
    CHECK(state.snapshot.meta.membership == Voters({1, 2, 3}));
    CHECK(state.Append(Entries(1, {1, 1, 1, 1})).ok());
    CHECK(state.Append(Entries(3, {2})).ok());  // overwrites 3 and drops 4
    CHECK(state.LastIndex() == 3);
    CHECK(state.entries.back().term == 2);
    CHECK_FALSE(state.Append(Entries(6, {2})).ok());  // a gap
    // Compaction of our own log keeps the entries after the snapshot.
    state.SetSnapshot(MakeSnapshot(2, 1, Voters({1, 2, 3}), "s2"));
    CHECK(state.entries.size() == 1);
    CHECK(state.entries.front().index == 3);
    CHECK(state.hard_state.commit == 2);
    // A snapshot from the leader that disagrees with our log replaces it.
    state.SetSnapshot(MakeSnapshot(3, 5, Voters({1, 2, 3}), "s3"));
    CHECK(state.entries.empty());
    CHECK(state.LastIndex() == 3);
    Ready ready;
    ready.entries = Entries(4, {5});
    ready.hard_state = HardState{5, 2, 4};
    CHECK(state.Persist(ready).ok());
    CHECK(state.hard_state == HardState{5, 2, 4});
    CHECK(state.LastIndex() == 4);
  }
}

}  // namespace
}  // namespace kvd::cluster::raft
