#pragma once
// How the ledger state, the matching projection and the read-side projections are laid out in
// the store: the keys and values of every entity (column `state`), history lines (`history`) and
// open posts (`posts`).
// Pure functions over values: no I/O beyond the store calls they are given.
//
// Keys of column `state` (numbers big-endian):
//   'C' community                       -> name, policy, fund
//   'M' community member                -> member_state
//   'K' community public_key            -> key_state without last_seq (see 'S')
//   'D' community grantor delegate      -> delegation_state (absent once revoked)
//   'L' community claim_id              -> claim_state
//   'T' community transfer_id           -> transfer_state
//   'P' community post_id               -> post_state
//   'X' community match_id              -> match_state
//   'E' community endorsement_id        -> endorsement_state
//   'I' community invitation_id         -> invitation_state (absent once forgotten)
//   'H' community member                -> helper_exposure (the matching projection,
//                                          matching_fold.h)
//   'S' offset / 64                     -> the seen ids of those 64 offsets, in offset order:
//                                          (community, event_id, offset, body digest, first
//                                          verdict, 0 | 1 public_key seq)..., appended batch
//                                          by batch (store::batch::append); the 1 form names
//                                          the key whose last_seq the event set, so a key's
//                                          last_seq is its last such seq, and 'K' is written
//                                          only when the key's other fields change

#include "ledger/core/rules.h"
#include "projections/matching_fold.h"
#include "projections/store.h"

namespace uurwerk {

inline constexpr std::uint64_t seen_chunk_offsets = 64;
inline constexpr std::uint64_t history_window_offsets = 1024;

// Adds to `b` the current value of every entity `fx` names (or its deletion), its history
// lines and the open-post index changes.
void write_effects(const ledger_state& state, const fold_effects& fx, store::batch& b);

// Adds to `b` the current exposure of every helper `fx` names ('H').
void write_matching_effects(const matching_state& state, const matching_effects& fx,
                            store::batch& b);

// The verdict fold's state and the matching projection's, as loaded.
struct loaded_state {
    ledger_state ledger;
    matching_state matching;  // exposure loaded, queues rebuilt (kept)
};
// Reads both folds' state back from the store (on start), with their derived indexes rebuilt
// (index_matches, index_posts).
[[nodiscard]] result<loaded_state> load_state(const store& db);

// Read-side records, decoded for queries.
struct open_post {
    event_id id;
    community_id community;
    member_id owner;
    bool is_offer = false;
    category what = category::other;
    intensity how_often = intensity::once;
    std::uint32_t availability = 0;
    std::string area;
    text_commitment text_digest;
    offset posted_at;
};

// History lines of a member, oldest first, from offset `from` on, at most `limit`.
[[nodiscard]] result<std::vector<history_entry>> read_history(const store& db, community_id c,
                                                              member_id m, offset from,
                                                              std::size_t limit);
// Open offers or requests of a community, optionally of one category and one area, oldest
// first.
[[nodiscard]] result<std::vector<open_post>> read_open_posts(
    const store& db, community_id c, bool offers, std::optional<category> what, std::size_t limit,
    const std::optional<std::string>& area = std::nullopt);

}  // namespace uurwerk
