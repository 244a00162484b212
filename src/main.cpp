// kvd: one binary, three roles. This file only picks the role.
#include <cstring>
#include <iostream>

#include "roles/proxy/proxy.h"
#include "roles/sentinel/sentinel.h"
#include "roles/server/server.h"
#include "tools/binlog_tool.h"
#include "tools/dump_tool.h"
#include "tools/load_tool.h"

namespace {

void PrintUsage() {
  std::cout << "Usage: kvd <command> [options]\n\n"
               "Commands:\n"
               "  server     a Redis-compatible data node on RocksDB (kvd server --help)\n"
               "  sentinel   monitors masters and fails over (kvd sentinel --help)\n"
               "  proxy      a sharding proxy over 1024 slots (kvd proxy --help)\n"
               "  binlog     prints a data directory's binlog (kvd binlog --help)\n"
               "  dump       writes a consistent backup of a running server (kvd dump --help)\n"
               "  load       restores a backup into a server or a data directory (kvd load --help)\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    PrintUsage();
    return argc < 2 ? 1 : 0;
  }
  std::string role = argv[1];
  // The role sees its own name as argv[0], as program_options expects.
  if (role == "server") return kvd::server::RunServerCommand(argc - 1, argv + 1);
  if (role == "sentinel") return kvd::sentinel::RunSentinelCommand(argc - 1, argv + 1);
  if (role == "proxy") return kvd::proxy::RunProxyCommand(argc - 1, argv + 1);
  if (role == "binlog") return kvd::tools::RunBinlogCommand(argc - 1, argv + 1);
  if (role == "dump") return kvd::tools::RunDumpCommand(argc - 1, argv + 1);
  if (role == "load") return kvd::tools::RunLoadCommand(argc - 1, argv + 1);
  std::cerr << "kvd: unknown command '" << role << "'\n";
  PrintUsage();
  return 1;
}
