#include "tools/load_tool.h"

#include <iostream>

namespace kvd::tools {

int RunLoadCommand(int, char**) {
  std::cerr << "kvd load: not implemented yet\n";
  return 1;
}

}  // namespace kvd::tools
