#pragma once

namespace kvd::tools {

// `kvd load ...`: argv[0] is "load". Returns the process exit code.
int RunLoadCommand(int argc, char** argv);

}  // namespace kvd::tools
