// The replicated log as one node sees it, in memory:
//
//   (compacted) base | stable entries ... stable() | unstable entries ... last
//
// `base` is the position of the last compacted entry (the snapshot's), whose
// term is still known so appends right after it can be checked. Entries up to
// stable() are on disk; later ones were appended since the last Ready and
// must be persisted before anything that depends on them is sent. Indexes
// up to committed() are known committed, up to applied() handed to the
// application. Always: base <= applied <= committed <= last, base <= stable.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "cluster/raft/types.h"

namespace kvd::cluster::raft {

class RaftLog {
 public:
  // `entries` must follow `base` contiguously; they count as stable.
  RaftLog(EntryId base, std::vector<Entry> entries, Index committed);

  EntryId base() const { return base_; }
  Index FirstIndex() const { return base_.index + 1; }
  Index LastIndex() const { return base_.index + entries_.size(); }
  Term LastTerm() const;
  EntryId Last() const { return {LastIndex(), LastTerm()}; }
  Index committed() const { return committed_; }
  Index applied() const { return applied_; }
  Index stable() const { return stable_; }

  // The term of the entry at `index`: known for base..last, nullopt for
  // compacted or missing positions.
  std::optional<Term> TermAt(Index index) const;
  bool MatchTerm(Index index, Term term) const;
  // Whether a log ending at (last_index, last_term) is at least as
  // up-to-date as this one (the election restriction, Raft §5.4.1).
  bool IsUpToDate(Index last_index, Term last_term) const;

  // The index of the first of `entries` that this log does not already hold
  // (missing, or a different term at that index); 0 when it holds them all.
  Index FindConflict(const std::vector<Entry>& entries) const;
  // The last position at or before `index` whose term is <= `term`: where a
  // log whose entry at `index` has term `term` may agree with this one.
  // Stops at the base when compaction hides older entries.
  EntryId FindConflictByTerm(Index index, Term term) const;

  // Appends `entries` (contiguous, first index in (base, last+1]) replacing
  // whatever is at and after the first one.
  void TruncateAndAppend(const std::vector<Entry>& entries);

  // Entries in [from, to], at most `max_count` of them; empty when `from`
  // is compacted or beyond `to`.
  std::vector<Entry> Slice(Index from, Index to, size_t max_count) const;
  std::vector<Entry> UnstableEntries() const;
  std::vector<Entry> EntriesToApply() const;

  // The entries up to `id` reached disk (ignored if that entry was replaced
  // meanwhile: the replacement is still unstable).
  void StableTo(EntryId id);
  // Commits up to `index` when that entry is from `term` (the leader's rule:
  // only entries of its own term are committed by counting replicas).
  bool MaybeCommit(Index index, Term term);
  // Commits up to `index` (capped at the last entry); never moves backwards.
  void CommitTo(Index index);
  void AppliedTo(Index index);

  // Drops every entry and restarts the log at the snapshot's position.
  void RestoreFromSnapshot(EntryId snapshot);
  // Drops entries up to `index` (which must be applied and stable).
  void CompactTo(Index index);

 private:
  const Entry& At(Index index) const { return entries_[index - base_.index - 1]; }

  EntryId base_;
  std::deque<Entry> entries_;
  Index stable_;
  Index committed_;
  Index applied_;
};

}  // namespace kvd::cluster::raft
