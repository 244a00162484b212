// LATENCY: the latency monitor's events (LATEST HISTORY RESET GRAPH DOCTOR;
// roles/server/latency_monitor.h) and per-command latency histograms
// (HISTOGRAM, from INFO commandstats' counters: roles/server/command_stats.h).
#include <algorithm>

#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"

namespace kvd::server {
namespace {

void Latest(CommandContext& ctx) {
  auto summaries = ctx.server.latency.Latest();
  ctx.reply.ArrayHeader(summaries.size());
  for (const auto& summary : summaries) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(summary.event);
    ctx.reply.Integer(static_cast<int64_t>(summary.last.time_s));
    ctx.reply.Integer(static_cast<int64_t>(summary.last.latency_ms));
    ctx.reply.Integer(static_cast<int64_t>(summary.max_ms));
  }
}

void History(CommandContext& ctx) {
  auto samples = ctx.server.latency.History(ctx.args[2]);
  ctx.reply.ArrayHeader(samples.size());
  for (const auto& sample : samples) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(static_cast<int64_t>(sample.time_s));
    ctx.reply.Integer(static_cast<int64_t>(sample.latency_ms));
  }
}

// One line per sample, newest last, with a bar as long as its share of the worst.
void Graph(CommandContext& ctx) {
  const std::string& event = ctx.args[2];
  auto samples = ctx.server.latency.History(event);
  if (samples.empty()) return ctx.reply.Error("ERR No samples available for event '" + event + "'");
  uint64_t high = 0, low = UINT64_MAX;
  for (const auto& sample : samples) {
    high = std::max(high, sample.latency_ms);
    low = std::min(low, sample.latency_ms);
  }
  std::string text = event + " - high " + std::to_string(high) + " ms, low " + std::to_string(low) + " ms\n\n";
  uint64_t now = ctx.server.engine.NowMs() / 1000;
  for (const auto& sample : samples) {
    size_t bar = static_cast<size_t>(std::max<uint64_t>(1, sample.latency_ms * 50 / std::max<uint64_t>(high, 1)));
    uint64_t age = now > sample.time_s ? now - sample.time_s : 0;
    text += std::to_string(age) + "s ago\t" + std::to_string(sample.latency_ms) + " ms\t" + std::string(bar, '#') + "\n";
  }
  ctx.reply.Verbatim(text);
}

void Doctor(CommandContext& ctx) {
  const LatencyMonitor& monitor = ctx.server.latency;
  std::string text;
  auto summaries = monitor.Latest();
  if (monitor.threshold_ms() == 0 && summaries.empty()) {
    text = "Latency monitoring is off (latency-monitor-threshold is 0). Turn it on with CONFIG SET "
           "latency-monitor-threshold <milliseconds>; commands that run at least that long are then recorded.\n";
  } else if (summaries.empty()) {
    text = "No command has run for " + std::to_string(monitor.threshold_ms()) +
           " ms or more since latency monitoring started.\n";
  } else {
    text = "Latency events since monitoring started (threshold " + std::to_string(monitor.threshold_ms()) + " ms):\n";
    for (const auto& summary : summaries) {
      auto samples = monitor.History(summary.event);
      uint64_t sum = 0;
      for (const auto& sample : samples) sum += sample.latency_ms;
      text += "- " + summary.event + ": " + std::to_string(samples.size()) + " spikes kept, average " +
              std::to_string(sum / std::max<size_t>(samples.size(), 1)) + " ms, worst " +
              std::to_string(summary.max_ms) + " ms.\n";
    }
    text += "SLOWLOG GET names the commands behind the spikes, and INFO commandstats and LATENCY HISTOGRAM "
            "their usual cost.\n";
  }
  ctx.reply.Verbatim(text);
}

// Whether stat slot `name` ("get", "config|get") was asked for: by itself, or by its container.
bool Named(const std::vector<std::string>& args, std::string_view name) {
  if (args.size() <= 2) return true;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string asked = ToLower(args[i]);
    if (name == asked || (name.starts_with(asked) && name.size() > asked.size() && name[asked.size()] == '|')) {
      return true;
    }
  }
  return false;
}

// Per command that ran: its calls, and how many took at most 1, 2, 4... microseconds (cumulative).
void Histogram(CommandContext& ctx) {
  const auto& names = Commands().StatNames();
  auto totals = ctx.server.command_stats.Commands();
  std::vector<size_t> shown;
  for (size_t slot = 0; slot < totals.size() && slot < names.size(); ++slot) {
    if (totals[slot].calls > 0 && Named(ctx.args, names[slot])) shown.push_back(slot);
  }
  ctx.reply.MapHeader(shown.size());
  for (size_t slot : shown) {
    const CommandStats::Totals& total = totals[slot];
    ctx.reply.Bulk(names[slot]);
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("calls");
    ctx.reply.Integer(static_cast<int64_t>(total.calls));
    ctx.reply.Bulk("histogram_usec");
    size_t used = static_cast<size_t>(std::count_if(total.buckets.begin(), total.buckets.end(), [](uint64_t n) { return n > 0; }));
    ctx.reply.MapHeader(used);
    uint64_t cumulative = 0;
    for (size_t bucket = 0; bucket < total.buckets.size(); ++bucket) {
      if (total.buckets[bucket] == 0) continue;
      cumulative += total.buckets[bucket];
      ctx.reply.Integer(int64_t{1} << bucket);
      ctx.reply.Integer(static_cast<int64_t>(cumulative));
    }
  }
}

// The dispatcher has checked the subcommand and its argument count (the row below).
void Latency(CommandContext& ctx) {
  const std::string& sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "LATEST")) return Latest(ctx);
  if (EqualsIgnoreCase(sub, "HISTORY")) return History(ctx);
  if (EqualsIgnoreCase(sub, "RESET")) {
    std::vector<std::string> events(ctx.args.begin() + 2, ctx.args.end());
    return ctx.reply.Integer(static_cast<int64_t>(ctx.server.latency.Reset(events)));
  }
  if (EqualsIgnoreCase(sub, "GRAPH")) return Graph(ctx);
  if (EqualsIgnoreCase(sub, "DOCTOR")) return Doctor(ctx);
  if (EqualsIgnoreCase(sub, "HISTOGRAM")) return Histogram(ctx);
  ReplyHelp(ctx, {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
      "    If no commands are specified then all histograms are replied.",
      "HELP",
      "    Print this help.",
  });
}

}  // namespace

std::vector<CommandSpec> LatencyCommands() {
  return {
      {"latency", -2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, Latency, nullptr,
       {{"latest", 2}, {"history", 3}, {"reset", -2}, {"graph", 3}, {"doctor", 2}, {"histogram", -2}, {"help", 2}}},
  };
}

}  // namespace kvd::server
