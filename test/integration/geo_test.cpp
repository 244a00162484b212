// The GEO commands against a real redis-server: random positions, searches
// by radius and box, around positions and members, with every option, must
// give the same replies (positions, distances, hashes, order) and the same
// stored results.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "harness.h"
#include "reference_redis.h"

namespace kvdtest {
namespace {

class RandomGeoCommands {
 public:
  explicit RandomGeoCommands(uint32_t seed) : random_(seed) {}

  Args Next() {
    switch (Pick(16)) {
      case 0: case 1: case 2: case 3: return Add();
      case 4: return WithMembers({"GEOPOS", Key()});
      case 5: return WithMembers({"GEOHASH", Key()});
      case 6: {
        Args command = {"GEODIST", Key(), Member(), Member()};
        if (Pick(2) == 0) command.push_back(Unit());
        return command;
      }
      case 7: case 8: {
        Args command = {Pick(2) == 0 ? "GEORADIUS" : "GEORADIUS_RO", Key()};
        Position(&command);
        command.push_back(Radius());
        command.push_back(Unit());
        return Options(command, false);
      }
      case 9: {
        Args command = {Pick(2) == 0 ? "GEORADIUSBYMEMBER" : "GEORADIUSBYMEMBER_RO", Key(), Member(), Radius(), Unit()};
        return Options(command, false);
      }
      case 10: case 11: case 12: return Options(Shape({"GEOSEARCH", Key()}), false);
      case 13: {
        Args command = Shape({"GEOSEARCHSTORE", "dest", Key()});
        command = Options(command, true);
        if (Pick(2) == 0) command.push_back("STOREDIST");
        return command;
      }
      case 14: return {"ZRANGE", Pick(2) == 0 ? "dest" : Key(), "0", "-1", "WITHSCORES"};
      default: return Pick(4) == 0 ? Args{"DEL", Key()} : Args{"ZREM", Key(), Member()};
    }
  }

