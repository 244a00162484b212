// `kvd server`: loads the config, opens the storage engine, runs the I/O
// thread pool and the cron, and stops cleanly on SIGTERM/SIGINT or SHUTDOWN.
#pragma once

namespace kvd::server {

// Entry point for `kvd server ...`; returns the process exit code.
int RunServerCommand(int argc, char** argv);

}  // namespace kvd::server
