// `kvd dump`: a consistent point-in-time backup of a running server in one
// file. The server makes a checkpoint (CHECKPOINT CREATE); its files are
// pulled with pipelined CHECKPOINT READs into a temporary file next to --out,
// which is fsynced and renamed to --out only when complete, so a failure
// (a full disk, a dropped connection) leaves no partial file. The checkpoint
// is dropped at the end either way. The server keeps serving meanwhile: the
// checkpoint is hard links, and each READ is one bounded file read.
#include "tools/dump_tool.h"

#include <netdb.h>
#include <signal.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>
#include <vector>

#include "common/numbers.h"
#include "storage/checkpoint.h"

namespace kvd::tools {
namespace po = boost::program_options;
using protocol::RespClient;
using protocol::RespValue;

namespace {

constexpr uint64_t kChunkBytes = 1 << 20;  // per CHECKPOINT READ (the server caps at 8 MB)
constexpr size_t kReadsInFlight = 8;       // pipelined: hides the round trip on a remote link

struct DumpOptions {
  std::string address;
  std::string password;
  std::string out;
};

struct RemoteCheckpoint {
  std::string id;
  uint64_t sequence = 0;
  std::vector<storage::CheckpointFile> files;
};

// "host:port" or "[v6]:port" -> host and port.
Status SplitAddress(std::string_view address, std::string* host, uint16_t* port) {
  size_t colon = address.rfind(':');
  int64_t number = 0;
  if (colon == std::string_view::npos || !ParseInt64(address.substr(colon + 1), &number) || number < 1 ||
      number > 65535) {
    return Status::InvalidArgument("--addr must be HOST:PORT, got '" + std::string(address) + "'");
  }
  *host = std::string(address.substr(0, colon));
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  *port = static_cast<uint16_t>(number);
  return Status::Ok();
}

// RespClient wants a numeric address; names go through the resolver.
Result<std::string> ResolveHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int error = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (error != 0 || found == nullptr) {
    return Status::InvalidArgument("cannot resolve '" + host + "': " + gai_strerror(error));
  }
  char text[NI_MAXHOST];
  error = ::getnameinfo(found->ai_addr, found->ai_addrlen, text, sizeof(text), nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(found);
  if (error != 0) return Status::InvalidArgument("cannot resolve '" + host + "': " + gai_strerror(error));
  return std::string(text);
}

// An error reply, or an unexpected shape, as a Status naming the command.
Status ReplyProblem(const Result<RespValue>& reply, const std::string& command) {
  if (!reply.ok()) return Status::IOError(command + ": " + reply.status().message());
  if (reply->IsError()) return Status::IOError(command + " failed: " + reply->str);
  return Status::Ok();
}

Result<RemoteCheckpoint> CreateRemoteCheckpoint(RespClient& client) {
  auto reply = client.Command({"CHECKPOINT", "CREATE"});
  KVD_RETURN_IF_ERROR(ReplyProblem(reply, "CHECKPOINT CREATE"));
  const auto& items = reply->elements;
  bool well_formed = reply->type == RespValue::Type::kArray && items.size() >= 2 && items.size() % 2 == 0 &&
                     items[0].type == RespValue::Type::kBulk && items[1].type == RespValue::Type::kInteger;
  if (!well_formed) return Status::IOError("CHECKPOINT CREATE: unexpected reply " + reply->ToString());
  RemoteCheckpoint checkpoint{items[0].str, static_cast<uint64_t>(items[1].integer), {}};
  for (size_t i = 2; i < items.size(); i += 2) {
    if (items[i].type != RespValue::Type::kBulk || items[i + 1].type != RespValue::Type::kInteger ||
        items[i + 1].integer < 0) {
      return Status::IOError("CHECKPOINT CREATE: unexpected file entry in " + reply->ToString());
    }
    checkpoint.files.push_back({items[i].str, static_cast<uint64_t>(items[i + 1].integer)});
  }
  return checkpoint;
}

// Reads the replies of READs still in flight after an error, so the
// connection can carry CHECKPOINT DROP afterwards.
void DrainReplies(RespClient& client, size_t in_flight) {
  for (; in_flight > 0; --in_flight) {
    if (!client.ReadReply().ok()) return;
  }
}

Status ReceiveChunk(RespClient& client, const storage::CheckpointFile& file, uint64_t offset,
                    storage::ArchiveWriter& writer) {
  // Into the archive in pieces as the bytes arrive, without holding the chunk.
  auto length = client.ReadBulkInto([&](std::string_view piece) { return writer.Append(piece); });
  if (!length.ok()) return Status::IOError("CHECKPOINT READ " + file.name + ": " + length.status().message());
  uint64_t expected = std::min(kChunkBytes, file.size - offset);
  if (*length != expected) {
    return Status::IOError("CHECKPOINT READ " + file.name + " at " + std::to_string(offset) + ": expected " +
                           std::to_string(expected) + " bytes, got " + std::to_string(*length));
  }
  return Status::Ok();
}

// Pulls one file with up to kReadsInFlight READs outstanding.
Status PullFile(RespClient& client, const std::string& id, const storage::CheckpointFile& file,
                storage::ArchiveWriter& writer) {
  KVD_RETURN_IF_ERROR(writer.BeginFile(file.name, file.size));
  uint64_t requested = 0, received = 0;
  size_t in_flight = 0;
  while (received < file.size) {
    for (; in_flight < kReadsInFlight && requested < file.size; ++in_flight) {
      uint64_t length = std::min(kChunkBytes, file.size - requested);
      KVD_RETURN_IF_ERROR(client.SendRaw(protocol::EncodeCommand(
          {"CHECKPOINT", "READ", id, file.name, std::to_string(requested), std::to_string(length)})));
      requested += length;
    }
    Status received_chunk = ReceiveChunk(client, file, received, writer);
    --in_flight;
    if (!received_chunk.ok()) {
      DrainReplies(client, in_flight);
      return received_chunk;
    }
    received += std::min(kChunkBytes, file.size - received);
  }
  return writer.EndFile();
}

uint64_t NowMs() { return SystemClock::Instance()->NowMs(); }

Status WriteDump(RespClient& client, const RemoteCheckpoint& checkpoint, const std::string& out) {
  storage::ArchiveHeader header;
  header.sequence = checkpoint.sequence;
  header.created_ms = NowMs();
  header.file_count = static_cast<uint32_t>(checkpoint.files.size());
  storage::ArchiveWriter writer;  // removes its temporary file unless Finish() succeeds
  KVD_RETURN_IF_ERROR(writer.Open(out, header));
  for (const auto& file : checkpoint.files) KVD_RETURN_IF_ERROR(PullFile(client, checkpoint.id, file, writer));
  return writer.Finish();
}

void DropRemoteCheckpoint(RespClient& client, const std::string& id) {
  auto reply = client.Command({"CHECKPOINT", "DROP", id});
  Status problem = ReplyProblem(reply, "CHECKPOINT DROP");
  if (!problem.ok()) {
    std::cerr << "kvd dump: warning: " << problem.message() << " (the server removes it later by itself)\n";
  }
}

po::options_description DumpOptionsDescription(DumpOptions* options) {
  po::options_description description("kvd dump options");
  description.add_options()("help,h", "print this help")(
      "addr", po::value(&options->address)->default_value("127.0.0.1:6380"), "server to back up, HOST:PORT")(
      "password", po::value(&options->password), "password for AUTH (requirepass)")(
      "out", po::value(&options->out), "dump file to write (required); replaced only when the dump is complete");
  return description;
}

// 0: run; otherwise the exit code to return at once (1 bad usage, -1 help shown).
int ParseDumpOptions(int argc, char** argv, DumpOptions* options) {
  po::options_description description = DumpOptionsDescription(options);
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, description), values);
    po::notify(values);
  } catch (const std::exception& error) {
    std::cerr << "kvd dump: " << error.what() << "\n" << description << "\n";
    return 1;
  }
  if (values.count("help")) {
    std::cout << "Usage: kvd dump --addr HOST:PORT [--password P] --out FILE\n\n" << description << "\n";
    return -1;
  }
  if (options->out.empty()) {
    std::cerr << "kvd dump: --out FILE is required\n" << description << "\n";
    return 1;
  }
  return 0;
}

