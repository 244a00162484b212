#include "storage/types/geohash.h"

#include <algorithm>
#include <cmath>

namespace kvd::storage::geo {

namespace {

constexpr Range kLongitudes{kLonMin, kLonMax};
constexpr Range kLatitudes{kLatMin, kLatMax};
constexpr double kMercatorMax = 20037726.37;
constexpr uint64_t kOddBits = 0xAAAAAAAAAAAAAAAAULL;
constexpr uint64_t kEvenBits = 0x5555555555555555ULL;

double Radians(double degrees) { return degrees * (M_PI / 180.0); }
double Degrees(double radians) { return radians / (M_PI / 180.0); }

// The bits of `value` spread to the even positions of a 64-bit word.
uint64_t Spread(uint32_t value) {
  uint64_t x = value;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & kEvenBits;
  return x;
}

// The even bits of `word` gathered into 32.
uint32_t Gather(uint64_t word) {
  uint64_t x = word & kEvenBits;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<uint32_t>(x);
}

// One cell over in longitude (`lon_step`) and latitude (`lat_step`), each -1, 0
// or +1, wrapping around at the edges: the coordinate's bits are counted up or
// down with the other coordinate's bits masked out of the carry.
Cell Move(Cell cell, int lon_step, int lat_step) {
  auto shift = [&](uint64_t own_mask, uint64_t other_mask, int direction) {
    if (direction == 0) return;
    uint64_t own = cell.bits & own_mask;
    uint64_t other = cell.bits & other_mask;
    uint64_t filler = other_mask >> (64 - cell.step * 2);  // lets a carry run across the other's bits
    if (direction > 0) {
      own += filler + 1;
    } else {
      own = (own | filler) - (filler + 1);
    }
    own &= own_mask >> (64 - cell.step * 2);
    cell.bits = own | other;
  };
  shift(kOddBits, kEvenBits, lon_step);
  shift(kEvenBits, kOddBits, lat_step);
  return cell;
}

uint64_t Align52(Cell cell) { return cell.bits << (52 - cell.step * 2); }

double LatitudeDistance(double lat1, double lat2) { return kEarthRadiusMeters * std::fabs(Radians(lat2) - Radians(lat1)); }

// How many bits per coordinate the 9 cells around a search of this radius need.
int StepsFor(double radius_meters, double lat) {
  if (radius_meters == 0) return kMaxStep;
  int step = 1;
  while (radius_meters < kMercatorMax) {
    radius_meters *= 2;
    step++;
  }
  step -= 2;  // so that the range fits in most cases
  if (lat > 66 || lat < -66) {  // meridians converge towards the poles
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > kMaxStep) step = kMaxStep;
  return step;
}

// The shape's bounding box: longitudes [0] to [2], latitudes [1] to [3].
std::array<double, 4> BoundingBox(const Shape& shape) {
  double height = shape.to_meters * (shape.box ? shape.height / 2 : shape.radius);
  double width = shape.to_meters * (shape.box ? shape.width / 2 : shape.radius);
  double lat_delta = Degrees(height / kEarthRadiusMeters);
  double lon_delta_top = Degrees(width / kEarthRadiusMeters / std::cos(Radians(shape.lat + lat_delta)));
  double lon_delta_bottom = Degrees(width / kEarthRadiusMeters / std::cos(Radians(shape.lat - lat_delta)));
  // The box is widest at its edge nearer the pole.
  double lon_delta = shape.lat < 0 ? lon_delta_bottom : lon_delta_top;
  return {shape.lon - lon_delta, shape.lat - lat_delta, shape.lon + lon_delta, shape.lat + lat_delta};
}

}  // namespace

Cell Encode(Range longitude, Range latitude, double lon, double lat, int step) {
  if (step <= 0 || step > 32 || lon < kLonMin || lon > kLonMax || lat < kLatMin || lat > kLatMax) return {};
  if (lat < latitude.min || lat > latitude.max || lon < longitude.min || lon > longitude.max) return {0, step};
  double lat_offset = (lat - latitude.min) / (latitude.max - latitude.min) * static_cast<double>(1ULL << step);
  double lon_offset = (lon - longitude.min) / (longitude.max - longitude.min) * static_cast<double>(1ULL << step);
  return {Spread(static_cast<uint32_t>(lat_offset)) | (Spread(static_cast<uint32_t>(lon_offset)) << 1), step};
}

Area Decode(Range longitude, Range latitude, Cell cell) {
  uint32_t lat_bits = Gather(cell.bits);
  uint32_t lon_bits = Gather(cell.bits >> 1);
  double cells = static_cast<double>(1ULL << cell.step);
  double lat_scale = latitude.max - latitude.min;
  double lon_scale = longitude.max - longitude.min;
  Area area;
  area.latitude.min = latitude.min + (lat_bits * 1.0 / cells) * lat_scale;
  area.latitude.max = latitude.min + (static_cast<uint32_t>(lat_bits + 1) * 1.0 / cells) * lat_scale;
  area.longitude.min = longitude.min + (lon_bits * 1.0 / cells) * lon_scale;
  area.longitude.max = longitude.min + (static_cast<uint32_t>(lon_bits + 1) * 1.0 / cells) * lon_scale;
  return area;
}

bool ValidPosition(double lon, double lat) { return lon >= kLonMin && lon <= kLonMax && lat >= kLatMin && lat <= kLatMax; }

uint64_t ScoreOf(double lon, double lat) { return Align52(Encode(kLongitudes, kLatitudes, lon, lat, kMaxStep)); }

// The cell bits of a score as redis-server, compiled for x86-64, converts
// any double (a sorted set may hold scores no GEOADD wrote): truncation,
// with 2^63 for what does not fit, instead of the undefined behaviour of a cast.
uint64_t CellBitsOf(double score) {
  constexpr double kTwoTo63 = 9223372036854775808.0;
  constexpr uint64_t kTopBit = uint64_t{1} << 63;
  auto truncate = [](double x) -> uint64_t {
    if (!(x >= -kTwoTo63 && x < kTwoTo63)) return kTopBit;
    return static_cast<uint64_t>(static_cast<int64_t>(x));
  };
  if (score < kTwoTo63) return truncate(score);
  return truncate(score - kTwoTo63) ^ kTopBit;
}

void PositionOf(double score, double* lon, double* lat) {
  Area area = Decode(kLongitudes, kLatitudes, Cell{CellBitsOf(score), kMaxStep});
  *lon = std::clamp((area.longitude.min + area.longitude.max) / 2, kLonMin, kLonMax);
  *lat = std::clamp((area.latitude.min + area.latitude.max) / 2, kLatMin, kLatMax);
}

std::string GeohashText(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon = 0, lat = 0;
  PositionOf(score, &lon, &lat);
  Cell standard = Encode(kLongitudes, Range{-90, 90}, lon, lat, kMaxStep);
  std::string text(11, '0');
  // 52 bits make ten characters and two bits; the eleventh is always '0'.
  for (int i = 0; i < 10; ++i) text[i] = kAlphabet[(standard.bits >> (52 - (i + 1) * 5)) & 0x1F];
  return text;
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  double v = std::sin((Radians(lon2) - Radians(lon1)) / 2);
  if (v == 0.0) return LatitudeDistance(lat1, lat2);  // on one meridian the formula reduces to this
  double lat1r = Radians(lat1), lat2r = Radians(lat2);
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

bool Within(const Shape& shape, double score, double* lon, double* lat, double* distance) {
  PositionOf(score, lon, lat);
  if (!shape.box) {
    *distance = Distance(shape.lon, shape.lat, *lon, *lat);
    return *distance <= shape.radius * shape.to_meters;
  }
  // Latitude first: the cheaper test.
  if (LatitudeDistance(*lat, shape.lat) > shape.height * shape.to_meters / 2) return false;
  if (Distance(*lon, *lat, shape.lon, *lat) > shape.width * shape.to_meters / 2) return false;
  *distance = Distance(shape.lon, shape.lat, *lon, *lat);
  return true;
}

std::array<Cell, 9> SearchCells(const Shape& shape) {
  std::array<double, 4> bounds = BoundingBox(shape);
  double radius_meters = shape.box ? std::sqrt((shape.width / 2) * (shape.width / 2) +
                                               (shape.height / 2) * (shape.height / 2))
                                   : shape.radius;
  radius_meters *= shape.to_meters;
  int steps = StepsFor(radius_meters, shape.lat);
  Cell centre = Encode(kLongitudes, kLatitudes, shape.lon, shape.lat, steps);
  // A step too coarse can leave part of the box beyond the neighbours: one bit fewer then.
  auto beyond_neighbours = [&](Cell cell) {
    return Decode(kLongitudes, kLatitudes, Move(cell, 0, 1)).latitude.max < bounds[3] ||
           Decode(kLongitudes, kLatitudes, Move(cell, 0, -1)).latitude.min > bounds[1] ||
           Decode(kLongitudes, kLatitudes, Move(cell, 1, 0)).longitude.max < bounds[2] ||
           Decode(kLongitudes, kLatitudes, Move(cell, -1, 0)).longitude.min > bounds[0];
  };
  if (steps > 1 && beyond_neighbours(centre)) {
    steps--;
    centre = Encode(kLongitudes, kLatitudes, shape.lon, shape.lat, steps);
  }
  std::array<Cell, 9> cells = {centre,
                               Move(centre, 0, 1),    // north
                               Move(centre, 0, -1),   // south
                               Move(centre, 1, 0),    // east
                               Move(centre, -1, 0),   // west
                               Move(centre, 1, 1),    // north-east
                               Move(centre, -1, 1),   // north-west
                               Move(centre, 1, -1),   // south-east
                               Move(centre, -1, -1)}; // south-west
  if (steps >= 2) {  // drop the neighbours the box does not reach
    Area area = Decode(kLongitudes, kLatitudes, centre);
    if (area.latitude.min < bounds[1]) cells[2] = cells[8] = cells[7] = Cell{};
    if (area.latitude.max > bounds[3]) cells[1] = cells[5] = cells[6] = Cell{};
    if (area.longitude.min < bounds[0]) cells[4] = cells[8] = cells[6] = Cell{};
    if (area.longitude.max > bounds[2]) cells[3] = cells[7] = cells[5] = Cell{};
  }
  return cells;
}

ScoreSpan SpanOf(Cell cell) {
  Cell next = cell;
  next.bits++;
  return {Align52(cell), Align52(next)};
}

}  // namespace kvd::storage::geo
