// The geohash core (storage/types/geohash.h) on values redis-server gives.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "storage/types/geohash.h"

namespace kvd::storage::geo {

TEST_CASE("geohash: scores, positions and texts as redis-server computes them") {
  CHECK(ScoreOf(13.361389, 38.115556) == 3479099956230698ULL);  // GEOADD Sicily ... Palermo
  CHECK(ScoreOf(15.087269, 37.502669) == 3479447370796909ULL);
  double lon = 0, lat = 0;
  PositionOf(3479099956230698.0, &lon, &lat);
  CHECK(lon == doctest::Approx(13.36138933897018433).epsilon(1e-15));
  CHECK(lat == doctest::Approx(38.11555639549629859).epsilon(1e-15));
  CHECK(GeohashText(3479099956230698.0) == "sqc8b49rny0");
  CHECK(GeohashText(3479447370796909.0) == "sqdtr74hyu0");
  // Scores no GEOADD writes decode as redis-server's x86-64 conversion makes them.
  PositionOf(-1, &lon, &lat);
  CHECK(lon == 180);
  CHECK(lat == kLatMax);
  PositionOf(INFINITY, &lon, &lat);
  CHECK(GeohashText(INFINITY) == "00bh0hbj200");
  CHECK(!ValidPosition(180.0001, 0));
  CHECK(!ValidPosition(0, 85.06));
  CHECK(ValidPosition(-180, -85.05112878));
}

TEST_CASE("geohash: distances by the haversine formula on Redis's earth radius") {
  double d = Distance(13.36138933897018433, 38.11555639549629859, 15.08726745843887329, 37.50266842333162032);
  CHECK(d == doctest::Approx(166274.1516).epsilon(1e-9));
  CHECK(Distance(10, 20, 10, 20) == 0);
  // Along a meridian: the radius times the angle.
  CHECK(Distance(5, 0, 5, 1) == doctest::Approx(kEarthRadiusMeters * M_PI / 180).epsilon(1e-12));
}

TEST_CASE("geohash: the cells of a search") {
  Shape circle;
  circle.lon = 15;
  circle.lat = 37;
  circle.radius = 200;
  circle.to_meters = 1000;
  std::array<Cell, 9> cells = SearchCells(circle);
  CHECK(!cells[0].empty());
  Cell centre = Encode({kLonMin, kLonMax}, {kLatMin, kLatMax}, 15, 37, cells[0].step);
  CHECK(centre == cells[0]);
  // Every cell read is one of the centre's neighbours at the same step, or was dropped.
  for (const Cell& cell : cells) {
    if (!cell.empty()) CHECK(cell.step == centre.step);
  }
  // The score span of a cell covers every score of a point inside it.
  ScoreSpan span = SpanOf(cells[0]);
  uint64_t point = ScoreOf(15, 37);
  CHECK(span.first <= point);
  CHECK(point < span.last);
  // A radius larger than the earth reads one coarse cell and its neighbours, some of them the same.
  circle.radius = 30000;
  cells = SearchCells(circle);
  CHECK(cells[0].step == 1);
}

}  // namespace kvd::storage::geo