 private:
  int Pick(int n) { return static_cast<int>(random_() % static_cast<unsigned>(n)); }
  double Uniform(double low, double high) { return std::uniform_real_distribution<double>(low, high)(random_); }
  std::string Number(double value) { return std::to_string(value); }
  std::string Key() {
    static const char* kKeys[] = {"g1", "g2", "g3", "plain", "missing"};
    return kKeys[Pick(10) == 0 ? 3 + Pick(2) : Pick(3)];
  }
  std::string Member() { return "m" + std::to_string(Pick(60)); }
  std::string Unit() {
    static const char* kUnits[] = {"m", "km", "ft", "mi", "KM", "Mi"};
    return Pick(80) == 0 ? "furlong" : kUnits[Pick(6)];
  }
  std::string Radius() {
    switch (Pick(12)) {
      case 0: return "0";
      case 1: return "-1";
      case 2: return "x";
      case 3: return Number(Uniform(0, 20000));
      default: return Number(Uniform(0, 600));
    }
  }
  // Around a few cities, so searches find something; now and then anywhere, or near a pole or the date line.
  void Position(Args* command) {
    static const double kCentres[][2] = {{13.36, 38.11}, {15.08, 37.50}, {2.35, 48.85}, {-73.98, 40.75},
                                         {179.9, -16.5}, {10.0, 84.9},   {-179.5, 65.0}};
    double lon = 0, lat = 0;
    if (Pick(8) == 0) {
      lon = Uniform(-180, 180);
      lat = Uniform(-85.05, 85.05);
    } else {
      const double* centre = kCentres[Pick(7)];
      lon = std::clamp(centre[0] + Uniform(-3, 3), -180.0, 180.0);
      lat = std::clamp(centre[1] + Uniform(-2, 2), -85.05, 85.05);
    }
    if (Pick(60) == 0) lat = 86;    // outside the valid range
    if (Pick(60) == 0) lon = -181;
    command->push_back(Pick(100) == 0 ? "north" : Number(lon));
    command->push_back(Number(lat));
  }
  Args Add() {
    Args command = {"GEOADD", Key()};
    static const char* kOptions[] = {"NX", "XX", "CH"};
    for (int n = Pick(6) == 0 ? 1 + Pick(2) : 0; n > 0; --n) command.push_back(kOptions[Pick(3)]);
    for (int n = 1 + Pick(5); n > 0; --n) {
      Position(&command);
      command.push_back(Member());
    }
    if (Pick(50) == 0) command.pop_back();  // a triple cut short
    return command;
  }
  Args WithMembers(Args command) {
    for (int n = 1 + Pick(4); n > 0; --n) command.push_back(Member());
    return command;
  }
  Args Shape(Args command) {
    if (Pick(2) == 0) {
      command.insert(command.end(), {"FROMMEMBER", Member()});
    } else {
      command.push_back("FROMLONLAT");
      Position(&command);
    }
    if (Pick(2) == 0) {
      command.insert(command.end(), {"BYRADIUS", Radius(), Unit()});
    } else {
      command.insert(command.end(), {"BYBOX", Radius(), Radius(), Unit()});
    }
    if (Pick(40) == 0) command.insert(command.end(), {"BYRADIUS", "1", "km"});  // both shapes
    return command;
  }
  Args Options(Args command, bool storing) {
    if (!storing) {
      if (Pick(3) == 0) command.push_back("WITHDIST");
      if (Pick(3) == 0) command.push_back("WITHCOORD");
      if (Pick(4) == 0) command.push_back("WITHHASH");
    }
    if (Pick(3) == 0) command.push_back(Pick(2) == 0 ? "ASC" : "DESC");
    if (Pick(3) == 0) {
      command.insert(command.end(), {"COUNT", std::to_string(Pick(20) == 0 ? 0 : 1 + Pick(6))});
      if (Pick(3) == 0) command.push_back("ANY");
    } else if (Pick(40) == 0) {
      command.push_back("ANY");
    }
    if (!storing && command[0].rfind("GEORADIUS", 0) == 0 && Pick(6) == 0) {
      command.insert(command.end(), {Pick(2) == 0 ? "STORE" : "STOREDIST", "dest"});
    }
    if (Pick(60) == 0) command.push_back("BOGUS");
    return command;
  }
  std::mt19937 random_;
};

}  // namespace

TEST_CASE("geo: random GEOADD and searches answer as redis-server does, in RESP2 and RESP3") {
  SideBySide pair;
  if (!pair.ready()) return;
  for (RespClient* client : {&pair.kvd(), &pair.reference()}) REQUIRE(ExactCall(*client, {"SET", "plain", "x"}) == "+OK");
  RandomGeoCommands commands(20261128);
  int protocol = 2;
  auto switch_protocol = [&](int step) {
    if (step % 1000 != 999) return;
    protocol = protocol == 2 ? 3 : 2;
    for (RespClient* client : {&pair.kvd(), &pair.reference()}) Call(*client, {"HELLO", std::to_string(protocol)});
  };
  CompareWithReference(pair.reference(), pair.kvd(), {4000, [&] { return commands.Next(); }, {}, switch_protocol});
}

TEST_CASE("geo: Redis's documented examples") {
  ServerWithClient s;
  RespClient& c = *s.client;
  CHECK(Int(c, {"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"}) == 2);
  CHECK(Bulk(c, {"GEODIST", "Sicily", "Palermo", "Catania"}) == "166274.1516");
  CHECK(Bulk(c, {"GEODIST", "Sicily", "Palermo", "Catania", "km"}) == "166.2742");
  CHECK(Strings(c, {"GEOHASH", "Sicily", "Palermo", "Catania"}) == std::vector<std::string>{"sqc8b49rny0", "sqdtr74hyu0"});
  RespValue position = Call(c, {"GEOPOS", "Sicily", "Palermo", "NonExisting"});
  REQUIRE(position.elements.size() == 2);
  CHECK(position.elements[0].elements[0].str == "13.36138933897018433");
  CHECK(position.elements[0].elements[1].str == "38.11555639549629859");
  CHECK(position.elements[1].IsNull());
  CHECK(Strings(c, {"GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC"}) ==
        std::vector<std::string>{"Catania", "Palermo"});
  CHECK(Int(c, {"GEOSEARCHSTORE", "near", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC",
                "COUNT", "1", "STOREDIST"}) == 1);
  CHECK(Strings(c, {"ZRANGE", "near", "0", "-1", "WITHSCORES"}) ==
        std::vector<std::string>{"Catania", "56.441257870158204"});
  // Inside MULTI, over a destination deleted and refilled in the same transaction.
  REQUIRE(Int(c, {"ZADD", "near", "5", "stale"}) == 1);
  REQUIRE(Simple(c, {"MULTI"}) == "OK");
  REQUIRE(Simple(c, {"DEL", "near"}) == "QUEUED");
  REQUIRE(Simple(c, {"GEOSEARCHSTORE", "near", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "10", "km"}) == "QUEUED");
  REQUIRE(Call(c, {"EXEC"}).elements.size() == 2);
  CHECK(Strings(c, {"ZRANGE", "near", "0", "-1"}) == std::vector<std::string>{"Palermo"});
  CHECK(Err(c, {"GEOADD", "Sicily", "181", "10", "x"}) == "ERR invalid longitude,latitude pair 181.000000,10.000000");
  CHECK(Err(c, {"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "furlong"}) ==
        "ERR unsupported unit provided. please use M, KM, FT, MI");
}

}  // namespace kvdtest