int Dump(const DumpOptions& options) {
  RespClient client;
  Status connected = ConnectToServer(client, options.address, options.password);
  if (!connected.ok()) {
    std::cerr << "kvd dump: " << connected.message() << "\n";
    return 1;
  }
  auto checkpoint = CreateRemoteCheckpoint(client);
  if (!checkpoint.ok()) {
    std::cerr << "kvd dump: " << checkpoint.status().message() << "\n";
    return 1;
  }
  Status written = WriteDump(client, *checkpoint, options.out);
  DropRemoteCheckpoint(client, checkpoint->id);
  if (!written.ok()) {
    std::cerr << "kvd dump: " << written.message() << "; no dump was written\n";
    return 1;
  }
  std::cout << "kvd dump: wrote " << options.out << " (" << checkpoint->files.size() << " files, sequence "
            << checkpoint->sequence << ")\n";
  return 0;
}

}  // namespace

Status ConnectToServer(RespClient& client, std::string_view address, const std::string& password) {
  std::string host;
  uint16_t port = 0;
  KVD_RETURN_IF_ERROR(SplitAddress(address, &host, &port));
  auto numeric = ResolveHost(host);
  if (!numeric.ok()) return numeric.status();
  KVD_RETURN_IF_ERROR(client.Connect(*numeric, port));
  if (password.empty()) return Status::Ok();
  auto reply = client.Command({"AUTH", password});
  return ReplyProblem(reply, "AUTH");
}

int RunDumpCommand(int argc, char** argv) {
  DumpOptions options;
  int parsed = ParseDumpOptions(argc, argv, &options);
  if (parsed != 0) return parsed < 0 ? 0 : parsed;
  // A file-size limit (ulimit -f) then fails a write with EFBIG, which is
  // cleaned up like a full disk, instead of killing the process mid-file.
  ::signal(SIGXFSZ, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  try {
    return Dump(options);
  } catch (const std::exception& error) {  // allocation failures and the like: never escape main
    std::cerr << "kvd dump: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace kvd::tools
