// GEOADD GEOPOS GEODIST GEOHASH GEORADIUS GEORADIUSBYMEMBER (and their _RO
// forms) GEOSEARCH GEOSEARCHSTORE: positions kept as sorted-set scores
// (storage/types/geohash.h), searched cell by cell as Redis does, with its
// argument rules, replies and error texts.
#include <algorithm>
#include <cstdio>

#include "common/numbers.h"
#include "roles/server/command_table.h"
#include "roles/server/commands/args.h"
#include "storage/types/geohash.h"

namespace kvd::server {
namespace {

namespace geo = storage::geo;

// WRONGTYPE when `key` holds another type; whether it holds a sorted set.
Result<bool> ZSetExists(CommandContext& ctx, const std::string& key) {
  auto type = ctx.server.keyspace.Type(ctx.db(), key);
  if (!type.ok()) return type.status();
  if (!type->has_value()) return false;
  if (**type != storage::KeyType::kZSet) return Status::WrongType();
  return true;
}

bool ParsePosition(CommandContext& ctx, size_t index, double* lon, double* lat) {
  if (!ParseDoubleArg(ctx, index, lon) || !ParseDoubleArg(ctx, index + 1, lat)) return false;
  if (!geo::ValidPosition(*lon, *lat)) {
    char text[256];
    std::snprintf(text, sizeof text, "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    ctx.reply.Error(text);
    return false;
  }
  return true;
}

// Meters per unit; 0 (after replying) for an unknown unit.
double ParseUnit(CommandContext& ctx, const std::string& unit) {
  if (EqualsIgnoreCase(unit, "m")) return 1;
  if (EqualsIgnoreCase(unit, "km")) return 1000;
  if (EqualsIgnoreCase(unit, "ft")) return 0.3048;
  if (EqualsIgnoreCase(unit, "mi")) return 1609.34;
  ctx.reply.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return 0;
}

// A non-negative size; `what` names it in the error for a non-number.
bool ParseSize(CommandContext& ctx, size_t index, const char* what, double* out) {
  if (!ParseDouble(ctx.args[index], out)) {
    ctx.reply.Error(std::string("ERR need numeric ") + what);
    return false;
  }
  return true;
}

// "<radius> <unit>" at `index`: a circle.
bool ParseRadius(CommandContext& ctx, size_t index, geo::Shape* shape) {
  if (!ParseSize(ctx, index, "radius", &shape->radius)) return false;
  if (shape->radius < 0) return ctx.reply.Error("ERR radius cannot be negative"), false;
  shape->to_meters = ParseUnit(ctx, ctx.args[index + 1]);
  shape->box = false;
  return shape->to_meters != 0;
}

// "<width> <height> <unit>" at `index`: a box.
bool ParseBox(CommandContext& ctx, size_t index, geo::Shape* shape) {
  if (!ParseSize(ctx, index, "width", &shape->width) || !ParseSize(ctx, index + 1, "height", &shape->height)) {
    return false;
  }
  if (shape->width < 0 || shape->height < 0) return ctx.reply.Error("ERR height or width cannot be negative"), false;
  shape->to_meters = ParseUnit(ctx, ctx.args[index + 2]);
  shape->box = true;
  return shape->to_meters != 0;
}

std::string DistanceText(double meters) {
  char text[128];
  int length = std::snprintf(text, sizeof text, "%.4f", meters);
  return std::string(text, static_cast<size_t>(length));
}

// A coordinate as Redis writes it: up to 17 significant digits, no exponent; a double in RESP3.
void Coordinate(CommandContext& ctx, double value) {
  std::string text = FormatLongDouble(static_cast<long double>(value));
  if (ctx.reply.resp3()) {
    ctx.reply.Raw("," + text + "\r\n");
  } else {
    ctx.reply.Bulk(text);
  }
}

// The position of `member`; false (after replying) when it cannot be found.
bool MemberPosition(CommandContext& ctx, const std::string& key, const std::string& member, double* lon,
                    double* lat) {
  auto score = ctx.server.zsets.Score(ctx.db(), key, member);
  if (!score.ok()) return ctx.ReplyError(score.status()), false;
  if (!score->has_value()) return ctx.reply.Error("ERR could not decode requested zset member"), false;
  geo::PositionOf(**score, lon, lat);
  return true;
}

void GeoAdd(CommandContext& ctx) {
  storage::ZAddOptions options;
  bool nx = false, xx = false, changed = false;
  size_t first = 2;
  for (; first < ctx.args.size(); ++first) {
    const std::string& option = ctx.args[first];
    if (EqualsIgnoreCase(option, "NX")) {
      nx = true;
    } else if (EqualsIgnoreCase(option, "XX")) {
      xx = true;
    } else if (EqualsIgnoreCase(option, "CH")) {
      changed = true;
    } else {
      break;
    }
  }
  size_t values = ctx.args.size() - first;
  if (values % 3 != 0 || values == 0 || (nx && xx)) return ctx.ReplySyntaxError();
  std::vector<storage::ScoredMember> members;
  for (size_t i = first; i < ctx.args.size(); i += 3) {
    double lon = 0, lat = 0;
    if (!ParsePosition(ctx, i, &lon, &lat)) return;
    members.push_back({ctx.args[i + 2], static_cast<double>(geo::ScoreOf(lon, lat))});
  }
  if (nx) options.condition = storage::ZAddOptions::Condition::kIfAbsent;
  if (xx) options.condition = storage::ZAddOptions::Condition::kIfPresent;
  auto added = ctx.server.zsets.Add(ctx.db(), ctx.args[1], members, options);
  if (!added.ok()) return ctx.ReplyError(added.status());
  ctx.reply.Integer(added->added + (changed ? added->updated : 0));
}

// The scores of `members` of `key` (nullopt when absent, all when the key is); false after replying an error.
bool MemberScores(CommandContext& ctx, std::vector<std::optional<double>>* scores) {
  auto exists = ZSetExists(ctx, ctx.args[1]);
  if (!exists.ok()) return ctx.ReplyError(exists.status()), false;
  std::vector<std::string_view> members = ArgViews(ctx.args, 2);
  if (!*exists) {
    scores->assign(members.size(), std::nullopt);
    return true;
  }
  auto found = ctx.server.zsets.MultiScore(ctx.db(), ctx.args[1], members);
  if (!found.ok()) return ctx.ReplyError(found.status()), false;
  *scores = std::move(*found);
  return true;
}

void GeoPos(CommandContext& ctx) {
  std::vector<std::optional<double>> scores;
  if (!MemberScores(ctx, &scores)) return;
  ctx.reply.ArrayHeader(scores.size());
  for (const auto& score : scores) {
    if (!score) {
      ctx.reply.NullArray();
      continue;
    }
    double lon = 0, lat = 0;
    geo::PositionOf(*score, &lon, &lat);
    ctx.reply.ArrayHeader(2);
    Coordinate(ctx, lon);
    Coordinate(ctx, lat);
  }
}

void GeoHash(CommandContext& ctx) {
  std::vector<std::optional<double>> scores;
  if (!MemberScores(ctx, &scores)) return;
  ctx.reply.ArrayHeader(scores.size());
  for (const auto& score : scores) {
    if (score) {
      ctx.reply.Bulk(geo::GeohashText(*score));
    } else {
      ctx.reply.NullBulk();
    }
  }
}

void GeoDist(CommandContext& ctx) {
  double to_meters = 1;
  if (ctx.args.size() == 5) {
    to_meters = ParseUnit(ctx, ctx.args[4]);
    if (to_meters == 0) return;
  } else if (ctx.args.size() > 5) {
    return ctx.ReplySyntaxError();
  }
  auto exists = ZSetExists(ctx, ctx.args[1]);
  if (!exists.ok()) return ctx.ReplyError(exists.status());
  if (!*exists) return ctx.reply.NullBulk();
  auto scores = ctx.server.zsets.MultiScore(ctx.db(), ctx.args[1], {ctx.args[2], ctx.args[3]});
  if (!scores.ok()) return ctx.ReplyError(scores.status());
  if (!(*scores)[0] || !(*scores)[1]) return ctx.reply.NullBulk();
  double lon1 = 0, lat1 = 0, lon2 = 0, lat2 = 0;
  geo::PositionOf(*(*scores)[0], &lon1, &lat1);
  geo::PositionOf(*(*scores)[1], &lon2, &lat2);
  ctx.reply.Bulk(DistanceText(geo::Distance(lon1, lat1, lon2, lat2) / to_meters));
}

// ---- searches ----

enum SearchForm : uint32_t {
  kAroundPosition = 1 << 0,  // GEORADIUS: lon lat radius unit
  kAroundMember = 1 << 1,    // GEORADIUSBYMEMBER: member radius unit
  kNoStore = 1 << 2,         // the _RO forms
  kSearch = 1 << 3,          // GEOSEARCH: FROM... BY... options
  kSearchStore = 1 << 4,     // GEOSEARCHSTORE: destination first, STOREDIST flag
};

enum class Order { kNone, kAscending, kDescending };

struct SearchRequest {
  geo::Shape shape;
  std::string source;
  std::optional<std::string> destination;
  bool store_distance = false;
  bool with_distance = false, with_hash = false, with_coordinates = false;
  bool any = false;
  int64_t count = 0;  // 0: all
  Order order = Order::kNone;
};

struct Found {
  std::string member;
  double score = 0;
  double lon = 0, lat = 0;
  double distance = 0;  // meters until the reply converts it
};

// What Redis reads before the options: the centre and radius of GEORADIUS and
// GEORADIUSBYMEMBER (not for a missing key's member). Returns the first option's index, or 0 after replying.
size_t ParseFixedArguments(CommandContext& ctx, uint32_t form, bool source_exists, SearchRequest* request) {
  if (form & kAroundPosition) {
    if (!ParsePosition(ctx, 2, &request->shape.lon, &request->shape.lat)) return 0;
  } else if (form & kAroundMember) {
    if (!source_exists) return 5;
    if (!MemberPosition(ctx, request->source, ctx.args[2], &request->shape.lon, &request->shape.lat)) return 0;
  } else {
    return (form & kSearchStore) ? 3 : 2;
  }
  size_t radius = form & kAroundPosition ? 4 : 3;
  return ParseRadius(ctx, radius, &request->shape) ? radius + 2 : 0;
}

bool CheckSearchOptions(CommandContext& ctx, uint32_t form, bool has_centre, bool has_shape, const SearchRequest& r);

bool ParseSearchOptions(CommandContext& ctx, uint32_t form, bool source_exists, size_t first, SearchRequest* r) {
  const auto& args = ctx.args;
  bool from_member = false, from_position = false, by_radius = false, by_box = false;
  for (size_t i = first; i < args.size(); ++i) {
    const std::string& option = args[i];
    size_t more = args.size() - 1 - i;
    bool search = form & kSearch;
    bool can_store = !(form & kNoStore) && !search;
    if (EqualsIgnoreCase(option, "WITHDIST")) {
      r->with_distance = true;
    } else if (EqualsIgnoreCase(option, "WITHHASH")) {
      r->with_hash = true;
    } else if (EqualsIgnoreCase(option, "WITHCOORD")) {
      r->with_coordinates = true;
    } else if (EqualsIgnoreCase(option, "ANY")) {
      r->any = true;
    } else if (EqualsIgnoreCase(option, "ASC")) {
      r->order = Order::kAscending;
    } else if (EqualsIgnoreCase(option, "DESC")) {
      r->order = Order::kDescending;
    } else if (EqualsIgnoreCase(option, "COUNT") && more >= 1) {
      if (!ParseIntArg(ctx, ++i, &r->count)) return false;
      if (r->count <= 0) return ctx.reply.Error("ERR COUNT must be > 0"), false;
    } else if ((EqualsIgnoreCase(option, "STORE") || EqualsIgnoreCase(option, "STOREDIST")) && more >= 1 &&
               can_store) {
      r->store_distance = EqualsIgnoreCase(option, "STOREDIST");
      r->destination = args[++i];
    } else if (EqualsIgnoreCase(option, "STOREDIST") && (form & kSearchStore)) {
      r->store_distance = true;
    } else if (EqualsIgnoreCase(option, "FROMMEMBER") && more >= 1 && search && !from_position) {
      ++i;
      from_member = true;
      // A missing key has no members: the reply (empty) comes after the other checks.
      if (source_exists && !MemberPosition(ctx, r->source, args[i], &r->shape.lon, &r->shape.lat)) return false;
    } else if (EqualsIgnoreCase(option, "FROMLONLAT") && more >= 2 && search && !from_member) {
      if (!ParsePosition(ctx, i + 1, &r->shape.lon, &r->shape.lat)) return false;
      from_position = true;
      i += 2;
    } else if (EqualsIgnoreCase(option, "BYRADIUS") && more >= 2 && search && !by_box) {
      if (!ParseRadius(ctx, i + 1, &r->shape)) return false;
      by_radius = true;
      i += 2;
    } else if (EqualsIgnoreCase(option, "BYBOX") && more >= 3 && search && !by_radius) {
      if (!ParseBox(ctx, i + 1, &r->shape)) return false;
      by_box = true;
      i += 3;
    } else {
      return ctx.ReplySyntaxError(), false;
    }
  }
  return CheckSearchOptions(ctx, form, from_member || from_position, by_radius || by_box, *r);
}

// What Redis checks once every option is read.
bool CheckSearchOptions(CommandContext& ctx, uint32_t form, bool has_centre, bool has_shape, const SearchRequest& r) {
  const auto& args = ctx.args;
  if (r.destination && (r.with_distance || r.with_hash || r.with_coordinates)) {
    ctx.reply.Error(std::string("ERR ") + ((form & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
                    " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    return false;
  }
  if ((form & kSearch) && !has_centre) {
    ctx.reply.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + args[0]);
    return false;
  }
  if ((form & kSearch) && !has_shape) {
    ctx.reply.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + args[0]);
    return false;
  }
  if (r.any && r.count == 0) return ctx.reply.Error("ERR the ANY argument requires COUNT argument"), false;
  return true;
}

// The members in the shape, cell by cell (centre, then the neighbours), in
// each cell by score; with a limit (COUNT ... ANY) the search stops once it
// has that many.
Result<std::vector<Found>> FindInShape(CommandContext& ctx, const SearchRequest& request) {
  std::vector<Found> found;
  size_t limit = request.any ? static_cast<size_t>(request.count) : 0;
  std::array<geo::Cell, 9> cells = geo::SearchCells(request.shape);
  const geo::Cell* last = nullptr;
  for (const geo::Cell& cell : cells) {
    if (cell.empty()) continue;
    // Huge radii make neighbours coincide: a cell equal to the last one read is skipped.
    if (last != nullptr && cell == *last) continue;
    if (limit != 0 && found.size() >= limit) break;
    last = &cell;
    geo::ScoreSpan span = geo::SpanOf(cell);
    storage::RangeSpec spec;
    spec.by = storage::RangeSpec::By::kScore;
    spec.score.min = {static_cast<double>(span.first), false};
    spec.score.max = {static_cast<double>(span.last), true};
    auto members = ctx.server.zsets.Range(ctx.db(), request.source, spec);
    if (!members.ok()) return members.status();
    for (auto& scored : *members) {
      Found point;
      if (geo::Within(request.shape, scored.score, &point.lon, &point.lat, &point.distance)) {
        point.member = std::move(scored.member);
        point.score = scored.score;
        found.push_back(std::move(point));
      }
      if (limit != 0 && found.size() >= limit) break;
    }
  }
  return found;
}

void ReplyFound(CommandContext& ctx, const SearchRequest& request, const std::vector<Found>& found) {
  size_t extras = (request.with_distance ? 1 : 0) + (request.with_hash ? 1 : 0) + (request.with_coordinates ? 1 : 0);
  ctx.reply.ArrayHeader(found.size());
  for (const Found& point : found) {
    if (extras != 0) ctx.reply.ArrayHeader(extras + 1);
    ctx.reply.Bulk(point.member);
    if (request.with_distance) ctx.reply.Bulk(DistanceText(point.distance / request.shape.to_meters));
    if (request.with_hash) ctx.reply.Integer(static_cast<int64_t>(point.score));
    if (request.with_coordinates) {
      ctx.reply.ArrayHeader(2);
      Coordinate(ctx, point.lon);
      Coordinate(ctx, point.lat);
    }
  }
}

// Replaces the destination with the found members (scored by position or
// distance); nothing found deletes it.
void StoreFound(CommandContext& ctx, const SearchRequest& request, const std::vector<Found>& found) {
  std::vector<storage::ScoredMember> members;
  for (const Found& point : found) {
    members.push_back(
        {point.member, request.store_distance ? point.distance / request.shape.to_meters : point.score});
  }
  auto stored = ctx.server.zsets.Replace(ctx.db(), *request.destination, members);
  if (!stored.ok()) return ctx.ReplyError(stored.status());
  ctx.reply.Integer(static_cast<int64_t>(*stored));
}

void Search(CommandContext& ctx, uint32_t form) {
  SearchRequest request;
  request.source = ctx.args[(form & kSearchStore) ? 2 : 1];
  if (form & kSearchStore) request.destination = ctx.args[1];
  auto exists = ZSetExists(ctx, request.source);
  if (!exists.ok()) return ctx.ReplyError(exists.status());
  size_t first_option = ParseFixedArguments(ctx, form, *exists, &request);
  if (first_option == 0) return;
  if (!ParseSearchOptions(ctx, form, *exists, first_option, &request)) return;
  if (!*exists) {
    if (request.destination) return StoreFound(ctx, request, {});
    return ctx.reply.ArrayHeader(0);
  }
  // COUNT alone keeps the nearest: it implies ASC.
  if (request.count != 0 && request.order == Order::kNone && !request.any) request.order = Order::kAscending;
  auto found = FindInShape(ctx, request);
  if (!found.ok()) return ctx.ReplyError(found.status());
  if (request.order != Order::kNone) {
    bool ascending = request.order == Order::kAscending;
    std::stable_sort(found->begin(), found->end(), [ascending](const Found& a, const Found& b) {
      return ascending ? a.distance < b.distance : a.distance > b.distance;
    });
  }
  if (request.count != 0 && found->size() > static_cast<size_t>(request.count)) {
    found->resize(static_cast<size_t>(request.count));
  }
  if (request.destination) return StoreFound(ctx, request, *found);
  ReplyFound(ctx, request, *found);
}

void GeoRadius(CommandContext& ctx) { Search(ctx, kAroundPosition); }
void GeoRadiusRo(CommandContext& ctx) { Search(ctx, kAroundPosition | kNoStore); }
void GeoRadiusByMember(CommandContext& ctx) { Search(ctx, kAroundMember); }
void GeoRadiusByMemberRo(CommandContext& ctx) { Search(ctx, kAroundMember | kNoStore); }
void GeoSearch(CommandContext& ctx) { Search(ctx, kSearch); }
void GeoSearchStore(CommandContext& ctx) { Search(ctx, kSearch | kSearchStore); }

// GEORADIUS and GEORADIUSBYMEMBER write the key after STORE or STOREDIST too.
std::vector<size_t> RadiusKeys(const std::vector<std::string>& args, size_t first_option) {
  std::vector<size_t> keys = {1};
  for (size_t i = first_option; i + 1 < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "STORE") || EqualsIgnoreCase(args[i], "STOREDIST")) {
      keys.push_back(i + 1);
      break;
    }
  }
  return keys;
}
std::vector<size_t> RadiusPositionKeys(const std::vector<std::string>& args) { return RadiusKeys(args, 6); }
std::vector<size_t> RadiusMemberKeys(const std::vector<std::string>& args) { return RadiusKeys(args, 5); }

}  // namespace

std::vector<CommandSpec> GeoCommands() {
  return {
      {"geoadd", -5, kWrite | kDenyOom, 1, 1, 1, GeoAdd},
      {"geopos", -2, kReadonly, 1, 1, 1, GeoPos},
      {"geohash", -2, kReadonly, 1, 1, 1, GeoHash},
      {"geodist", -4, kReadonly, 1, 1, 1, GeoDist},
      {"georadius", -6, kWrite | kDenyOom, 1, 1, 1, GeoRadius, RadiusPositionKeys},
      {"georadius_ro", -6, kReadonly, 1, 1, 1, GeoRadiusRo},
      {"georadiusbymember", -5, kWrite | kDenyOom, 1, 1, 1, GeoRadiusByMember, RadiusMemberKeys},
      {"georadiusbymember_ro", -5, kReadonly, 1, 1, 1, GeoRadiusByMemberRo},
      {"geosearch", -7, kReadonly, 1, 1, 1, GeoSearch},
      {"geosearchstore", -8, kWrite | kDenyOom, 1, 2, 1, GeoSearchStore},
  };
}

}  // namespace kvd::server
