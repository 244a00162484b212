// `kvd proxy`: not built yet (see the proxy issue).
#pragma once

namespace kvd::proxy {
int RunProxyCommand(int argc, char** argv);
}  // namespace kvd::proxy
