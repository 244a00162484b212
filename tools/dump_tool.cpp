#include "tools/dump_tool.h"

#include <iostream>

namespace kvd::tools {

int RunDumpCommand(int, char**) {
  std::cerr << "kvd dump: not implemented yet\n";
  return 1;
}

}  // namespace kvd::tools
