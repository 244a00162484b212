// The replicated topology store: every command, compare-and-set races on
// the config epoch, snapshots, change tracking and watchers, Raft entry
// glue, and refusal of malformed input.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cluster/raft/random.h"
#include "cluster/topology/command.h"
#include "cluster/topology/store.h"
#include "cluster/topology/watch.h"

namespace kvd::cluster::topology {
namespace {

using Code = Status::Code;

void MustApply(TopologyStore& store, const Command& command) {
  auto applied = store.Apply(command);
  REQUIRE_MESSAGE(applied.ok(), CommandName(command), ": ", applied.status().message());
}

Status ApplyStatus(TopologyStore& store, const Command& command) { return store.Apply(command).status(); }
Status ApplyJson(TopologyStore& store, std::string_view json) { return store.Apply(json).status(); }

AddGroup Group1() { return AddGroup{"g1", "10.0.0.1:6380", {{"10.0.0.2:6380", 100}, {"10.0.0.3:6380", 0}}, "pw"}; }
AddGroup Group2() { return AddGroup{"g2", "10.0.1.1:6380", {}, std::nullopt}; }

// Two groups, slots 0-511 on g1 and 512-1023 on g2.
TopologyStore TwoGroups() {
  TopologyStore store;
  MustApply(store, Group1());
  MustApply(store, Group2());
  MustApply(store, AssignSlots{"g1", {{0, 511}}, false});
  MustApply(store, AssignSlots{"g2", {{512, 1023}}, false});
  return store;
}

TEST_SUITE("topology") {
  TEST_CASE("topology: add and remove groups") {
    TopologyStore store;
    CHECK(store.version() == 0);
    CHECK(store.Apply(Group1()).value() == 1);
    const Group* g1 = store.FindGroup("g1");
    REQUIRE(g1 != nullptr);
    CHECK(g1->master == "10.0.0.1:6380");
    CHECK(g1->replicas.size() == 2);
    CHECK(g1->replicas[1].priority == 0);
    CHECK(g1->config_epoch == 0);
    CHECK(g1->auth_pass == "pw");
    CHECK(ApplyStatus(store, Group1()).Is(Code::kAborted));  // exists
    CHECK(store.version() == 1);                             // rejections change nothing
    CHECK(ApplyStatus(store, RemoveGroup{"nope"}).Is(Code::kNotFound));
    MustApply(store, AssignSlots{"g1", {{7, 7}}, false});
    CHECK(ApplyStatus(store, RemoveGroup{"g1"}).Is(Code::kAborted));  // still owns slot 7
    MustApply(store, Group2());
    MustApply(store, AssignSlots{"g2", {{7, 7}}, true});
    MustApply(store, RemoveGroup{"g1"});
    CHECK(store.FindGroup("g1") == nullptr);
    CHECK(store.version() == 5);
  }

  TEST_CASE("topology: set master is a compare-and-set on the config epoch") {
    TopologyStore store;
    MustApply(store, Group1());
    // Two sentinels decided a failover from epoch 0 at the same time.
    SetMaster first{"g1", "10.0.0.2:6380", 0, 1, std::nullopt};
    SetMaster second{"g1", "10.0.0.3:6380", 0, 1, std::nullopt};
    CHECK(store.Check(first).ok());
    CHECK(store.Check(second).ok());
    MustApply(store, first);
    Status lost = ApplyStatus(store, second);
    CHECK(lost.Is(Code::kAborted));
    CHECK(lost.message().find("stale config epoch") != std::string::npos);
    const Group* g1 = store.FindGroup("g1");
    CHECK(g1->master == "10.0.0.2:6380");
    CHECK(g1->config_epoch == 1);
    // The promoted replica left the replica list; the old master is not added.
    REQUIRE(g1->replicas.size() == 1);
    CHECK(g1->replicas[0].address == "10.0.0.3:6380");
    // A later failover names the current epoch and may set the replicas.
    MustApply(store, SetMaster{"g1", "10.0.0.3:6380", 1, 5, std::vector<Replica>{{"10.0.0.2:6380", 10}}});
    CHECK(store.FindGroup("g1")->config_epoch == 5);
    CHECK(store.FindGroup("g1")->replicas == std::vector<Replica>{{"10.0.0.2:6380", 10}});
    CHECK(ApplyStatus(store, SetMaster{"g1", "10.0.0.9:6380", 1, 6, std::nullopt}).Is(Code::kAborted));
    CHECK(ApplyStatus(store, SetMaster{"g1", "10.0.0.9:6380", 5, 5, std::nullopt}).Is(Code::kInvalidArgument));
    CHECK(ApplyStatus(store, SetMaster{"gx", "10.0.0.9:6380", 0, 1, std::nullopt}).Is(Code::kNotFound));
    CHECK(ApplyStatus(store, SetMaster{"g1", "10.0.0.9:6380", 5, 6, std::vector<Replica>{{"10.0.0.9:6380", 1}}})
              .Is(Code::kInvalidArgument));
  }

  TEST_CASE("topology: set replicas") {
    TopologyStore store;
    MustApply(store, Group1());
    MustApply(store, SetReplicas{"g1", {{"10.0.0.7:6380", 5}}});
    CHECK(store.FindGroup("g1")->replicas == std::vector<Replica>{{"10.0.0.7:6380", 5}});
    MustApply(store, SetReplicas{"g1", {}});
    CHECK(store.FindGroup("g1")->replicas.empty());
    CHECK(ApplyStatus(store, SetReplicas{"g1", {{"10.0.0.1:6380", 1}}}).Is(Code::kInvalidArgument));  // the master
    CHECK(ApplyStatus(store, SetReplicas{"g1", {{"h:1", 1}, {"h:1", 2}}}).Is(Code::kInvalidArgument));
    CHECK(ApplyStatus(store, SetReplicas{"g9", {}}).Is(Code::kNotFound));
  }

  TEST_CASE("topology: assign slot ranges") {
    TopologyStore store;
    MustApply(store, Group1());
    MustApply(store, Group2());
    MustApply(store, AssignSlots{"g1", {{0, 9}, {20, 20}, {1023, 1023}}, false});
    CHECK(store.slot(0).group == "g1");
    CHECK(store.slot(9).group == "g1");
    CHECK(store.slot(10).group.empty());
    CHECK(store.slot(20).group == "g1");
    CHECK(store.slot(1023).group == "g1");
    CHECK(store.slot(kSlotCount).group.empty());  // out of range reads as unassigned
    MustApply(store, AssignSlots{"g1", {{0, 30}}, false});  // own and free slots
    CHECK(ApplyStatus(store, AssignSlots{"g2", {{30, 40}}, false}).Is(Code::kAborted));
    CHECK(store.slot(35).group.empty());  // all-or-nothing
    MustApply(store, AssignSlots{"g2", {{30, 40}}, true});
    CHECK(store.slot(30).group == "g2");
    CHECK(ApplyStatus(store, AssignSlots{"g3", {{50, 50}}, false}).Is(Code::kNotFound));
    CHECK(ApplyStatus(store, AssignSlots{"g1", {{5, 4}}, false}).Is(Code::kInvalidArgument));
    CHECK(ApplyStatus(store, AssignSlots{"g1", {{0, 1024}}, false}).Is(Code::kInvalidArgument));
    CHECK(ApplyStatus(store, AssignSlots{"g1", {}, false}).Is(Code::kInvalidArgument));
  }

  TEST_CASE("topology: slot migration begins, finishes or aborts") {
    TopologyStore store = TwoGroups();
    MustApply(store, BeginMigration{{{10, 12}}, "g2"});
    CHECK(store.slot(10).group == "g1");
    CHECK(store.slot(11).migrating_to == "g2");
    CHECK(ApplyStatus(store, BeginMigration{{{12, 13}}, "g2"}).Is(Code::kAborted));  // 12 already migrating
    CHECK(store.slot(13).migrating_to.empty());
    CHECK(ApplyStatus(store, AssignSlots{"g2", {{11, 11}}, true}).Is(Code::kAborted));
    CHECK(ApplyStatus(store, RemoveGroup{"g2"}).Is(Code::kAborted));  // migration target
    CHECK(ApplyStatus(store, BeginMigration{{{600, 600}}, "g2"}).Is(Code::kAborted));  // already owned by g2
    CHECK(ApplyStatus(store, BeginMigration{{{1, 1}}, "g9"}).Is(Code::kNotFound));

    MustApply(store, FinishMigration{{{10, 11}, {11, 11}}});  // overlapping ranges are harmless
    CHECK(store.slot(10).group == "g2");
    CHECK(store.slot(11).group == "g2");
    CHECK(store.slot(11).migrating_to.empty());
    CHECK(store.slot(12).migrating_to == "g2");
    MustApply(store, AbortMigration{{{12, 12}}});
    CHECK(store.slot(12).group == "g1");
    CHECK(store.slot(12).migrating_to.empty());
    CHECK(ApplyStatus(store, FinishMigration{{{12, 12}}}).Is(Code::kAborted));
    CHECK(ApplyStatus(store, AbortMigration{{{12, 12}}}).Is(Code::kAborted));

    TopologyStore fresh;
    MustApply(fresh, Group1());
    CHECK(ApplyStatus(fresh, BeginMigration{{{0, 0}}, "g1"}).Is(Code::kAborted));  // unassigned
  }

  TEST_CASE("topology: proxies register, refresh and unregister") {
    TopologyStore store;
    MustApply(store, RegisterProxy{"p1", "10.0.0.9:19000", 1000});
    MustApply(store, RegisterProxy{"p2", "10.0.0.10:19000", 1001});
    MustApply(store, RegisterProxy{"p1", "10.0.0.9:19001", 2000});
    const Proxy* p1 = store.FindProxy("p1");
    REQUIRE(p1 != nullptr);
    CHECK(p1->address == "10.0.0.9:19001");
    CHECK(p1->last_seen_ms == 2000);
    MustApply(store, UnregisterProxy{"p1"});
    CHECK(store.FindProxy("p1") == nullptr);
    CHECK(ApplyStatus(store, UnregisterProxy{"p1"}).Is(Code::kNotFound));
    CHECK(ApplyStatus(store, RegisterProxy{"has space", "h:1", 1}).Is(Code::kInvalidArgument));
    CHECK(ApplyStatus(store, RegisterProxy{"p3", "nohost", 1}).Is(Code::kInvalidArgument));
    CHECK(store.topology().proxies.size() == 1);
  }

  TEST_CASE("topology: addresses and names") {
    for (const char* good : {"10.0.0.1:6380", "host.example:1", "[::1]:65535", "a:6380"}) {
      CHECK_MESSAGE(ValidateAddress(good).ok(), good);
    }
    for (const char* bad : {"", ":6380", "h:", "h:0", "h:65536", "h:12a", "h:+1", "a b:1", "[::1:1", "h", "::1:1"}) {
      CHECK_MESSAGE(!ValidateAddress(bad).ok(), bad);
    }
    CHECK(ValidateGroupName("shard-01.a_b").ok());
    CHECK_FALSE(ValidateGroupName("").ok());
    CHECK_FALSE(ValidateGroupName("with space").ok());
    CHECK_FALSE(ValidateGroupName(std::string(65, 'g')).ok());
  }

  TEST_CASE("topology: commands round-trip through JSON") {
    std::vector<Command> commands = {
        Group1(),
        Group2(),
        RemoveGroup{"g1"},
        SetMaster{"g1", "h:2", 3, 4, std::nullopt},
        SetMaster{"g1", "h:2", 3, 4, std::vector<Replica>{{"h:3", 7}}},
        SetReplicas{"g1", {{"h:3", 7}}},
        AssignSlots{"g1", {{0, 5}, {9, 9}}, true},
        BeginMigration{{{1, 2}}, "g2"},
        FinishMigration{{{1, 2}}},
        AbortMigration{{{1, 2}}},
        RegisterProxy{"p1", "h:4", 123},
        UnregisterProxy{"p1"},
    };
    for (const Command& command : commands) {
      std::string json = EncodeCommand(command);
      auto decoded = DecodeCommand(json);
      REQUIRE_MESSAGE(decoded.ok(), json, ": ", decoded.status().message());
      CHECK(EncodeCommand(*decoded) == json);
      CHECK(std::string(CommandName(*decoded)) == CommandName(command));
    }
    // Optional fields may be left out.
    auto minimal = DecodeCommand(R"({"op":"add_group","group":"g","master":"h:1"})");
    REQUIRE(minimal.ok());
    CHECK(std::get<AddGroup>(*minimal).replicas.empty());
    CHECK_FALSE(std::get<AddGroup>(*minimal).auth_pass.has_value());
    auto default_priority = DecodeCommand(R"({"op":"set_replicas","group":"g","replicas":[{"address":"h:2"}]})");
    REQUIRE(default_priority.ok());
    CHECK(std::get<SetReplicas>(*default_priority).replicas[0].priority == 100);
  }

  TEST_CASE("topology: malformed commands are rejected") {
    TopologyStore store = TwoGroups();
    std::string before = store.Snapshot();
    std::vector<std::string> bad = {
        "",
        "not json",
        "{",
        "[]",
        "42",
        "null",
        R"({})",
        R"({"op":42})",
        R"({"op":"explode"})",
        R"({"op":"remove_group"})",
        R"({"op":"remove_group","group":7})",
        R"({"op":"remove_group","group":"g1","extra":true})",
        R"({"op":"remove_group","group":"bad name"})",
        R"({"op":"add_group","group":"g9","master":"nohost"})",
        R"({"op":"add_group","group":"g9","master":"h:1","replicas":"h:2"})",
        R"({"op":"add_group","group":"g9","master":"h:1","replicas":[{"address":"h:2","priority":-1}]})",
        R"({"op":"add_group","group":"g9","master":"h:1","replicas":[{"address":"h:2","priority":1.5}]})",
        R"({"op":"add_group","group":"g9","master":"h:1","replicas":[{"address":"h:2","priority":4294967296}]})",
        R"({"op":"add_group","group":"g9","master":"h:1","replicas":[{"address":"h:2","weight":1}]})",
        R"({"op":"add_group","group":"g9","master":"h:1","replicas":["h:2"]})",
        R"({"op":"add_group","group":"g9","master":"h:1","auth_pass":5})",
        R"({"op":"set_master","group":"g1","master":"h:1","expected_epoch":-1,"new_epoch":1})",
        R"({"op":"set_master","group":"g1","master":"h:1","expected_epoch":0})",
        R"({"op":"set_master","group":"g1","master":"h:1","expected_epoch":"0","new_epoch":1})",
        R"({"op":"assign_slots","group":"g1","ranges":[[0]]})",
        R"({"op":"assign_slots","group":"g1","ranges":[[0,1,2]]})",
        R"({"op":"assign_slots","group":"g1","ranges":[[-1,3]]})",
        R"({"op":"assign_slots","group":"g1","ranges":[[0,99999999999999999999]]})",
        R"({"op":"assign_slots","group":"g1","ranges":[["0","1"]]})",
        R"({"op":"assign_slots","group":"g1","ranges":[]})",
        R"({"op":"assign_slots","group":"g1","ranges":[[0,1]],"force":"yes"})",
        R"({"op":"begin_migration","ranges":[[0,1]]})",
        R"({"op":"register_proxy","id":"p","address":"h:1","now_ms":1.0})",
        "{\"op\":\"remove_group\",\"group\":\"g\xff\"}",
        std::string(100000, '[') + std::string(100000, ']'),
    };
    for (const std::string& json : bad) {
      Status status = ApplyJson(store, json);
      CHECK_MESSAGE(status.Is(Code::kInvalidArgument), json.substr(0, 80), " -> ", status.message());
    }
    CHECK(store.Snapshot() == before);
  }

  TEST_CASE("topology: random corruptions of commands never crash and stay deterministic") {
    std::vector<std::string> seeds = {
        EncodeCommand(Group1()), EncodeCommand(SetMaster{"g1", "h:2", 0, 1, std::vector<Replica>{{"h:3", 7}}}),
        EncodeCommand(AssignSlots{"g2", {{0, 5}, {9, 9}}, true}), EncodeCommand(RegisterProxy{"p1", "h:4", 123})};
    raft::Prng rng(7);
    TopologyStore a = TwoGroups();
    TopologyStore b = TwoGroups();
    for (int i = 0; i < 5000; ++i) {
      std::string json = seeds[rng.Below(seeds.size())];
      for (int edits = 1 + static_cast<int>(rng.Below(3)); edits > 0; --edits) {
        size_t at = rng.Below(json.size());
        switch (rng.Below(3)) {
          case 0: json[at] = static_cast<char>(rng.Next()); break;
          case 1: json.erase(at, 1 + rng.Below(4)); break;
          default: json.insert(at, 1, "{}[]\",:0-9e"[rng.Below(11)]); break;
        }
      }
      auto ra = a.Apply(json);
      auto rb = b.Apply(json);
      CHECK(ra.ok() == rb.ok());
    }
    CHECK(a.Snapshot() == b.Snapshot());
  }

  TEST_CASE("topology: snapshot round-trip") {
    TopologyStore store = TwoGroups();
    MustApply(store, SetMaster{"g1", "10.0.0.2:6380", 0, 3, std::nullopt});
    MustApply(store, BeginMigration{{{100, 199}, {300, 300}}, "g2"});
    MustApply(store, RegisterProxy{"p1", "10.0.0.9:19000", 1700000000000});
    MustApply(store, AddGroup{"empty", "10.0.2.1:6380", {}, std::nullopt});
    MustApply(store, AssignSlots{"g1", {{600, 610}}, true});
    REQUIRE(store.ApplyEntry({42, 3, raft::EntryType::kNoop, ""}).ok());
    std::string snapshot = store.Snapshot();

    TopologyStore copy;
    REQUIRE(copy.Restore(snapshot).ok());
    CHECK(copy.topology() == store.topology());
    CHECK(copy.version() == store.version());
    CHECK(copy.applied_index() == 42);
    CHECK(copy.Snapshot() == snapshot);
    CHECK(copy.slot(150).migrating_to == "g2");
    CHECK(copy.slot(605).group == "g1");
    CHECK(copy.FindGroup("g1")->config_epoch == 3);
    // Both go on identically.
    Command next = FinishMigration{{{100, 199}}};
    CHECK(copy.Apply(next).value() == store.Apply(next).value());
    CHECK(copy.Snapshot() == store.Snapshot());
    // An empty store round-trips too.
    TopologyStore empty;
    TopologyStore empty_copy;
    REQUIRE(empty_copy.Restore(empty.Snapshot()).ok());
    CHECK(empty_copy.topology() == empty.topology());
  }

  TEST_CASE("topology: restore refuses broken snapshots and keeps the old state") {
    TopologyStore store = TwoGroups();
    std::string before = store.Snapshot();
    std::string group = R"({"name":"g1","master":"h:1","replicas":[],"config_epoch":0})";
    auto snapshot = [&](const std::string& groups, const std::string& slots) {
      return R"({"format":1,"version":3,"applied_index":9,"groups":[)" + groups + R"(],"slots":[)" + slots +
             R"(],"proxies":[]})";
    };
    REQUIRE(TopologyStore().Restore(snapshot(group, R"({"first":0,"last":3,"group":"g1"})")).ok());
    std::vector<std::string> bad = {
        "",
        "[]",
        R"({"format":2,"version":0,"applied_index":0,"groups":[],"slots":[],"proxies":[]})",
        R"({"format":1,"version":0,"applied_index":0,"groups":[],"slots":[]})",
        snapshot(group + "," + group, ""),
        snapshot(group, R"({"first":0,"last":3,"group":"g2"})"),
        snapshot(group, R"({"first":0,"last":1024,"group":"g1"})"),
        snapshot(group, R"({"first":3,"last":0,"group":"g1"})"),
        snapshot(group, R"({"first":0,"last":3,"group":"g1"},{"first":3,"last":4,"group":"g1"})"),
        snapshot(group, R"({"first":0,"last":3,"group":"g1","migrating_to":"g1"})"),
        snapshot(group, R"({"first":0,"last":3,"group":"g1","migrating_to":"gx"})"),
        snapshot(R"({"name":"g1","master":"bad","replicas":[],"config_epoch":0})", ""),
        snapshot(R"({"name":"g1","master":"h:1","replicas":[],"config_epoch":0,"x":1})", ""),
    };
    for (const std::string& json : bad) {
      CHECK_MESSAGE(!store.Restore(json).ok(), json);
      CHECK(store.Snapshot() == before);
    }
  }

  TEST_CASE("topology: changes since a version") {
    TopologyStore store(3);  // keeps the last three changes
    CHECK(store.ChangesSince(0).value().empty());
    MustApply(store, Group1());
    MustApply(store, Group2());
    auto all = store.ChangesSince(0);
    REQUIRE(all.ok());
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].version == 1);
    CHECK((*all)[0].command == EncodeCommand(Group1()));
    CHECK((*all)[1].version == 2);
    CHECK(store.ChangesSince(1).value().size() == 1);
    CHECK(store.ChangesSince(2).value().empty());
    CHECK(store.ChangesSince(99).value().empty());  // a client ahead of a lagging node waits
    (void)store.Apply(RemoveGroup{"missing"});      // rejected: not a change
    CHECK(store.version() == 2);
    MustApply(store, AssignSlots{"g1", {{0, 0}}, false});
    MustApply(store, AssignSlots{"g1", {{1, 1}}, false});
    CHECK(store.ChangesSince(1).value().size() == 3);
    CHECK(store.ChangesSince(0).status().Is(Code::kOutOfRange));  // version 1 was dropped
    TopologyStore restored;
    REQUIRE(restored.Restore(store.Snapshot()).ok());
    CHECK(restored.ChangesSince(4).value().empty());
    CHECK(restored.ChangesSince(3).status().Is(Code::kOutOfRange));
  }

