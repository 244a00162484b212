#include "cluster/raft/codec.h"

#include "cluster/raft/byte_codec.h"

namespace kvd::cluster::raft {
namespace {

// The second byte of every top-level encoding: which decoder it is for.
enum class RecordKind : uint8_t {
  kMessage = 'M',
  kEntry = 'E',
  kHardState = 'H',
  kSnapshot = 'S',
  kMembership = 'C',
};

// Smallest possible encodings, used to bound counts read from the input.
constexpr size_t kMinEntryBytes = 4;   // index, term, type, empty data
constexpr size_t kMinVoterBytes = 1;

void WriteHeader(ByteWriter& out, RecordKind kind) {
  out.U8(kCodecVersion);
  out.U8(static_cast<uint8_t>(kind));
}

Status ReadHeader(ByteReader& in, RecordKind kind) {
  uint8_t version = 0;
  uint8_t got = 0;
  if (!in.U8(&version) || !in.U8(&got)) return Status::Corruption("raft record truncated");
  if (version != kCodecVersion) return Status::Corruption("unsupported raft codec version " + std::to_string(version));
  if (got != static_cast<uint8_t>(kind)) return Status::Corruption("unexpected raft record kind");
  return Status::Ok();
}

Status Truncated(const char* what) { return Status::Corruption(std::string("malformed raft ") + what); }

void WriteEntry(ByteWriter& out, const Entry& entry) {
  out.Varint(entry.index);
  out.Varint(entry.term);
  out.U8(static_cast<uint8_t>(entry.type));
  out.Bytes(entry.data);
}

bool ReadEntry(ByteReader& in, Entry* entry) {
  uint8_t type = 0;
  if (!in.Varint(&entry->index) || !in.Varint(&entry->term) || !in.U8(&type)) return false;
  if (type > kMaxEntryType) return false;
  entry->type = static_cast<EntryType>(type);
  return in.Bytes(&entry->data);
}

void WriteMembership(ByteWriter& out, const Membership& membership) {
  out.Varint(membership.voters.size());
  for (NodeId id : membership.voters) out.Varint(id);
}

bool ReadMembership(ByteReader& in, Membership* membership) {
  uint64_t count = 0;
  if (!in.Count(&count, kMinVoterBytes)) return false;
  membership->voters.clear();
  for (uint64_t i = 0; i < count; ++i) {
    NodeId id = kNoNode;
    if (!in.Varint(&id) || id == kNoNode) return false;
    if (!membership->voters.insert(id).second) return false;  // duplicates mean corruption
  }
  return true;
}

void WriteSnapshot(ByteWriter& out, const Snapshot& snapshot) {
  out.Varint(snapshot.meta.index);
  out.Varint(snapshot.meta.term);
  WriteMembership(out, snapshot.meta.membership);
  out.Bytes(snapshot.data);
}

bool ReadSnapshot(ByteReader& in, Snapshot* snapshot) {
  return in.Varint(&snapshot->meta.index) && in.Varint(&snapshot->meta.term) &&
         ReadMembership(in, &snapshot->meta.membership) && in.Bytes(&snapshot->data);
}

void WriteMessageFields(ByteWriter& out, const Message& m) {
  out.U8(static_cast<uint8_t>(m.type));
  out.Varint(m.from);
  out.Varint(m.to);
  out.Varint(m.term);
  out.Varint(m.log_term);
  out.Varint(m.index);
  out.Varint(m.commit);
  out.Bool(m.reject);
  out.Varint(m.reject_hint);
  out.Varint(m.hint_term);
  out.Varint(m.read_seq);
  out.Bytes(m.context);
  out.Varint(m.entries.size());
  for (const Entry& entry : m.entries) WriteEntry(out, entry);
  out.Bool(m.snapshot.has_value());
  if (m.snapshot) WriteSnapshot(out, *m.snapshot);
}

bool ReadMessageType(ByteReader& in, MessageType* type) {
  uint8_t raw = 0;
  if (!in.U8(&raw) || raw < kMinMessageType || raw > kMaxMessageType) return false;
  *type = static_cast<MessageType>(raw);
  return true;
}

bool ReadEntries(ByteReader& in, std::vector<Entry>* entries) {
  uint64_t count = 0;
  if (!in.Count(&count, kMinEntryBytes)) return false;
  entries->resize(count);
  for (Entry& entry : *entries) {
    if (!ReadEntry(in, &entry)) return false;
  }
  return true;
}

bool ReadOptionalSnapshot(ByteReader& in, std::optional<Snapshot>* snapshot) {
  bool present = false;
  if (!in.Bool(&present)) return false;
  if (!present) return true;
  snapshot->emplace();
  return ReadSnapshot(in, &**snapshot);
}

bool ReadMessageFields(ByteReader& in, Message* m) {
  return ReadMessageType(in, &m->type) && in.Varint(&m->from) && in.Varint(&m->to) && in.Varint(&m->term) &&
         in.Varint(&m->log_term) && in.Varint(&m->index) && in.Varint(&m->commit) && in.Bool(&m->reject) &&
         in.Varint(&m->reject_hint) && in.Varint(&m->hint_term) && in.Varint(&m->read_seq) &&
         in.Bytes(&m->context) && ReadEntries(in, &m->entries) && ReadOptionalSnapshot(in, &m->snapshot);
}

// Decodes one top-level record: header, fields, and nothing after them.
template <typename T, typename ReadFields>
Result<T> DecodeRecord(std::string_view bytes, RecordKind kind, const char* what, ReadFields read_fields) {
  ByteReader in(bytes);
  KVD_RETURN_IF_ERROR(ReadHeader(in, kind));
  T value{};
  if (!read_fields(in, &value)) return Truncated(what);
  if (!in.AtEnd()) return Status::Corruption(std::string("trailing bytes after raft ") + what);
  return value;
}

}  // namespace

std::string EncodeMessage(const Message& message) {
  ByteWriter out;
  WriteHeader(out, RecordKind::kMessage);
  WriteMessageFields(out, message);
  return out.Take();
}

Result<Message> DecodeMessage(std::string_view bytes) {
  return DecodeRecord<Message>(bytes, RecordKind::kMessage, "message", ReadMessageFields);
}

std::string EncodeEntry(const Entry& entry) {
  ByteWriter out;
  WriteHeader(out, RecordKind::kEntry);
  WriteEntry(out, entry);
  return out.Take();
}

Result<Entry> DecodeEntry(std::string_view bytes) {
  return DecodeRecord<Entry>(bytes, RecordKind::kEntry, "entry", ReadEntry);
}

std::string EncodeHardState(const HardState& state) {
  ByteWriter out;
  WriteHeader(out, RecordKind::kHardState);
  out.Varint(state.term);
  out.Varint(state.vote);
  out.Varint(state.commit);
  return out.Take();
}

Result<HardState> DecodeHardState(std::string_view bytes) {
  return DecodeRecord<HardState>(bytes, RecordKind::kHardState, "hard state", [](ByteReader& in, HardState* state) {
    return in.Varint(&state->term) && in.Varint(&state->vote) && in.Varint(&state->commit);
  });
}

std::string EncodeSnapshot(const Snapshot& snapshot) {
  ByteWriter out;
  WriteHeader(out, RecordKind::kSnapshot);
  WriteSnapshot(out, snapshot);
  return out.Take();
}

Result<Snapshot> DecodeSnapshot(std::string_view bytes) {
  return DecodeRecord<Snapshot>(bytes, RecordKind::kSnapshot, "snapshot", ReadSnapshot);
}

std::string EncodeMembership(const Membership& membership) {
  ByteWriter out;
  WriteHeader(out, RecordKind::kMembership);
  WriteMembership(out, membership);
  return out.Take();
}

Result<Membership> DecodeMembership(std::string_view bytes) {
  return DecodeRecord<Membership>(bytes, RecordKind::kMembership, "membership", ReadMembership);
}

}  // namespace kvd::cluster::raft
