#pragma once

namespace kvd::tools {

// `kvd binlog ...`: argv[0] is "binlog". Returns the process exit code.
int RunBinlogCommand(int argc, char** argv);

}  // namespace kvd::tools
