// `kvd sentinel`: not built yet (see the sentinel issue).
#pragma once

namespace kvd::sentinel {
int RunSentinelCommand(int argc, char** argv);
}  // namespace kvd::sentinel
