#include "cluster/raft/log.h"

#include <algorithm>

namespace kvd::cluster::raft {

RaftLog::RaftLog(EntryId base, std::vector<Entry> entries, Index committed)
    : base_(base),
      entries_(std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end())),
      stable_(LastIndex()),
      committed_(std::clamp(committed, base.index, LastIndex())),
      applied_(base.index) {}

Term RaftLog::LastTerm() const { return entries_.empty() ? base_.term : entries_.back().term; }

std::optional<Term> RaftLog::TermAt(Index index) const {
  if (index == base_.index) return base_.term;
  if (index < base_.index || index > LastIndex()) return std::nullopt;
  return At(index).term;
}

bool RaftLog::MatchTerm(Index index, Term term) const {
  std::optional<Term> found = TermAt(index);
  return found && *found == term;
}

bool RaftLog::IsUpToDate(Index last_index, Term last_term) const {
  Term my_term = LastTerm();
  return last_term > my_term || (last_term == my_term && last_index >= LastIndex());
}

Index RaftLog::FindConflict(const std::vector<Entry>& entries) const {
  for (const Entry& entry : entries) {
    if (!MatchTerm(entry.index, entry.term)) return entry.index;
  }
  return 0;
}

EntryId RaftLog::FindConflictByTerm(Index index, Term term) const {
  index = std::min(index, LastIndex());
  while (index > base_.index) {
    Term found = At(index).term;
    if (found <= term) return {index, found};
    --index;
  }
  return base_;
}

void RaftLog::TruncateAndAppend(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  Index first = entries.front().index;
  if (first <= base_.index || first > LastIndex() + 1) return;  // callers guarantee this never happens
  entries_.resize(first - base_.index - 1);
  stable_ = std::min(stable_, first - 1);
  entries_.insert(entries_.end(), entries.begin(), entries.end());
}

std::vector<Entry> RaftLog::Slice(Index from, Index to, size_t max_count) const {
  std::vector<Entry> out;
  if (from <= base_.index) return out;
  to = std::min(to, LastIndex());
  for (Index i = from; i <= to && out.size() < max_count; ++i) out.push_back(At(i));
  return out;
}

std::vector<Entry> RaftLog::UnstableEntries() const {
  return Slice(stable_ + 1, LastIndex(), entries_.size());
}

std::vector<Entry> RaftLog::EntriesToApply() const {
  return Slice(applied_ + 1, committed_, entries_.size());
}

void RaftLog::StableTo(EntryId id) {
  if (id.index > stable_ && MatchTerm(id.index, id.term)) stable_ = id.index;
}

bool RaftLog::MaybeCommit(Index index, Term term) {
  if (index <= committed_ || !MatchTerm(index, term)) return false;
  committed_ = index;
  return true;
}

void RaftLog::CommitTo(Index index) { committed_ = std::max(committed_, std::min(index, LastIndex())); }

void RaftLog::AppliedTo(Index index) { applied_ = std::max(applied_, std::min(index, committed_)); }

void RaftLog::RestoreFromSnapshot(EntryId snapshot) {
  base_ = snapshot;
  entries_.clear();
  stable_ = committed_ = applied_ = snapshot.index;
}

void RaftLog::CompactTo(Index index) {
  if (index <= base_.index || index > std::min(applied_, stable_)) return;  // callers check first
  Term term = At(index).term;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(index - base_.index));
  base_ = {index, term};
}

}  // namespace kvd::cluster::raft
