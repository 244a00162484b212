#include "tools/binlog_tool.h"

#include <boost/program_options.hpp>
#include <cstdio>
#include <ctime>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include "common/numbers.h"
#include "common/status.h"
#include "protocol/resp_client.h"
#include "storage/wal_reader.h"

namespace kvd::tools {
namespace {

namespace po = boost::program_options;

enum class OutputFormat { kText, kResp };

struct BinlogToolOptions {
  std::string dir;
  uint64_t from = 0;
  std::optional<uint64_t> limit;  // none: every record
  OutputFormat format = OutputFormat::kText;
};

po::options_description Description() {
  po::options_description description("kvd binlog options");
  description.add_options()("help,h", "show this help")(
      "dir", po::value<std::string>()->value_name("DATA"), "the server's data directory (its --dir; RocksDB is in DIR/db)")(
      "from", po::value<std::string>()->value_name("SEQ"), "skip records whose sequence number is below SEQ")(
      "limit", po::value<std::string>()->value_name("N"), "stop after N records")(
      "format", po::value<std::string>()->value_name("text|resp"),
      "text (default): one line per record: sequence, UTC time, db, command;\n"
      "resp: the commands as RESP with SELECTs, for redis-cli --pipe");
  return description;
}

// Numbers are parsed here rather than by program_options, which reads "-1" as a huge unsigned value.
Result<uint64_t> ParseCount(const po::variables_map& flags, const std::string& name) {
  std::string text = flags[name].as<std::string>();
  uint64_t value = 0;
  if (!ParseUint64(text, &value)) return Status::InvalidArgument("--" + name + " wants a number, not '" + text + "'");
  return value;
}

Status ApplyFlags(const po::variables_map& flags, BinlogToolOptions* options) {
  if (!flags.count("dir")) return Status::InvalidArgument("--dir DATA is required");
  options->dir = flags["dir"].as<std::string>();
  if (flags.count("from")) {
    Result<uint64_t> from = ParseCount(flags, "from");
    if (!from.ok()) return from.status();
    options->from = *from;
  }
  if (flags.count("limit")) {
    Result<uint64_t> limit = ParseCount(flags, "limit");
    if (!limit.ok()) return limit.status();
    options->limit = *limit;
  }
  std::string format = flags.count("format") ? flags["format"].as<std::string>() : "text";
  if (format != "text" && format != "resp") {
    return Status::InvalidArgument("--format is text or resp, not '" + format + "'");
  }
  options->format = format == "resp" ? OutputFormat::kResp : OutputFormat::kText;
  return Status::Ok();
}

Result<BinlogToolOptions> ParseOptions(int argc, char** argv, bool* help) {
  po::variables_map flags;
  try {
    // No positional arguments: a stray word is an error, not silently ignored.
    po::positional_options_description none;
    po::store(po::command_line_parser(argc, argv).options(Description()).positional(none).run(), flags);
  } catch (const po::error& error) {
    return Status::InvalidArgument(error.what());
  }
  *help = flags.count("help") > 0;
  BinlogToolOptions options;
  if (*help) return options;
  KVD_RETURN_IF_ERROR(ApplyFlags(flags, &options));
  return options;
}

// An argument as redis-cli prints one: in double quotes, printable bytes as
// they are, the rest escaped.
std::string QuoteArg(std::string_view arg) {
  std::string out = "\"";
  for (char c : arg) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out.push_back(c);
        } else {
          char escaped[5];
          std::snprintf(escaped, sizeof(escaped), "\\x%02x", static_cast<unsigned char>(c));
          out += escaped;
        }
    }
  }
  return out + "\"";
}

// ISO 8601 in UTC with milliseconds: 2023-11-14T22:13:20.123Z.
std::string FormatTimeMs(uint64_t time_ms) {
  std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return std::to_string(time_ms) + "ms";
  char text[64];
  size_t length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof(text) - length, ".%03uZ", static_cast<unsigned>(time_ms % 1000));
  return text;
}

std::string TextLine(const storage::BinlogEntry& entry) {
  std::string line = std::to_string(entry.sequence) + " " + FormatTimeMs(entry.record.time_ms) +
                     " db=" + std::to_string(entry.record.db);
  for (const std::string& arg : entry.record.args) line += " " + QuoteArg(arg);
  return line + "\n";
}

