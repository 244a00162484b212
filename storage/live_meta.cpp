#include "storage/live_meta.h"

namespace kvd::storage {

Status ReadLiveMeta(Engine& engine, uint8_t db, std::string_view key, Metadata* meta) {
  std::string raw;
  KVD_RETURN_IF_ERROR(engine.Get(engine.meta(), EncodeMetaKey(db, key), &raw));
  KVD_RETURN_IF_ERROR(DecodeMetadata(raw, meta));
  if (meta->IsExpired(engine.NowMs())) return Status::NotFound();
  return Status::Ok();
}

}  // namespace kvd::storage
