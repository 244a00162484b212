// `kvd load`: restores a dump made by `kvd dump` (or packed from a SAVE).
// The archive is verified completely (format version, every file's checksum,
// the whole-file checksum) before anything is written, so a truncated or
// damaged dump loads nothing.
//
//   --dir DATA    unpacks the checkpoint as DATA/db (refused when DATA/db
//                 already holds a database). It is unpacked and opened once
//                 in a staging directory inside DATA first, so DATA/db only
//                 appears when it is a database RocksDB can open.
//   --addr H:P    unpacks it into a temporary directory, opens it with the
//                 storage engine and sends, for every live key of every
//                 database, SELECT / DEL / SET HSET RPUSH SADD ZADD (in
//                 batches) / PEXPIREAT, pipelined. Plain Redis commands only,
//                 so the target may be a redis-server too. Keys the target
//                 holds that the dump does not are left alone.
#include "tools/load_tool.h"

#include <signal.h>
#include <stdlib.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "common/numbers.h"
#include "storage/checkpoint.h"
#include "storage/encoding.h"
#include "storage/engine.h"
#include "storage/types/collection.h"
#include "tools/dump_tool.h"

namespace kvd::tools {
namespace fs = std::filesystem;
namespace po = boost::program_options;
using protocol::RespClient;

namespace {

constexpr size_t kElementsPerCommand = 512;
constexpr size_t kBytesPerCommand = 1 << 20;
constexpr size_t kCommandsPerFlush = 1000;
constexpr size_t kPendingBytesPerFlush = 4 << 20;

struct LoadOptions {
  std::string in;
  std::string address;
  std::string dir;
  std::string password;
  std::string tmp_dir;
};

// A directory made with mkdtemp and removed, with its contents, when this ends.
class ScratchDir {
 public:
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  Status Make(const std::string& parent, const std::string& prefix) {
    std::string pattern = (fs::path(parent) / (prefix + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status::IOError("cannot create a temporary directory in " + parent + ": " + std::strerror(errno));
    }
    path_ = pattern;
    return Status::Ok();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Opens the database unpacked in DIR/db; it is private to this process.
Result<std::unique_ptr<storage::Engine>> OpenUnpacked(const std::string& dir) {
  storage::EngineOptions options;
  options.dir = dir;
  options.block_cache_mb = 16;
  options.fsync = storage::FsyncPolicy::kNo;
  options.databases = 256;
  return storage::Engine::Open(options);
}

// ---- --dir ----------------------------------------------------------------------

bool HoldsDatabase(const std::string& db_dir) {
  std::error_code error;
  return fs::exists(db_dir, error) && !(fs::is_directory(db_dir, error) && fs::is_empty(db_dir, error));
}

Status LoadIntoDir(const LoadOptions& options) {
  std::string db_dir = (fs::path(options.dir) / "db").string();
  if (HoldsDatabase(db_dir)) {
    return Status::InvalidArgument(db_dir + " already holds a database; move it away first (and never load into "
                                   "the directory of a running server)");
  }
  std::error_code error;
  fs::create_directories(options.dir, error);
  if (error) return Status::IOError("cannot create " + options.dir + ": " + error.message());
  ScratchDir staging;
  KVD_RETURN_IF_ERROR(staging.Make(options.dir, ".load-"));
  std::string staged_db = staging.path() + "/db";
  auto extracted = storage::ExtractArchive(options.in, staged_db);
  if (!extracted.ok()) return extracted.status();
  auto engine = OpenUnpacked(staging.path());  // proves it opens before it takes DATA/db's place
  if (!engine.ok()) return Status::Corruption("the unpacked database does not open: " + engine.status().message());
  KVD_RETURN_IF_ERROR((*engine)->Close());
  engine->reset();
  if (HoldsDatabase(db_dir)) return Status::InvalidArgument(db_dir + " appeared while loading; left alone");
  fs::remove(db_dir, error);  // an empty directory, if any
  fs::rename(staged_db, db_dir, error);
  if (error) return Status::IOError("cannot move the database into " + db_dir + ": " + error.message());
  std::cout << "kvd load: restored " << db_dir << " (sequence " << extracted->header.sequence << ")\n";
  return Status::Ok();
}

// ---- --addr: commands that recreate every key -------------------------------------

// Sends commands in pipelined rounds and checks every reply.
class Pipeline {
 public:
  explicit Pipeline(RespClient& client) : client_(client) {}

  Status Add(const std::vector<std::string>& args) {
    pending_ += protocol::EncodeCommand(args);
    labels_.push_back(args[0] + (args.size() > 1 ? " " + args[1].substr(0, 64) : ""));
    bool full = labels_.size() >= kCommandsPerFlush || pending_.size() >= kPendingBytesPerFlush;
    return full ? Flush() : Status::Ok();
  }

  // Replies are small, so sending a whole round before reading cannot
  // fill both directions' buffers.
  Status Flush() {
    if (labels_.empty()) return Status::Ok();
    KVD_RETURN_IF_ERROR(client_.SendRaw(pending_));
    Status first_error;
    for (const auto& label : labels_) {
      auto reply = client_.ReadReply();
      if (!reply.ok()) return Status::IOError("reading the reply to " + label + ": " + reply.status().message());
      if (reply->IsError() && first_error.ok()) first_error = Status::IOError(label + " failed: " + reply->str);
    }
    pending_.clear();
    labels_.clear();
    return first_error;
  }

 private:
  RespClient& client_;
  std::string pending_;
  std::vector<std::string> labels_;  // "COMMAND key" of each pending command, for messages
};

const char* FillCommand(storage::KeyType type) {
  switch (type) {
    case storage::KeyType::kHash: return "HSET";
    case storage::KeyType::kList: return "RPUSH";
    case storage::KeyType::kSet: return "SADD";
    case storage::KeyType::kZSet: return "ZADD";
    case storage::KeyType::kString: break;
  }
  return "SET";
}

// Appends one element's arguments; the data CF holds field -> value for
// hashes, member -> "" for sets, index -> element for lists and member ->
// 8-byte sortable score for sorted sets.
Status AppendElement(storage::KeyType type, std::string_view field, std::string_view value,
                     std::vector<std::string>* args) {
  switch (type) {
    case storage::KeyType::kHash:
      args->emplace_back(field);
      args->emplace_back(value);
      return Status::Ok();
    case storage::KeyType::kList: args->emplace_back(value); return Status::Ok();
    case storage::KeyType::kSet: args->emplace_back(field); return Status::Ok();
    case storage::KeyType::kZSet:
      if (value.size() != 8) return Status::Corruption("a sorted-set score is not 8 bytes");
      args->push_back(FormatDouble(storage::DecodeSortableDouble(storage::GetBigEndian64(value.data()))));
      args->emplace_back(field);
      return Status::Ok();
    case storage::KeyType::kString: break;
  }
  return Status::Corruption("a string has elements");
}

class KeyReplayer {
 public:
  KeyReplayer(storage::Engine& engine, Pipeline& pipeline, uint64_t now_ms)
      : engine_(engine), pipeline_(pipeline), now_ms_(now_ms) {}

  // Every live key of every database, in key order.
  Status ReplayAll() {
    std::unique_ptr<rocksdb::Iterator> it(engine_.db()->NewIterator(rocksdb::ReadOptions(), engine_.meta()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      storage::MetaKey key;
      storage::Metadata meta;
      if (!storage::DecodeMetaKey(std::string_view(it->key().data(), it->key().size()), &key)) {
        return Status::Corruption("undecodable key in the dump");
      }
      KVD_RETURN_IF_ERROR(storage::DecodeMetadata(std::string_view(it->value().data(), it->value().size()), &meta));
      if (meta.IsExpired(now_ms_)) continue;
      KVD_RETURN_IF_ERROR(ReplayKey(key.db, std::string(key.user_key), meta));
    }
    if (!it->status().ok()) return Status::IOError("reading the dump: " + it->status().ToString());
    return pipeline_.Flush();
  }
  uint64_t keys() const { return keys_; }

 private:
  Status ReplayKey(uint8_t db, const std::string& key, const storage::Metadata& meta) {
    if (db != current_db_) {
      KVD_RETURN_IF_ERROR(pipeline_.Add({"SELECT", std::to_string(db)}));
      current_db_ = db;
    }
    KVD_RETURN_IF_ERROR(pipeline_.Add({"DEL", key}));
    if (meta.type == storage::KeyType::kString) {
      KVD_RETURN_IF_ERROR(pipeline_.Add({"SET", key, meta.value}));
    } else {
      KVD_RETURN_IF_ERROR(ReplayElements(db, key, meta));
    }
    if (meta.expire_ms != 0) KVD_RETURN_IF_ERROR(pipeline_.Add({"PEXPIREAT", key, std::to_string(meta.expire_ms)}));
    ++keys_;
    return Status::Ok();
  }

  // One fill command per kElementsPerCommand elements or kBytesPerCommand bytes.
  Status ReplayElements(uint8_t db, const std::string& key, const storage::Metadata& meta) {
    storage::SubKeyIterator it(engine_, engine_.data(), db, key, meta.version);
    std::vector<std::string> args = {FillCommand(meta.type), key};
    size_t elements = 0, bytes = 0;
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      KVD_RETURN_IF_ERROR(AppendElement(meta.type, it.field(), it.value(), &args));
      bytes += it.field().size() + it.value().size();
      if (++elements < kElementsPerCommand && bytes < kBytesPerCommand) continue;
      KVD_RETURN_IF_ERROR(pipeline_.Add(args));
      args.resize(2);
      elements = bytes = 0;
    }
    KVD_RETURN_IF_ERROR(it.status());
    return elements > 0 ? pipeline_.Add(args) : Status::Ok();
  }

  storage::Engine& engine_;
  Pipeline& pipeline_;
  uint64_t now_ms_;
  int current_db_ = 0;  // a new connection starts in database 0
  uint64_t keys_ = 0;
};

std::string DefaultScratchParent(const std::string& in) {
  std::string parent = fs::path(in).parent_path().string();
  return parent.empty() ? "." : parent;
}

Status LoadIntoServer(const LoadOptions& options) {
  ScratchDir scratch;
  std::string parent = options.tmp_dir.empty() ? DefaultScratchParent(options.in) : options.tmp_dir;
  KVD_RETURN_IF_ERROR(scratch.Make(parent, "kvd-load-"));
  auto extracted = storage::ExtractArchive(options.in, scratch.path() + "/db");
  if (!extracted.ok()) return extracted.status();
  auto engine = OpenUnpacked(scratch.path());
  if (!engine.ok()) return Status::Corruption("the unpacked database does not open: " + engine.status().message());
  RespClient client;
  KVD_RETURN_IF_ERROR(ConnectToServer(client, options.address, options.password));
  Pipeline pipeline(client);
  KeyReplayer replayer(**engine, pipeline, SystemClock::Instance()->NowMs());
  Status replayed = replayer.ReplayAll();
  Status closed = (*engine)->Close();
  KVD_RETURN_IF_ERROR(replayed);
  KVD_RETURN_IF_ERROR(closed);
  std::cout << "kvd load: loaded " << replayer.keys() << " keys into " << options.address << " (sequence "
            << extracted->header.sequence << ")\n";
  return Status::Ok();
}

// ---- command line -----------------------------------------------------------------

po::options_description LoadOptionsDescription(LoadOptions* options) {
  po::options_description description("kvd load options");
  description.add_options()("help,h", "print this help")(
      "in", po::value(&options->in), "dump file to restore (required)")(
      "addr", po::value(&options->address), "load into the server at HOST:PORT (kvd or redis-server)")(
      "dir", po::value(&options->dir), "or restore as the data directory DATA (DATA/db must not hold a database)")(
      "password", po::value(&options->password), "password for AUTH, with --addr")(
      "tmp-dir", po::value(&options->tmp_dir),
      "where --addr unpacks the dump meanwhile (default: the directory of --in)");
  return description;
}

// 0: run; otherwise the exit code to return at once (1 bad usage, -1 help shown).
int ParseLoadOptions(int argc, char** argv, LoadOptions* options) {
  po::options_description description = LoadOptionsDescription(options);
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, description), values);
    po::notify(values);
  } catch (const std::exception& error) {
    std::cerr << "kvd load: " << error.what() << "\n" << description << "\n";
    return 1;
  }
  if (values.count("help")) {
    std::cout << "Usage: kvd load --in FILE (--addr HOST:PORT [--password P] | --dir DATA)\n\n" << description << "\n";
    return -1;
  }
  if (options->in.empty() || options->address.empty() == options->dir.empty()) {
    std::cerr << "kvd load: give --in FILE and exactly one of --addr HOST:PORT and --dir DATA\n"
              << description << "\n";
    return 1;
  }
  return 0;
}

int Load(const LoadOptions& options) {
  // Checked up front so that a bad file is reported before any other work.
  auto verified = storage::VerifyArchive(options.in);
  Status loaded = verified.status();
  if (loaded.ok()) loaded = options.dir.empty() ? LoadIntoServer(options) : LoadIntoDir(options);
  if (!loaded.ok()) {
    std::cerr << "kvd load: " << loaded.message() << "\n";
    if (!verified.ok()) std::cerr << "kvd load: nothing was loaded\n";
    return 1;
  }
  return 0;
}

}  // namespace

int RunLoadCommand(int argc, char** argv) {
  LoadOptions options;
  int parsed = ParseLoadOptions(argc, argv, &options);
  if (parsed != 0) return parsed < 0 ? 0 : parsed;
  ::signal(SIGPIPE, SIG_IGN);
  try {
    return Load(options);
  } catch (const std::exception& error) {  // allocation failures and the like: never escape main
    std::cerr << "kvd load: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace kvd::tools
