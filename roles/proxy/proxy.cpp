#include "roles/proxy/proxy.h"

#include <iostream>

namespace kvd::proxy {

int RunProxyCommand(int, char**) {
  std::cerr << "kvd proxy: not implemented yet\n";
  return 1;
}

}  // namespace kvd::proxy