class RecordPrinter {
 public:
  explicit RecordPrinter(OutputFormat format) : format_(format) {}

  void Print(const storage::BinlogEntry& entry) {
    if (format_ == OutputFormat::kText) {
      std::cout << TextLine(entry);
      return;
    }
    // A replay runs every command in the database it was run in.
    std::cout << protocol::EncodeCommandInDb(entry.record.db, entry.record.args, &db_);
  }

 private:
  OutputFormat format_;
  int db_ = -1;  // none selected yet
};

void PrintNotes(const storage::BinlogReader& reader) {
  for (const std::string& note : reader.notes()) std::cerr << "kvd binlog: note: " << note << "\n";
}

bool IsMark(const storage::BinlogEntry& entry, const char* mark) {
  return entry.record.args.size() == 1 && entry.record.args[0] == mark;
}

// Chooses the records to print so that --from and --limit never cut a
// MULTI ... EXEC: a transaction that starts before --from is printed from its
// MULTI, and one open when --limit is reached is printed to its EXEC.
class RecordSelection {
 public:
  RecordSelection(const BinlogToolOptions& options, RecordPrinter& printer) : options_(options), printer_(printer) {}

  void Offer(const storage::BinlogEntry& entry) {
    if (entry.sequence < options_.from) return Skip(entry);
    for (const auto& earlier : open_transaction_) printer_.Print(earlier);
    open_transaction_.clear();
    printer_.Print(entry);
    if (IsMark(entry, "MULTI")) inside_ = true;
    if (IsMark(entry, "EXEC")) inside_ = false;
    ++printed_;
  }
  bool done() const { return options_.limit && printed_ >= *options_.limit && !inside_; }

 private:
  void Skip(const storage::BinlogEntry& entry) {
    if (IsMark(entry, "MULTI")) {
      open_transaction_.clear();
      inside_ = true;
    }
    if (inside_) open_transaction_.push_back(entry);
    if (IsMark(entry, "EXEC")) {
      open_transaction_.clear();
      inside_ = false;
    }
  }

  const BinlogToolOptions& options_;
  RecordPrinter& printer_;
  std::vector<storage::BinlogEntry> open_transaction_;  // skipped records of a MULTI still open
  bool inside_ = false;
  uint64_t printed_ = 0;
};

// Prints the records; a damaged file stops it with a message (exit code 1).
int PrintBinlog(const BinlogToolOptions& options) {
  Result<std::unique_ptr<storage::BinlogReader>> reader = storage::BinlogReader::Open(options.dir);
  Status status = reader.ok() ? (*reader)->SkipFilesBefore(options.from) : reader.status();
  RecordPrinter printer(options.format);
  RecordSelection selection(options, printer);
  storage::WalBatch batch;
  while (status.ok() && !selection.done()) {
    Result<bool> got = (*reader)->Next(&batch);
    if (!got.ok()) status = got.status();
    if (!got.ok() || !*got) break;
    for (const storage::BinlogEntry& entry : batch.records) {
      selection.Offer(entry);
      if (selection.done()) break;
    }
  }
  std::cout.flush();
  if (reader.ok()) PrintNotes(**reader);
  if (!status.ok()) {
    std::cerr << "kvd binlog: " << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int RunBinlogCommand(int argc, char** argv) {
  try {
    bool help = false;
    Result<BinlogToolOptions> options = ParseOptions(argc, argv, &help);
    if (help) {
      std::cout << "Usage: kvd binlog --dir DATA [--from SEQ] [--limit N] [--format text|resp]\n\n"
                   "Prints the binlog kept in a data directory (archived and live RocksDB WAL files),\n"
                   "oldest first. Works on the directory of a running or a stopped server.\n\n"
                << Description() << "\n";
      return 0;
    }
    if (!options.ok()) {
      std::cerr << "kvd binlog: " << options.status().message() << "\n";
      return 1;
    }
    return PrintBinlog(*options);
  } catch (const std::exception& error) {  // e.g. out of memory: report it rather than abort
    std::cerr << "kvd binlog: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace kvd::tools
