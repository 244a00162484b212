// The sorted-set score bounds kept in the meta tail, without a database.
#include <doctest/doctest.h>

#include "storage/types/zset_bounds.h"

namespace kvd::storage {
namespace {

TEST_CASE("zset bounds: round trip, and a tail that is empty or unreadable has none") {
  ScoreFieldBounds both{std::string("lowfield"), std::string("highfield")};
  CHECK(DecodeScoreFieldBounds(EncodeScoreFieldBounds(both)) == both);
  ScoreFieldBounds low_only{std::string(""), std::nullopt};
  CHECK(DecodeScoreFieldBounds(EncodeScoreFieldBounds(low_only)) == low_only);
  CHECK(EncodeScoreFieldBounds({}).empty());
  CHECK(DecodeScoreFieldBounds("") == ScoreFieldBounds{});
  CHECK(DecodeScoreFieldBounds(std::string("\x01\x09short", 7)) == ScoreFieldBounds{});  // length past the end
}

TEST_CASE("zset bounds: long fields give short bounds on the right side of them") {
  std::string long_field = std::string(8, '\x40') + std::string(100, 'm');
  std::string low = LowBoundAt(long_field);
  CHECK(low.size() == 72);
  CHECK(low <= long_field);
  auto high = HighBoundAt(long_field);
  REQUIRE(high.has_value());
  CHECK(*high > long_field);
  CHECK(*high > long_field + "\xff\xff");
  CHECK(HighBoundAt("short") == std::optional<std::string>("short"));
  CHECK(!HighBoundAt(std::string(80, '\xff')).has_value());  // no short successor: no bound
  std::string ends_ff = std::string(71, 'a') + std::string(10, '\xff');
  CHECK(*HighBoundAt(ends_ff) == std::string(70, 'a') + "b");
}

TEST_CASE("zset bounds: an added field widens them, unknown bounds stay unknown") {
  ScoreFieldBounds bounds{std::string("m"), std::string("t")};
  WidenScoreFieldBounds(&bounds, "p");
  CHECK(bounds == ScoreFieldBounds{std::string("m"), std::string("t")});
  WidenScoreFieldBounds(&bounds, "a");
  WidenScoreFieldBounds(&bounds, "z");
  CHECK(bounds == ScoreFieldBounds{std::string("a"), std::string("z")});
  ScoreFieldBounds none;
  WidenScoreFieldBounds(&none, "q");
  CHECK(none == ScoreFieldBounds{});
}

}  // namespace
}  // namespace kvd::storage
