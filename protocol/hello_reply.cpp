#include "protocol/hello_reply.h"

#include "common/version.h"

namespace kvd::protocol {

void WriteHelloReply(RespWriter& writer, int protocol, uint64_t client_id, std::string_view mode,
                     std::string_view role) {
  writer.MapHeader(7);
  writer.Bulk("server");
  writer.Bulk("redis");
  writer.Bulk("version");
  writer.Bulk(kRedisCompatVersion);
  writer.Bulk("proto");
  writer.Integer(protocol);
  writer.Bulk("id");
  writer.Integer(static_cast<int64_t>(client_id));
  writer.Bulk("mode");
  writer.Bulk(mode);
  writer.Bulk("role");
  writer.Bulk(role);
  writer.Bulk("modules");
  writer.ArrayHeader(0);
}

}  // namespace kvd::protocol
