#include "common/glob.h"

#include <cctype>

namespace kvd {
namespace {

unsigned char Fold(unsigned char c, bool nocase) { return nocase ? static_cast<unsigned char>(std::tolower(c)) : c; }

// Matches a '[...]' class starting after '['; advances `p` past ']'.
bool MatchClass(std::string_view pattern, size_t& p, unsigned char c, bool nocase) {
  bool negate = p < pattern.size() && pattern[p] == '^';
  if (negate) ++p;
  bool matched = false;
  while (p < pattern.size() && pattern[p] != ']') {
    if (pattern[p] == '\\' && p + 1 < pattern.size()) {
      ++p;
      if (static_cast<unsigned char>(pattern[p]) == c) matched = true;  // Redis compares escapes exactly, even nocase
    } else if (p + 2 < pattern.size() && pattern[p + 1] == '-') {
      // As in Redis, a range may end in ']' ("[*-]" is '*' to ']'); the class goes on after it.
      unsigned char low = Fold(pattern[p], nocase);
      unsigned char high = Fold(pattern[p + 2], nocase);
      if (low > high) std::swap(low, high);
      unsigned char folded = Fold(c, nocase);
      if (folded >= low && folded <= high) matched = true;
      p += 2;
    } else if (Fold(pattern[p], nocase) == Fold(c, nocase)) {
      matched = true;
    }
    ++p;
  }
  if (p < pattern.size()) ++p;  // skip ']'
  return negate ? !matched : matched;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  // Redis's matcher compares nothing against an empty name, so only an empty
  // pattern matches it ("*" and "**" do not: KEYS and SCAN list the key ""
  // for a lone "*" only because they skip matching then, as kvd's scans do).
  if (text.empty()) return pattern.empty();
  // Iterative matcher with one backtrack point for the last '*': linear in
  // practice and immune to the exponential blow-up of naive recursion.
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        while (p < pattern.size() && pattern[p] == '*') ++p;
        if (p == pattern.size()) return true;
        star_p = p;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        size_t next = p + 1;
        if (MatchClass(pattern, next, static_cast<unsigned char>(text[t]), nocase)) {
          p = next;
          ++t;
          continue;
        }
      } else {
        size_t literal = p;
        if (pc == '\\' && p + 1 < pattern.size()) literal = p + 1;
        if (Fold(pattern[literal], nocase) == Fold(text[t], nocase)) {
          p = literal + 1;
          ++t;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace kvd
