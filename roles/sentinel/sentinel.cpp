#include "roles/sentinel/sentinel.h"

#include <iostream>

namespace kvd::sentinel {

int RunSentinelCommand(int, char**) {
  std::cerr << "kvd sentinel: not implemented yet\n";
  return 1;
}

}  // namespace kvd::sentinel
