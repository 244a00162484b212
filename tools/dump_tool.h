#pragma once

namespace kvd::tools {

// `kvd dump ...`: argv[0] is "dump". Returns the process exit code.
int RunDumpCommand(int argc, char** argv);

}  // namespace kvd::tools
