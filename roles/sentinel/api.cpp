// The commands a sentinel answers: the Redis Sentinel API that clients use
// to find the master (SENTINEL get-master-addr-by-name, masters, replicas,
// sentinels, ckquorum, failover...), pub/sub for +switch-master, INFO and
// ROLE, TOPOLOGY (the replicated state as JSON), and the internal RAFT and
// SDOWN commands between sentinels.

#include "cluster/address.h"
#include "cluster/topology/command.h"
#include "common/ascii.h"
#include "common/logging.h"
#include "roles/sentinel/sentinel_node.h"

namespace kvd::sentinel {

using cluster::SplitAddress;

namespace {

void ReplyFields(protocol::RespWriter& reply, const std::vector<std::pair<std::string, std::string>>& fields) {
  reply.ArrayHeader(fields.size() * 2);
  for (const auto& [name, value] : fields) {
    reply.Bulk(name);
    reply.Bulk(value);
  }
}

}  // namespace

void SentinelNode::Handle(FrontClient& client, std::vector<std::string>& args, protocol::RespWriter& reply) {
  std::string command = ToLower(args[0]);
  bool subscribed = !client.channels.empty() || !client.patterns.empty();
  if (subscribed && command != "subscribe" && command != "psubscribe" && command != "unsubscribe" &&
      command != "punsubscribe" && command != "ping" && command != "quit") {
    return reply.Error("ERR Can't execute '" + command +
                       "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
  }
  if (command == "ping") return reply.SimpleString("PONG");
  if (command == "quit") {
    client.close_after_reply = true;
    return reply.Ok();
  }
  if (command == "raft" && args.size() == 3) {
    Status received = raft_.Receive(args[1], args[2]);
    if (!received.ok()) return reply.Error("ERR " + received.message());
    return reply.Ok();
  }
  if (command == "sdown" && args.size() == 6) {  // SDOWN secret sentinel-id group master-address 0|1
    if (args[1] != config_.cluster_secret) return reply.Error("ERR bad cluster secret");
    reports_[args[3]][std::strtoull(args[2].c_str(), nullptr, 10)] = Report{args[4], args[5] == "1", NowMs()};
    return reply.Ok();
  }
  if (command == "sentinel" && args.size() >= 2) return HandleSentinel(args, reply);
  if (command == "info") return reply.Bulk(InfoText());
  if (command == "role") {
    reply.ArrayHeader(2);
    reply.Bulk("sentinel");
    reply.ArrayHeader(store_.topology().groups.size());
    for (const auto& [name, group] : store_.topology().groups) reply.Bulk(name);
    return;
  }
  if (command == "topology" && args.size() == 1) return reply.Bulk(store_.Snapshot());
  if (command == "topology" && args.size() == 2 && ToLower(args[1]) == "read") {
    // Linearizable: answered after a ReadIndex round confirms this state is current.
    Status started = raft_.Read([this, send = client.send](bool ok) {
      std::string out;
      protocol::RespWriter writer(&out);
      if (ok) {
        writer.Bulk(store_.Snapshot());
      } else {
        writer.Error("ERR the read could not be confirmed (no Raft leader?); retry");
      }
      send(out);
    });
    if (!started.ok()) reply.Error("ERR " + started.message());
    return;
  }
  if (command == "topology" && args.size() == 3 && ToLower(args[1]) == "watch") {
    // TOPOLOGY WATCH <version>: answered with the changes after it, at once
    // or as soon as there are some: [[version, command json], ...].
    uint64_t after = std::strtoull(args[2].c_str(), nullptr, 10);
    watchers_.Watch(store_, after, [send = client.send](const Result<std::vector<cluster::topology::Change>>& changes) {
      std::string out;
      protocol::RespWriter writer(&out);
      if (!changes.ok()) {
        writer.Error("ERR " + changes.status().message() + "; read TOPOLOGY again");
      } else {
        writer.ArrayHeader(changes->size());
        for (const auto& change : *changes) {
          writer.ArrayHeader(2);
          writer.Integer(static_cast<int64_t>(change.version));
          writer.Bulk(change.command);
        }
      }
      send(out);
    });
    return;
  }
  if (command == "topology" && args.size() == 3 && ToLower(args[1]) == "propose") {
    // TOPOLOGY PROPOSE <command json>: an admin change, answered once applied.
    if (!raft_.IsLeader()) return reply.Error("ERR not the Raft leader; ask sentinel " + std::to_string(raft_.leader()));
    auto decoded = cluster::topology::DecodeCommand(args[2]);
    if (!decoded.ok()) return reply.Error("ERR " + decoded.status().message());
    Status proposed = raft_.Propose(args[2], [send = client.send](bool applied) {
      send(applied ? "+OK\r\n" : "-ERR the proposal was lost (leader changed); retry\r\n");
    });
    if (!proposed.ok()) reply.Error("ERR " + proposed.message());
    return;
  }
  if (command == "subscribe" || command == "psubscribe" || command == "unsubscribe" || command == "punsubscribe") {
    return HandleSubscribe(client, args, reply);
  }
  if (command == "sentinel" || command == "raft" || command == "sdown") {
    return reply.Error("ERR wrong number of arguments for '" + command + "' command");
  }
  reply.Error("ERR unknown command '" + args[0] + "'");
}

void SentinelNode::HandleSentinel(std::vector<std::string>& args, protocol::RespWriter& reply) {
  std::string sub = ToLower(args[1]);
  const cluster::topology::Group* group = args.size() >= 3 ? store_.FindGroup(args[2]) : nullptr;
  if (sub == "get-master-addr-by-name" && args.size() == 3) {
    if (group == nullptr) return reply.NullArray();
    std::string host;
    uint16_t port = 0;
    SplitAddress(group->master, &host, &port);
    reply.ArrayHeader(2);
    reply.Bulk(host);
    reply.Bulk(std::to_string(port));
    return;
  }
  if (sub == "masters" && args.size() == 2) {
    reply.ArrayHeader(store_.topology().groups.size());
    for (const auto& [name, each] : store_.topology().groups) ReplyMaster(each, reply);
    return;
  }
  if (sub == "myid" && args.size() == 2) return reply.Bulk(std::to_string(config_.id));
  if ((sub == "monitor" && args.size() == 6) || (sub == "remove" && args.size() == 3)) {
    // Changes of the watched masters go through Raft like every topology change.
    if (!raft_.IsLeader()) {
      return reply.Error("ERR not the Raft leader; ask sentinel " + std::to_string(raft_.leader()));
    }
    cluster::topology::Command change;
    if (sub == "monitor") {
      change = cluster::topology::AddGroup{args[2], args[3] + ":" + args[4], {}, std::nullopt};
    } else {
      change = cluster::topology::RemoveGroup{args[2]};
    }
    Status allowed = store_.Check(change);
    if (!allowed.ok()) return reply.Error("ERR " + allowed.message());
    Status proposed = raft_.Propose(cluster::topology::EncodeCommand(change), nullptr);
    if (!proposed.ok()) return reply.Error("ERR " + proposed.message());
    return reply.Ok();  // proposed; every sentinel applies it once committed
  }
  bool needs_group = sub == "master" || sub == "replicas" || sub == "slaves" || sub == "sentinels" ||
                     sub == "ckquorum" || sub == "failover";
  if (needs_group && args.size() != 3) return reply.Error("ERR wrong number of arguments for 'sentinel|" + sub + "' command");
  if (needs_group && group == nullptr) return reply.Error("ERR No such master with that name");
  if (sub == "master") return ReplyMaster(*group, reply);
  if (sub == "replicas" || sub == "slaves") return ReplyReplicas(*group, reply);
  if (sub == "sentinels") {
    reply.ArrayHeader(config_.peers.size() - 1);
    for (const auto& [id, address] : config_.peers) {
      if (id == config_.id) continue;
      ReplyFields(reply, {{"name", std::to_string(id)},
                          {"ip", address.host},
                          {"port", std::to_string(address.port)},
                          {"runid", std::to_string(id)},
                          {"flags", raft_.leader() == id ? "sentinel,leader" : "sentinel"}});
    }
    return;
  }
  if (sub == "ckquorum") {
    if (raft_.leader() == 0) return reply.Error("NOQUORUM No Raft leader: failover authorization cannot be reached");
    return reply.SimpleString("OK " + std::to_string(config_.peers.size()) +
                              " usable Sentinels. Quorum and failover authorization can be reached");
  }
  if (sub == "failover") {
    if (!raft_.IsLeader()) {
      return reply.Error("ERR not the Raft leader; ask sentinel " + std::to_string(raft_.leader()));
    }
    if (failovers_.count(args[2]) != 0) return reply.Error("INPROG Failover already in progress");
    StartFailover(args[2], NowMs());
    if (failovers_.count(args[2]) == 0) return reply.Error("NOGOODSLAVE No suitable replica to promote");
    return reply.Ok();
  }
  if (sub == "set" && args.size() >= 5) {
    if (group == nullptr) return reply.Error("ERR No such master with that name");
    if (ToLower(args[3]) != "auth-pass" || args.size() != 5) {
      return reply.Error("ERR SENTINEL SET supports auth-pass; down-after-ms, quorum and failover-timeout-ms are "
                         "options of the sentinel and apply to every master");
    }
    if (!raft_.IsLeader()) {
      return reply.Error("ERR not the Raft leader; ask sentinel " + std::to_string(raft_.leader()));
    }
    cluster::topology::SetAuthPass change{args[2], args[4].empty() ? std::nullopt : std::optional<std::string>(args[4])};
    Status proposed = raft_.Propose(cluster::topology::EncodeCommand(change), nullptr);
    if (!proposed.ok()) return reply.Error("ERR " + proposed.message());
    return reply.Ok();
  }
  if (sub == "reset" && args.size() == 3) return reply.Integer(0);
  reply.Error("ERR unknown subcommand '" + args[1] + "'");
}

void SentinelNode::ReplyMaster(const cluster::topology::Group& group, protocol::RespWriter& reply) {
  std::string host;
  uint16_t port = 0;
  SplitAddress(group.master, &host, &port);
  uint64_t now = NowMs();
  std::string flags = "master";
  if (MasterSubjectivelyDown(group.name, now)) flags += ",s_down";
  if (raft_.IsLeader() && ObjectivelyDownNow(group.name, now)) flags += ",o_down";
  if (failovers_.count(group.name) != 0) flags += ",failover_in_progress";
  auto seen = instances_.find(group.master);
  uint64_t last_ok = seen == instances_.end() ? 0 : seen->second.down.SilentForMs(now);
  ReplyFields(reply, {{"name", group.name},
                      {"ip", host},
                      {"port", std::to_string(port)},
                      {"runid", ""},
                      {"flags", flags},
                      {"last-ok-ping-reply", std::to_string(last_ok)},
                      {"down-after-milliseconds", std::to_string(config_.down_after_ms)},
                      {"num-slaves", std::to_string(group.replicas.size())},
                      {"num-other-sentinels", std::to_string(config_.peers.size() - 1)},
                      {"quorum", std::to_string(Quorum())},
                      {"failover-timeout", std::to_string(config_.failover_timeout_ms)},
                      {"config-epoch", std::to_string(group.config_epoch)}});
}

void SentinelNode::ReplyReplicas(const cluster::topology::Group& group, protocol::RespWriter& reply) {
  uint64_t now = NowMs();
  reply.ArrayHeader(group.replicas.size());
  for (const auto& replica : group.replicas) {
    std::string host;
    uint16_t port = 0;
    SplitAddress(replica.address, &host, &port);
    auto seen = instances_.find(replica.address);
    bool known = seen != instances_.end() && seen->second.info;
    std::string flags = "slave";
    if (seen != instances_.end() && seen->second.down.SubjectivelyDown(now, config_.down_after_ms)) flags += ",s_down";
    ReplyFields(reply,
                {{"name", replica.address},
                 {"ip", host},
                 {"port", std::to_string(port)},
                 {"flags", flags},
                 {"master-link-status", known && seen->second.info->master_link_up ? "ok" : "err"},
                 {"master-host", known ? seen->second.info->master_host : ""},
                 {"master-port", known ? std::to_string(seen->second.info->master_port) : "0"},
                 {"slave-priority", std::to_string(known ? seen->second.info->slave_priority : int(replica.priority))},
                 {"slave-repl-offset", known ? std::to_string(seen->second.info->slave_repl_offset) : "0"}});
  }
}

void SentinelNode::HandleSubscribe(FrontClient& client, std::vector<std::string>& args, protocol::RespWriter& reply) {
  std::string command = ToLower(args[0]);
  bool pattern = command[0] == 'p';
  auto& set = pattern ? client.patterns : client.channels;
  bool subscribe = command.find("unsubscribe") == std::string::npos;
  std::vector<std::string> names(args.begin() + 1, args.end());
  if (names.empty() && subscribe) return reply.Error("ERR wrong number of arguments for '" + command + "' command");
  if (names.empty()) names.assign(set.begin(), set.end());
  if (names.empty()) {
    reply.ArrayHeader(3);
    reply.Bulk(command);
    reply.NullBulk();
    reply.Integer(0);
    return;
  }
  for (const auto& name : names) {
    if (subscribe) {
      set.insert(name);
    } else {
      set.erase(name);
    }
    reply.ArrayHeader(3);
    reply.Bulk(command);
    reply.Bulk(name);
    reply.Integer(static_cast<int64_t>(client.channels.size() + client.patterns.size()));
  }
}

std::string SentinelNode::InfoText() {
  uint64_t now = NowMs();
  std::string text = "# Sentinel\r\n";
  text += "sentinel_masters:" + std::to_string(store_.topology().groups.size()) + "\r\n";
  text += "sentinel_tilt:0\r\nsentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\n";
  size_t index = 0;
  for (const auto& [name, group] : store_.topology().groups) {
    std::string status = "ok";
    if (MasterSubjectivelyDown(name, now)) status = "sdown";
    if (raft_.IsLeader() && ObjectivelyDownNow(name, now)) status = "odown";
    text += "master" + std::to_string(index++) + ":name=" + name + ",status=" + status + ",address=" + group.master +
            ",slaves=" + std::to_string(group.replicas.size()) + ",sentinels=" + std::to_string(config_.peers.size()) +
            "\r\n";
  }
  text += "\r\n# Raft\r\n";
  text += "raft_id:" + std::to_string(config_.id) + "\r\n";
  text += std::string("raft_role:") + (raft_.IsLeader() ? "leader" : "follower") + "\r\n";
  text += "raft_term:" + std::to_string(raft_.term()) + "\r\n";
  text += "raft_leader:" + std::to_string(raft_.leader()) + "\r\n";
  text += "raft_applied:" + std::to_string(raft_.applied()) + "\r\n";
  text += "topology_version:" + std::to_string(store_.version()) + "\r\n";
  return text;
}

}  // namespace kvd::sentinel
