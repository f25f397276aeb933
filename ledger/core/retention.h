#pragma once
// The retention period (AVG: personal data kept no longer than needed): which texts in the
// personal-data store are due for deletion because the post they belong to closed, or the claim
// they belong to settled, longer ago than the community's policy keeps them
// (`retentionDays`, ledger/core/event.h: retention_days_of).
//
// What counts, read from the fold's state (ledger/core/rules.h), never from a clock of its own:
//   - a post is closed once withdrawn or hidden (post_status); the period counts from its
//     `closed_time`, the log's clock at the withdrawal or hiding. Nothing else closes a post in
//     the state: an offer or a request stays open through its matches (an offer serves many)
//     until its owner withdraws it or a coordinator hides it, so an open post keeps its text
//     whatever its age. Its texts: the post's own, and the moderator's reason for hiding it;
//   - a claim is settled once confirmed or reversed; the period counts from `confirmed_at`, or
//     from `reversed_at` once reversed. A pending claim is not settled, nor a disputed one: the
//     receiver may still confirm it, and it still counts as pending (a member cannot leave with
//     it). Its texts: its note, and the reasons of its dispute and of its reversal, which are
//     about the claim and concern the same people, so they go with it (a reversal made after
//     the note was deleted brings a reason of its own, kept for a period from the reversal).
// A text is due at `now` once `now` >= the closing time + the period (kept while `now` is
// below it, as a delegation's expiry is exclusive). Texts of other kinds (profiles, transfer
// notes, endorsements, suspension reasons) are not covered by the period; a member's leaving
// erases them (api/node/node.h).
//
// Pure: a function of the state and `now`, no I/O; every node that has applied the same log
// lists the same texts for the same `now`. Lists every text due, deleted already or not (the
// state does not know what the store holds): deleting is idempotent.
// Threading: none of its own; the caller holds the state (projections/projector.h: read_state).

#include <vector>

#include "ledger/core/personal.h"
#include "ledger/core/rules.h"

namespace uurwerk {

// How long community `c`'s policy keeps a closed post's or a settled claim's texts, in ms.
[[nodiscard]] std::int64_t retention_ms(const policy& p);

// Every text of `state` due for deletion at `now`: community by community (in id order), the
// posts' texts, then the claims' (each in log order).
[[nodiscard]] std::vector<text_ref> texts_due(const ledger_state& state, time_ms now);

}  // namespace uurwerk
