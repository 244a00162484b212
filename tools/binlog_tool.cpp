#include "tools/binlog_tool.h"

#include <iostream>

namespace kvd::tools {

int RunBinlogCommand(int, char**) {
  std::cerr << "kvd binlog: not implemented yet\n";
  return 1;
}

}  // namespace kvd::tools
