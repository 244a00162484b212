// ZSetStore and the range helpers on a temporary RocksDB, including a
// randomized comparison with an in-memory model and checks that range reads
// on a large set touch only what they return.
#include <doctest/doctest.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "storage/keyspace.h"
#include "storage/types/string_store.h"
#include "storage/types/zset_store.h"
#include "test_support.h"

namespace kvd::storage {
namespace {

using test::Must;
using test::MustOk;
constexpr double kInf = std::numeric_limits<double>::infinity();

struct ZSetFixture : test::EngineFixture {
  ZSetStore zsets{*engine};
  Keyspace keyspace{*engine};
  StringStore strings{*engine};

  ZAddResult Add(std::string_view key, std::vector<ScoredMember> pairs, ZAddOptions options = {}) {
    return Must(zsets.Add(0, key, pairs, options));
  }
  std::vector<ScoredMember> Range(std::string_view key, const RangeSpec& spec) {
    return Must(zsets.Range(0, key, spec));
  }
  std::vector<ScoredMember> All(std::string_view key) { return Range(key, RangeSpec{}); }
  std::vector<std::string> Members(std::string_view key, const RangeSpec& spec = {}) {
    std::vector<std::string> out;
    for (auto& entry : Range(key, spec)) out.push_back(entry.member);
    return out;
  }
  std::optional<double> Score(std::string_view key, std::string_view member) {
    return Must(zsets.Score(0, key, member));
  }
  std::optional<uint64_t> Rank(std::string_view key, std::string_view member, bool reverse = false) {
    return Must(zsets.Rank(0, key, member, reverse));
  }
};

RangeSpec Ranks(int64_t start, int64_t stop, bool reverse = false) {
  RangeSpec spec;
  spec.start = start;
  spec.stop = stop;
  spec.reverse = reverse;
  return spec;
}

RangeSpec Scores(std::string_view min, std::string_view max, bool reverse = false, int64_t offset = 0,
                 int64_t limit = -1) {
  RangeSpec spec;
  spec.by = RangeSpec::By::kScore;
  REQUIRE(ParseScoreRange(min, max, &spec.score));
  spec.reverse = reverse;
  spec.offset = offset;
  spec.limit = limit;
  return spec;
}

RangeSpec Lex(std::string_view min, std::string_view max, bool reverse = false, int64_t offset = 0,
              int64_t limit = -1) {
  RangeSpec spec;
  spec.by = RangeSpec::By::kLex;
  REQUIRE(ParseLexRange(min, max, &spec.lex));
  spec.reverse = reverse;
  spec.offset = offset;
  spec.limit = limit;
  return spec;
}

ZAddOptions Flags(ZAddOptions::Condition condition, bool gt = false, bool lt = false, bool incr = false) {
  ZAddOptions options;
  options.condition = condition;
  options.only_greater = gt;
  options.only_less = lt;
  options.increment = incr;
  return options;
}

using Condition = ZAddOptions::Condition;

}  // namespace

TEST_CASE("zset ranges: score bounds parse as Redis reads them") {
  ScoreBound bound;
  CHECK(ParseScoreBound("1.5", &bound));
  CHECK(bound.value == 1.5);
  CHECK_FALSE(bound.exclusive);
  CHECK(ParseScoreBound("(1.5", &bound));
  CHECK(bound.exclusive);
  CHECK(ParseScoreBound("-inf", &bound));
  CHECK(bound.value == -kInf);
  CHECK(ParseScoreBound("+inf", &bound));
  CHECK(bound.value == kInf);
  CHECK(ParseScoreBound("", &bound));  // strtod reads nothing as 0
  CHECK(bound.value == 0);
  CHECK(ParseScoreBound(" 1", &bound));
  CHECK_FALSE(ParseScoreBound("1 ", &bound));
  CHECK_FALSE(ParseScoreBound("nan", &bound));
  CHECK_FALSE(ParseScoreBound("(nan", &bound));
  CHECK_FALSE(ParseScoreBound("((1", &bound));
  CHECK_FALSE(ParseScoreBound("abc", &bound));
}

TEST_CASE("zset ranges: lex bounds") {
  LexBound bound;
  CHECK(ParseLexBound("-", &bound));
  CHECK(bound.kind == LexBound::Kind::kMinusInfinity);
  CHECK(ParseLexBound("+", &bound));
  CHECK(bound.kind == LexBound::Kind::kPlusInfinity);
  CHECK(ParseLexBound("[abc", &bound));
  CHECK(bound.kind == LexBound::Kind::kInclusive);
  CHECK(bound.value == "abc");
  CHECK(ParseLexBound("(", &bound));
  CHECK(bound.kind == LexBound::Kind::kExclusive);
  CHECK(bound.value.empty());
  CHECK_FALSE(ParseLexBound("", &bound));
  CHECK_FALSE(ParseLexBound("abc", &bound));
  CHECK_FALSE(ParseLexBound("+x", &bound));
  CHECK_FALSE(ParseLexBound("-x", &bound));
}

TEST_CASE("zset ranges: rank normalisation follows Redis") {
  uint64_t first = 0, last = 0;
  CHECK(NormalizeRankRange(5, 0, -1, false, &first, &last));
  CHECK((first == 0 && last == 4));
  CHECK(NormalizeRankRange(5, -100, 100, false, &first, &last));
  CHECK((first == 0 && last == 4));
  CHECK_FALSE(NormalizeRankRange(5, 0, -100, false, &first, &last));  // unlike GETRANGE
  CHECK_FALSE(NormalizeRankRange(5, 5, 10, false, &first, &last));
  CHECK_FALSE(NormalizeRankRange(5, 3, 2, false, &first, &last));
  CHECK_FALSE(NormalizeRankRange(0, 0, -1, false, &first, &last));
  CHECK(NormalizeRankRange(5, 0, 1, true, &first, &last));  // the two highest
  CHECK((first == 3 && last == 4));
  CHECK(NormalizeRankRange(5, -2, -1, true, &first, &last));  // the two lowest
  CHECK((first == 0 && last == 1));
}

TEST_CASE("zset ranges: field intervals keep scores and members in order") {
  std::string lower, upper;
  ScoreRange range;
  REQUIRE(ParseScoreRange("(1", "2", &range));
  ScoreRangeFields(range, &lower, &upper);
  CHECK(EncodeScoreField(1, "zzz") < lower);
  CHECK(EncodeScoreField(1.0000001, "") >= lower);
  CHECK(EncodeScoreField(2, "\xff\xff") < upper);
  CHECK(EncodeScoreField(2.0000001, "") >= upper);
  REQUIRE(ParseScoreRange("-inf", "+inf", &range));
  ScoreRangeFields(range, &lower, &upper);
  CHECK(EncodeScoreField(-kInf, "") >= lower);
  CHECK(EncodeScoreField(kInf, "\xff") < upper);
  CHECK(EncodeScorePrefix(-1) < EncodeScorePrefix(-0.5));
  CHECK(EncodeScorePrefix(-0.0) == EncodeScorePrefix(0.0));
  CHECK(DecodeScorePrefix(EncodeScoreField(-2.5, "m")) == -2.5);

  LexRange lex;
  std::optional<std::string> low, high;
  REQUIRE(ParseLexRange("(a", "[c", &lex));
  REQUIRE(LexRangeFields(lex, 0, &low, &high));
  CHECK(EncodeScoreField(0, "a") < *low);
  CHECK(EncodeScoreField(0, "a\x01") >= *low);
  CHECK(EncodeScoreField(0, "c") < *high);
  CHECK(EncodeScoreField(0, "c\x01") >= *high);
  REQUIRE(ParseLexRange("[c", "(c", &lex));
  CHECK_FALSE(LexRangeFields(lex, 0, &low, &high));
  REQUIRE(ParseLexRange("+", "+", &lex));
  CHECK_FALSE(LexRangeFields(lex, 0, &low, &high));
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: ZADD counts, options and repeated members") {
  CHECK(Add("z", {{"a", 1}, {"b", 2}, {"c", 3}}).added == 3);
  ZAddResult again = Add("z", {{"a", 1}, {"b", 5}});
  CHECK(again.added == 0);
  CHECK(again.updated == 1);  // CH counts b only: a kept its score
  CHECK(Must(zsets.Card(0, "z")) == 3);

  // A member repeated in one call: the last score wins, added once.
  ZAddResult repeated = Add("r", {{"x", 1}, {"x", 2}, {"x", 3}});
  CHECK(repeated.added == 1);
  CHECK(Score("r", "x") == 3);
  CHECK(Must(zsets.Card(0, "r")) == 1);

  // Past the first few members the writer remembers its changes in a hash
  // map: repeats there, and repeats of an early member late in the call, still count once.
  std::vector<ScoredMember> many;
  for (int i = 0; i < 20; ++i) many.push_back({"m" + std::to_string(i % 12), static_cast<double>(i)});
  ZAddResult wide = Add("w", many);
  CHECK(wide.added == 12);
  CHECK(Must(zsets.Card(0, "w")) == 12);
  CHECK(Score("w", "m0") == 12);
  CHECK(Score("w", "m7") == 19);
  CHECK(Score("w", "m11") == 11);
  CHECK(Must(zsets.Remove(0, "w", {"m0", "m0", "m11", "absent"})) == 2);
  CHECK(Must(zsets.Card(0, "w")) == 10);

  CHECK(Add("z", {{"a", 9}, {"d", 4}}, Flags(Condition::kIfAbsent)).added == 1);
  CHECK(Score("z", "a") == 1);
  CHECK(Add("z", {{"a", 9}, {"e", 4}}, Flags(Condition::kIfPresent)).updated == 1);
  CHECK(Score("z", "a") == 9);
  CHECK_FALSE(Score("z", "e"));
  CHECK(Add("absent", {{"a", 1}}, Flags(Condition::kIfPresent)).added == 0);
  CHECK(Must(keyspace.Exists(0, {"absent"})) == 0);

  // GT/LT stop updates, never additions.
  CHECK(Add("z", {{"a", 1}, {"f", 1}}, Flags(Condition::kAlways, true)).added == 1);
  CHECK(Score("z", "a") == 9);
  CHECK(Add("z", {{"a", 10}}, Flags(Condition::kAlways, true)).updated == 1);
  CHECK(Add("z", {{"a", 11}}, Flags(Condition::kAlways, false, true)).updated == 0);
  CHECK(Add("z", {{"a", 2}}, Flags(Condition::kAlways, false, true)).updated == 1);
  CHECK(Score("z", "a") == 2);

  // INCR returns the new score, or nothing when a condition stopped it.
  CHECK(Add("z", {{"a", 1.5}}, Flags(Condition::kAlways, false, false, true)).score == 3.5);
  CHECK_FALSE(Add("z", {{"a", 1}}, Flags(Condition::kIfAbsent, false, false, true)).score);
  CHECK_FALSE(Add("z", {{"a", -1}}, Flags(Condition::kAlways, true, false, true)).score);
  CHECK(Add("z", {{"new", 7}}, Flags(Condition::kAlways, false, false, true)).score == 7);
  CHECK(Add("z", {{"a", 0}}, Flags(Condition::kAlways, false, false, true)).score == 3.5);
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: infinities, NaN and negative zero") {
  Add("z", {{"hi", kInf}, {"lo", -kInf}, {"zero", -0.0}});
  CHECK(Members("z") == std::vector<std::string>{"lo", "zero", "hi"});
  CHECK(!std::signbit(*Score("z", "zero")));  // -0 is kept as 0, as Redis does
  auto nan = zsets.Add(0, "z", {{"hi", -kInf}}, Flags(Condition::kAlways, false, false, true));
  REQUIRE_FALSE(nan.ok());
  CHECK(nan.status().message() == "ERR resulting score is not a number (NaN)");
  CHECK(Score("z", "hi") == kInf);  // nothing written
  CHECK(Must(zsets.Count(0, "z", Scores("-inf", "+inf").score)) == 3);
  CHECK(Must(zsets.Count(0, "z", Scores("(-inf", "(+inf").score)) == 1);
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: wrong type, absent and expired keys") {
  MustOk(strings.Set(0, "s", "v", {}).status());
  CHECK(zsets.Add(0, "s", {{"a", 1}}, {}).status().Is(Status::Code::kWrongType));
  CHECK(zsets.Score(0, "s", "a").status().Is(Status::Code::kWrongType));
  CHECK(zsets.Range(0, "s", RangeSpec{}).status().Is(Status::Code::kWrongType));
  CHECK(zsets.Pop(0, "s", 0, PopEnd::kMin).status().Is(Status::Code::kWrongType));
  CHECK(zsets.Combine(0, {"s"}, {}).status().Is(Status::Code::kWrongType));

  CHECK(Must(zsets.Card(0, "none")) == 0);
  CHECK(All("none").empty());
  CHECK_FALSE(Rank("none", "a"));
  CHECK(Must(zsets.Pop(0, "none", 3, PopEnd::kMin)).empty());

  Add("t", {{"a", 1}, {"b", 2}});
  REQUIRE(Must(keyspace.ExpireAt(0, "t", static_cast<int64_t>(now() + 100), ExpireCondition::kAlways)));
  clock.Advance(100);
  CHECK(Must(zsets.Card(0, "t")) == 0);
  CHECK_FALSE(Score("t", "a"));
  // Re-created after expiry: a fresh version, none of the old members.
  CHECK(Add("t", {{"c", 3}}).added == 1);
  CHECK(Members("t") == std::vector<std::string>{"c"});

  Add("d", {{"a", 1}, {"b", 2}});
  CHECK(Must(keyspace.Delete(0, {"d"})) == 1);
  Add("d", {{"z", 1}});
  CHECK(Members("d") == std::vector<std::string>{"z"});
  CHECK(Must(zsets.Count(0, "d", Scores("-inf", "+inf").score)) == 1);
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: ranges by rank, score and lex") {
  Add("z", {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}, {"b2", 2}});
  CHECK(Members("z") == std::vector<std::string>{"a", "b", "b2", "c", "d", "e"});
  CHECK(Members("z", Ranks(-2, -1)) == std::vector<std::string>{"d", "e"});
  CHECK(Members("z", Ranks(0, 1, true)) == std::vector<std::string>{"e", "d"});
  CHECK(Members("z", Ranks(-2, -1, true)) == std::vector<std::string>{"b", "a"});
  CHECK(Members("z", Ranks(4, 100)) == std::vector<std::string>{"d", "e"});
  CHECK(Members("z", Ranks(0, -100)).empty());

