// `kvd sentinel`: one member of a sentinel group (sentinel_node.h).
#pragma once

namespace kvd::sentinel {
int RunSentinelCommand(int argc, char** argv);
}  // namespace kvd::sentinel