  TEST_CASE("topology: watchers are called once the version moves past theirs") {
    TopologyStore store;
    VersionWatchers watchers;
    std::vector<std::string> events;
    auto record = [&](const std::string& name) {
      return [&events, name](const Result<std::vector<Change>>& changes) {
        events.push_back(name + ":" + (changes.ok() ? std::to_string(changes->size()) : "resync"));
      };
    };
    uint64_t a = watchers.Watch(store, 0, record("a"));
    uint64_t b = watchers.Watch(store, 0, record("b"));
    CHECK(a != 0);
    CHECK(watchers.size() == 2);
    watchers.Cancel(b);
    watchers.Notify(store);
    CHECK(events.empty());
    MustApply(store, Group1());
    watchers.Notify(store);
    CHECK(events == std::vector<std::string>{"a:1"});
    CHECK(watchers.size() == 0);
    // Already past: answered at once.
    CHECK(watchers.Watch(store, 0, record("c")) == 0);
    CHECK(events.back() == "c:1");
    // A callback may watch again from inside Notify.
    uint64_t seen = store.version();
    VersionWatchers::Callback again = [&](const Result<std::vector<Change>>& changes) {
      events.push_back("again:" + std::to_string(changes->size()));
      seen = store.version();
      watchers.Watch(store, seen, again);
    };
    watchers.Watch(store, seen, again);
    MustApply(store, Group2());
    watchers.Notify(store);
    CHECK(events.back() == "again:1");
    CHECK(watchers.size() == 1);
  }

