// Geo positions as Redis keeps them in a sorted set: a 52-bit geohash (26
// bits of longitude and latitude, interleaved, latitude limited to the
// Mercator range ±85.05112878) used as the member's score. Encoding,
// decoding, the 8 neighbouring cells, great-circle distances, and the cells a
// radius or box search must read, with Redis's formulas and constants so that
// positions, distances and results equal redis-server's. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace kvd::storage::geo {

inline constexpr double kLonMin = -180, kLonMax = 180;
inline constexpr double kLatMin = -85.05112878, kLatMax = 85.05112878;
inline constexpr int kMaxStep = 26;  // bits per coordinate in a score
inline constexpr double kEarthRadiusMeters = 6372797.560856;

// A cell: `step` bits of each coordinate, interleaved (longitude in the odd bits).
struct Cell {
  uint64_t bits = 0;
  int step = 0;
  bool empty() const { return bits == 0 && step == 0; }
  bool operator==(const Cell&) const = default;
};

struct Range {
  double min = 0, max = 0;
};

struct Area {
  Range longitude, latitude;
};

// The cell of a position at `step` bits, in the given coordinate ranges; an
// empty cell when the position is outside them.
Cell Encode(Range longitude, Range latitude, double lon, double lat, int step);
Area Decode(Range longitude, Range latitude, Cell cell);
// The score of a valid position (see ValidPosition).
uint64_t ScoreOf(double lon, double lat);
bool ValidPosition(double lon, double lat);
// The centre of the cell a score names, clamped to the valid ranges.
void PositionOf(double score, double* lon, double* lat);
// The standard 11-character base32 geohash (latitude over ±90) of a score's position.
std::string GeohashText(double score);

double Distance(double lon1, double lat1, double lon2, double lat2);

// What a search covers: a circle of `radius`, or a `width` x `height` box,
// around (lon, lat); sizes in a unit of `to_meters` meters.
struct Shape {
  bool box = false;
  double lon = 0, lat = 0;
  double radius = 0;
  double width = 0, height = 0;
  double to_meters = 1;
};

// Whether the position of `score` lies in the shape; its position and its
// distance (meters) from the centre.
bool Within(const Shape& shape, double score, double* lon, double* lat, double* distance);

// The cells to read, centre first, then N S E W NE NW SE SW; empty ones are
// outside the shape. Each is the score range [first, last) of one cell.
struct ScoreSpan {
  uint64_t first = 0, last = 0;
};
std::array<Cell, 9> SearchCells(const Shape& shape);
ScoreSpan SpanOf(Cell cell);

}  // namespace kvd::storage::geo
