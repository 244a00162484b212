#include "roles/sentinel/sentinel.h"

#include <signal.h>

#include <iostream>

#include "common/logging.h"
#include "roles/sentinel/options.h"
#include "roles/sentinel/sentinel_node.h"

namespace kvd::sentinel {

int RunSentinelCommand(int argc, char** argv) {
  bool help = false;
  std::string help_text;
  auto config = LoadSentinelConfig(argc, argv, &help, &help_text);
  if (help) {
    std::cout << "Usage: kvd sentinel --masters name=host:port[,...] [--id N --peers id=host:port,...] [options]\n\n"
              << help_text << "\n";
    return 0;
  }
  if (!config.ok()) {
    std::cerr << "kvd sentinel: " << config.status().message() << "\n";
    return 1;
  }
  Status logging = InitLogging(config->loglevel, config->logfile);
  if (!logging.ok()) {
    std::cerr << "kvd sentinel: " << logging.message() << "\n";
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  // On the heap: handlers hold pointers into it until the loop ends.
  auto node = std::make_unique<SentinelNode>(std::move(*config));
  Status started = node->Start();
  if (!started.ok()) {
    KVD_LOG(kWarning) << started.message();
    return 1;
  }
  return node->Run();
}

}  // namespace kvd::sentinel