  CHECK(Members("z", Scores("(1", "3")) == std::vector<std::string>{"b", "b2", "c"});
  CHECK(Members("z", Scores("(1", "3", true)) == std::vector<std::string>{"c", "b2", "b"});
  CHECK(Members("z", Scores("-inf", "+inf", false, 1, 2)) == std::vector<std::string>{"b", "b2"});
  CHECK(Members("z", Scores("-inf", "+inf", true, 1, 2)) == std::vector<std::string>{"d", "c"});
  CHECK(Members("z", Scores("-inf", "+inf", false, -1, 2)).empty());
  CHECK(Members("z", Scores("-inf", "+inf", false, 6, 2)).empty());
  CHECK(Members("z", Scores("-inf", "+inf", false, 4, -1)) == std::vector<std::string>{"d", "e"});
  CHECK(Members("z", Scores("3", "2")).empty());
  CHECK(Members("z", Scores("(2", "(2")).empty());

  CHECK(Rank("z", "a") == 0);
  CHECK(Rank("z", "b2") == 2);
  CHECK(Rank("z", "e") == 5);
  CHECK(Rank("z", "e", true) == 0);
  CHECK(Rank("z", "a", true) == 5);
  CHECK_FALSE(Rank("z", "zz"));

  Add("l", {{"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}, {"", 0}, {"ab", 0}});
  CHECK(Members("l", Lex("-", "+")) == std::vector<std::string>{"", "a", "ab", "b", "c", "d"});
  CHECK(Members("l", Lex("[a", "(c")) == std::vector<std::string>{"a", "ab", "b"});
  CHECK(Members("l", Lex("(a", "[c")) == std::vector<std::string>{"ab", "b", "c"});
  CHECK(Members("l", Lex("(a", "[c", true)) == std::vector<std::string>{"c", "b", "ab"});
  CHECK(Members("l", Lex("-", "+", true, 1, 2)) == std::vector<std::string>{"c", "b"});
  CHECK(Members("l", Lex("+", "-")).empty());
  CHECK(Must(zsets.LexCount(0, "l", Lex("[a", "(c").lex)) == 3);
  CHECK(Must(zsets.LexCount(0, "l", Lex("-", "+").lex)) == 6);
  CHECK(Must(zsets.LexCount(0, "l", Lex("(d", "+").lex)) == 0);

  // Mixed scores: a linear scan in (score, member) order, as Redis's small encoding does.
  Add("m", {{"z", 1}, {"a", 2}, {"m", 3}, {"b", 1}, {"y", 2}});
  CHECK(Members("m", Lex("[b", "[y")) == std::vector<std::string>{"b"});
  CHECK(Must(zsets.LexCount(0, "m", Lex("[b", "[y").lex)) == 1);
  // ... and nothing when the last member is below the minimum, even if others are above it.
  Add("m2", {{"z", 1}, {"a", 2}});
  CHECK(Members("m2", Lex("[b", "+")).empty());
  CHECK(Members("m2", Lex("[b", "+", true)).empty());
  CHECK(Must(zsets.LexCount(0, "m2", Lex("[b", "+").lex)) == 0);

  CHECK(Must(zsets.Count(0, "z", Scores("2", "4").score)) == 4);
  CHECK(Must(zsets.Count(0, "z", Scores("(2", "(4").score)) == 1);
  CHECK(Must(zsets.Count(0, "z", Scores("6", "+inf").score)) == 0);
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: removing, popping and storing ranges") {
  Add("z", {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}});
  CHECK(Must(zsets.Remove(0, "z", {"a", "a", "nope"})) == 1);
  CHECK(Must(zsets.RemoveRange(0, "z", Ranks(0, 0))) == 1);
  CHECK(Members("z") == std::vector<std::string>{"c", "d", "e"});
  CHECK(Must(zsets.RemoveRange(0, "z", Scores("(3", "4"))) == 1);
  CHECK(Must(zsets.Card(0, "z")) == 2);

  CHECK(Must(zsets.RangeStore(0, "dst", "z", Ranks(0, -1))) == 2);
  CHECK(Members("dst") == std::vector<std::string>{"c", "e"});
  CHECK(Must(zsets.RangeStore(0, "dst", "z", Scores("10", "20"))) == 0);
  CHECK(Must(keyspace.Exists(0, {"dst"})) == 0);  // an empty result deletes the destination

  auto popped = Must(zsets.PopMax(0, "z", 1));
  REQUIRE(popped.size() == 1);
  CHECK(popped[0] == ScoredMember{"e", 5});
  popped = Must(zsets.PopMin(0, "z", 10));
  CHECK(popped == std::vector<ScoredMember>{{"c", 3}});
  CHECK(Must(keyspace.Exists(0, {"z"})) == 0);  // emptied: the key is gone

  Add("p2", {{"x", 1}, {"y", 2}, {"w", 3}});
  auto multi = Must(zsets.MultiPop(0, {"none", "p2"}, 2, PopEnd::kMax));
  REQUIRE(multi);
  CHECK(multi->key == "p2");
  CHECK(multi->popped == std::vector<ScoredMember>{{"w", 3}, {"y", 2}});
  CHECK_FALSE(Must(zsets.MultiPop(0, {"none", "other"}, 1, PopEnd::kMin)));
  MustOk(strings.Set(0, "s", "v", {}).status());
  CHECK(zsets.MultiPop(0, {"s", "p2"}, 1, PopEnd::kMin).status().Is(Status::Code::kWrongType));
  CHECK(Must(zsets.MultiPop(0, {"p2", "s"}, 1, PopEnd::kMin))->key == "p2");
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: random members") {
  std::vector<ScoredMember> pairs;
  for (int i = 0; i < 50; ++i) pairs.push_back({"m" + std::to_string(i), static_cast<double>(i)});
  Add("z", pairs);

  auto distinct = Must(zsets.RandomMembers(0, "z", 10, false));
  CHECK(distinct.size() == 10);
  std::set<std::string> seen;
  for (auto& entry : distinct) {
    seen.insert(entry.member);
    CHECK(Score("z", entry.member) == entry.score);
  }
  CHECK(seen.size() == 10);

  auto whole = Must(zsets.RandomMembers(0, "z", 100, false));
  REQUIRE(whole.size() == 50);
  CHECK(whole.front().member == "m49");  // the whole set comes highest first

  auto repeats = Must(zsets.RandomMembers(0, "z", 200, true));
  CHECK(repeats.size() == 200);
  CHECK(Must(zsets.RandomMembers(0, "none", 5, true)).empty());

  // Every member can come out.
  std::set<std::string> drawn;
  for (int i = 0; i < 5000 && drawn.size() < 50; ++i) {
    drawn.insert(Must(zsets.RandomMembers(0, "z", 1, false))[0].member);
  }
  CHECK(drawn.size() == 50);
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: union, intersection, difference") {
  Add("a", {{"x", 1}, {"y", 2}, {"z", 3}});
  Add("b", {{"y", 10}, {"z", 20}, {"w", 30}});
  test::PutCollection(*engine, 0, "set", KeyType::kSet, {{"x", ""}, {"k", ""}});

  CombineOptions options;
  CHECK(Must(zsets.Combine(0, {"a", "b"}, options)) ==
        std::vector<ScoredMember>{{"x", 1}, {"y", 12}, {"z", 23}, {"w", 30}});
  options.weights = {2, 0.5};
  options.aggregate = Aggregate::kMax;
  CHECK(Must(zsets.Combine(0, {"a", "b"}, options)) ==
        std::vector<ScoredMember>{{"x", 2}, {"y", 5}, {"z", 10}, {"w", 15}});

  options = {};
  options.operation = ZSetOperation::kInter;
  CHECK(Must(zsets.Combine(0, {"a", "b"}, options)) == std::vector<ScoredMember>{{"y", 12}, {"z", 23}});
  CHECK(Must(zsets.Combine(0, {"a", "none"}, options)).empty());
  CHECK(Must(zsets.Combine(0, {"a", "set"}, options)) == std::vector<ScoredMember>{{"x", 2}});

  options.operation = ZSetOperation::kDiff;
  CHECK(Must(zsets.Combine(0, {"a", "b"}, options)) == std::vector<ScoredMember>{{"x", 1}});
  CHECK(Must(zsets.Combine(0, {"a", "set"}, options)) == std::vector<ScoredMember>{{"y", 2}, {"z", 3}});

  options.operation = ZSetOperation::kUnion;
  CHECK(Must(zsets.Combine(0, {"set", "a"}, options)) ==
        std::vector<ScoredMember>{{"k", 1}, {"x", 2}, {"y", 2}, {"z", 3}});

  // inf * 0 counts as 0; inf + -inf sums to 0.
  Add("pinf", {{"x", kInf}});
  Add("ninf", {{"x", -kInf}});
  CHECK(Must(zsets.Combine(0, {"pinf", "ninf"}, options)) == std::vector<ScoredMember>{{"x", 0}});
  options.weights = {0, 1};
  CHECK(Must(zsets.Combine(0, {"pinf", "ninf"}, options)) == std::vector<ScoredMember>{{"x", -kInf}});

  options = {};
  CHECK(Must(zsets.CombineStore(0, "a", {"a", "b"}, options)) == 4);  // the destination may be an input
  CHECK(Members("a") == std::vector<std::string>{"x", "y", "z", "w"});
  options.operation = ZSetOperation::kInter;
  CHECK(Must(zsets.CombineStore(0, "dst", {"a", "none"}, options)) == 0);
  CHECK(Must(keyspace.Exists(0, {"dst"})) == 0);

  CHECK(Must(zsets.InterCard(0, {"a", "b"}, 0)) == 3);
  CHECK(Must(zsets.InterCard(0, {"a", "b"}, 2)) == 2);
  CHECK(Must(zsets.InterCard(0, {"a", "none"}, 0)) == 0);
  MustOk(strings.Set(0, "s", "v", {}).status());
  CHECK(zsets.CheckCombinable(0, {"a", "set", "none"}).ok());
  CHECK(zsets.CheckCombinable(0, {"a", "s"}).Is(Status::Code::kWrongType));
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: ZSCAN visits every member once") {
  std::vector<ScoredMember> pairs;
  for (int i = 0; i < 300; ++i) pairs.push_back({"m" + std::to_string(i), static_cast<double>(i % 7)});
  Add("big", pairs);
  std::map<std::string, double> seen;
  std::string position;
  int calls = 0;
  do {
    ZScanPage page = Must(zsets.Scan(0, "big", position, std::nullopt, 25));
    for (auto& entry : page.entries) CHECK(seen.emplace(entry.member, entry.score).second);
    position = page.next;
    ++calls;
  } while (!position.empty() && calls < 100);
  CHECK(seen.size() == 300);
  CHECK(calls >= 12);
  CHECK(seen["m10"] == 3);

  // Small sets come back whole, in score order; MATCH filters.
  Add("small", {{"b", 2}, {"a", 1}, {"ab", 3}});
  ZScanPage page = Must(zsets.Scan(0, "small", "", std::string_view("a*"), 1));
  CHECK(page.next.empty());
  CHECK(page.entries == std::vector<ScoredMember>{{"a", 1}, {"ab", 3}});
}

// Range reads on a large set must touch about as many entries as they return.
TEST_CASE_FIXTURE(ZSetFixture, "zset: range reads on a large set are bounded") {
  constexpr int kMembers = 100'000;
  for (int chunk = 0; chunk < kMembers; chunk += 10'000) {
    std::vector<ScoredMember> pairs;
    for (int i = chunk; i < chunk + 10'000; ++i) {
      pairs.push_back({"member:" + std::to_string(i), static_cast<double>(i)});
    }
    Add("big", pairs);
  }
  REQUIRE(Must(zsets.Card(0, "big")) == kMembers);

  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  auto touched = [&](auto&& operation) {
    rocksdb::get_perf_context()->Reset();
    operation();
    return rocksdb::get_perf_context()->internal_key_skipped_count;
  };
  CHECK(touched([&] { CHECK(Range("big", Ranks(0, 9)).size() == 10); }) < 100);
  CHECK(touched([&] { CHECK(Range("big", Ranks(-10, -1)).back().member == "member:99999"); }) < 100);
  CHECK(touched([&] { CHECK(Range("big", Ranks(0, 9, true)).front().member == "member:99999"); }) < 100);
  CHECK(touched([&] { CHECK(Range("big", Scores("500", "509")).size() == 10); }) < 100);
  CHECK(touched([&] { CHECK(Range("big", Scores("-inf", "+inf", true, 0, 10)).size() == 10); }) < 100);
  CHECK(touched([&] { CHECK(Score("big", "member:123") == 123); }) < 100);
  CHECK(touched([&] { CHECK(Rank("big", "member:5") == 5); }) < 100);
  CHECK(touched([&] { CHECK(Rank("big", "member:99990") == 99990); }) < 100);
  CHECK(touched([&] { CHECK(Must(zsets.Count(0, "big", Scores("-inf", "(99990").score)) == 99990); }) < 100);
  CHECK(touched([&] { CHECK(Must(zsets.PopMax(0, "big", 5)).size() == 5); }) < 100);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
}

// Random operations against a std::map/std::set model of the sorted set.
TEST_CASE_FIXTURE(ZSetFixture, "zset: randomized comparison with a model") {
  std::mt19937 random(12345);
  std::map<std::string, double> by_member;
  auto model_order = [&] {
    std::vector<ScoredMember> ordered;
    for (auto& [member, score] : by_member) ordered.push_back({member, score});
    std::sort(ordered.begin(), ordered.end(), [](const ScoredMember& a, const ScoredMember& b) {
      return a.score != b.score ? a.score < b.score : a.member < b.member;
    });
    return ordered;
  };
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  for (int step = 0; step < 3000; ++step) {
    std::string member = "m" + std::to_string(pick(60));
    double score = pick(10) - 5 + (pick(2) ? 0.5 : 0);
    switch (pick(6)) {
      case 0:
      case 1: {
        bool added = by_member.count(member) == 0;
        by_member[member] = score;
        CHECK(Add("z", {{member, score}}).added == (added ? 1 : 0));
        break;
      }
      case 2: {
        int64_t removed = static_cast<int64_t>(by_member.erase(member));
        CHECK(Must(zsets.Remove(0, "z", {member})) == removed);
        break;
      }
      case 3: {
        int64_t start = pick(20) - 10, stop = pick(20) - 10;
        bool reverse = pick(2);
        std::vector<ScoredMember> ordered = model_order();
        if (reverse) std::reverse(ordered.begin(), ordered.end());
        std::vector<ScoredMember> expected;
        uint64_t first = 0, last = 0;
        if (NormalizeRankRange(ordered.size(), start, stop, false, &first, &last)) {
          expected.assign(ordered.begin() + static_cast<long>(first), ordered.begin() + static_cast<long>(last) + 1);
        }
        CHECK(Range("z", Ranks(start, stop, reverse)) == expected);
        break;
      }
      case 4: {
        double min = pick(10) - 5, max = pick(10) - 5;
        std::vector<ScoredMember> expected;
        for (auto& entry : model_order()) {
          if (entry.score > min && entry.score <= max) expected.push_back(entry);
        }
        std::string min_text = "(" + std::to_string(min), max_text = std::to_string(max);
        CHECK(Range("z", Scores(min_text, max_text)) == expected);
        CHECK(Must(zsets.Count(0, "z", Scores(min_text, max_text).score)) == expected.size());
        break;
      }
      case 5: {
        auto rank = Rank("z", member);
        if (by_member.count(member) == 0) {
          CHECK_FALSE(rank);
        } else {
          std::vector<ScoredMember> ordered = model_order();
          auto at = std::find_if(ordered.begin(), ordered.end(), [&](auto& e) { return e.member == member; });
          CHECK(rank == static_cast<uint64_t>(at - ordered.begin()));
        }
        CHECK(Must(zsets.Card(0, "z")) == by_member.size());
        break;
      }
    }
  }
  CHECK(All("z") == model_order());
}

}  // namespace kvd::storage

namespace kvd::storage {
namespace {

TEST_CASE_FIXTURE(ZSetFixture, "zset: pops start where earlier pops ended, and adds on either side stay reachable") {
  // A model of the set; members long and short (bounds keep 64 bytes of a member).
  std::mt19937 random(20261127);
  std::set<std::pair<double, std::string>> model;
  auto member = [&](int n) {
    std::string name = "m" + std::to_string(n);
    if (n % 3 == 0) name = std::string(70, static_cast<char>(n % 2 ? '\xff' : 'x')) + name;
    return name;
  };
  for (int step = 0; step < 3000; ++step) {
    int op = static_cast<int>(random() % 10);
    if (op < 4) {
      double score = static_cast<double>(static_cast<int>(random() % 40)) - 20;
      std::string name = member(static_cast<int>(random() % 500));
      for (auto it = model.begin(); it != model.end(); ++it) {
        if (it->second == name) {
          model.erase(it);
          break;
        }
      }
      model.emplace(score, name);
      Add("q", {{name, score}});
    } else {
      bool max = op >= 7;
      uint64_t count = 1 + random() % 3;
      auto popped = Must(max ? zsets.PopMax(0, "q", count) : zsets.PopMin(0, "q", count));
      for (const auto& entry : popped) {
        REQUIRE(!model.empty());
        auto expected = max ? std::prev(model.end()) : model.begin();
        REQUIRE(entry.member == expected->second);
        REQUIRE(entry.score == expected->first);
        model.erase(expected);
      }
      REQUIRE(popped.size() == std::min<size_t>(count, popped.size() + model.size()));
    }
  }
  std::vector<ScoredMember> left = All("q");
  REQUIRE(left.size() == model.size());
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: removals at either end move the bounds, so reads there stay bounded") {
  // A queue served by ZRANGE 0 0 + ZREM walked the tombstones of every
  // member removed before (900 commands/s against redis-server's 25k).
  constexpr int kMembers = 20'000;
  std::vector<ScoredMember> pairs;
  for (int i = 0; i < kMembers; ++i) pairs.push_back({"job:" + std::to_string(i), static_cast<double>(i)});
  Add("q", pairs);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  auto touched = [&](auto&& operation) {
    rocksdb::get_perf_context()->Reset();
    operation();
    const rocksdb::PerfContext& perf = *rocksdb::get_perf_context();
    return perf.internal_key_skipped_count + perf.internal_delete_skipped_count;
  };
  uint64_t worst = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<ScoredMember> first, last;
    worst = std::max(worst, touched([&] { first = Range("q", Ranks(0, 0)); }));
    worst = std::max(worst, touched([&] { last = Range("q", Ranks(0, 0, true)); }));
    REQUIRE(first.size() == 1);
    REQUIRE(last.size() == 1);
    REQUIRE(first[0].member == "job:" + std::to_string(i));
    REQUIRE(last[0].member == "job:" + std::to_string(kMembers - 1 - i));
    CHECK(Must(zsets.Remove(0, "q", {first[0].member, last[0].member})) == 2);
  }
  CHECK(worst < 20);
  // A range removed from the front (ZREMRANGEBYSCORE -inf ...), a rank range
  // from the back, and the first member moved to the end.
  CHECK(Must(zsets.RemoveRange(0, "q", Scores("-inf", "(5000"))) == 2000);
  CHECK(Must(zsets.RemoveRange(0, "q", Ranks(-1000, -1))) == 1000);
  Add("q", {{"job:5000", 1e9}});
  CHECK(touched([&] { CHECK(Range("q", Ranks(0, 0))[0].member == "job:5001"); }) < 20);
  CHECK(touched([&] { CHECK(Range("q", Ranks(0, 0, true))[0].member == "job:5000"); }) < 20);
  CHECK(touched([&] { CHECK(Rank("q", "job:5001") == 0); }) < 20);
  CHECK(touched([&] { CHECK(Must(zsets.Count(0, "q", Scores("-inf", "5001").score)) == 1); }) < 20);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  CHECK(Must(zsets.Card(0, "q")) == kMembers - 6000 - 3000);
}

TEST_CASE_FIXTURE(ZSetFixture, "zset: removals and moves near the ends keep every live member reachable") {
  // Random adds, removals, moves and range removals aimed at the ends, each
  // followed by a full read compared with a model.
  std::mt19937 random(424242);
  std::set<std::pair<double, std::string>> model;
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  auto erase_member = [&](const std::string& name) {
    for (auto it = model.begin(); it != model.end(); ++it) {
      if (it->second == name) {
        model.erase(it);
        return true;
      }
    }
    return false;
  };
  for (int step = 0; step < 2000; ++step) {
    int op = pick(10);
    if (op < 4 || model.empty()) {
      std::string name = "m" + std::to_string(pick(200));
      double score = pick(100) - 50;
      erase_member(name);
      model.emplace(score, name);
      Add("z", {{name, score}});
    } else if (op < 7) {
      // Remove (or move) the first or last member, sometimes with another.
      bool from_end = pick(2) == 1;
      std::string name = from_end ? std::prev(model.end())->second : model.begin()->second;
      if (pick(3) == 0) {
        double score = pick(100) - 50;
        erase_member(name);
        model.emplace(score, name);
        Add("z", {{name, score}});
      } else {
        std::vector<std::string_view> doomed{name};
        std::string other = "m" + std::to_string(pick(200));
        if (pick(2) == 0) doomed.push_back(other);
        int64_t expected = erase_member(name) ? 1 : 0;
        if (doomed.size() == 2 && other != name) expected += erase_member(other) ? 1 : 0;
        CHECK(Must(zsets.Remove(0, "z", doomed)) == expected);
      }
    } else {
      uint64_t count = 1 + pick(3);
      bool from_end = pick(2) == 1;
      auto spec = from_end ? Ranks(-static_cast<int64_t>(count), -1) : Ranks(0, static_cast<int64_t>(count) - 1);
      uint64_t removed = Must(zsets.RemoveRange(0, "z", spec));
      REQUIRE(removed == std::min<uint64_t>(count, model.size()));
      for (uint64_t i = 0; i < removed; ++i) model.erase(from_end ? std::prev(model.end()) : model.begin());
    }
    std::vector<ScoredMember> all = All("z");
    REQUIRE(all.size() == model.size());
    size_t at = 0;
    for (const auto& [score, name] : model) {
      REQUIRE(all[at].member == name);
      REQUIRE(all[at].score == score);
      ++at;
    }
  }
}

}  // namespace
}  // namespace kvd::storage
