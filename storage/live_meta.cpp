#include "storage/live_meta.h"

#include "storage/write_set.h"

namespace kvd::storage {

Status ReadLiveMeta(Engine& engine, uint8_t db, std::string_view key, Metadata* meta) {
  std::string raw;
  KVD_RETURN_IF_ERROR(engine.Get(engine.meta(), EncodeMetaKey(db, key), &raw));
  KVD_RETURN_IF_ERROR(DecodeMetadata(raw, meta));
  if (meta->IsExpired(engine.NowMs())) return Status::NotFound();
  return Status::Ok();
}

Status DeleteIfLive(Engine& engine, uint8_t db, std::string_view key) {
  Metadata old;
  Status live = ReadLiveMeta(engine, db, key, &old);
  if (live.Is(Status::Code::kNotFound)) return Status::Ok();
  KVD_RETURN_IF_ERROR(live);
  WriteSet batch;
  batch.Delete(engine.meta(), EncodeMetaKey(db, key));
  return engine.Commit(batch);
}

}  // namespace kvd::storage