  TEST_CASE("topology: applying Raft entries") {
    TopologyStore store;
    using raft::Entry;
    using raft::EntryType;
    CHECK(store.ApplyEntry(Entry{1, 1, EntryType::kNoop, ""}).value() == 0);
    CHECK(store.ApplyEntry(Entry{2, 1, EntryType::kMembership, "ignored"}).value() == 0);
    CHECK(store.ApplyEntry(Entry{3, 1, EntryType::kNormal, EncodeCommand(Group1())}).value() == 1);
    // A rejected command still consumes its log position.
    CHECK(store.ApplyEntry(Entry{4, 1, EntryType::kNormal, EncodeCommand(Group1())}).status().Is(Code::kAborted));
    CHECK(store.applied_index() == 4);
    CHECK(store.ApplyEntry(Entry{5, 1, EntryType::kNormal, "garbage"}).status().Is(Code::kInvalidArgument));
    // Replaying entries already applied (e.g. after restoring a snapshot) is a no-op.
    CHECK(store.ApplyEntry(Entry{3, 1, EntryType::kNormal, EncodeCommand(Group2())}).value() == 1);
    CHECK(store.FindGroup("g2") == nullptr);
    CHECK(store.ApplyEntry(Entry{6, 1, EntryType::kNormal, EncodeCommand(Group2())}).value() == 2);
    CHECK(store.applied_index() == 6);
  }
}

}  // namespace
}  // namespace kvd::cluster::topology
