#pragma once
// The outbox projection: the e-mail notifications the log owes, folded from it like every other
// projection. For each accepted event the fold decides (outbox_items_of, pure: the state after
// the event, the event, its verdict, its offset and log time; no I/O, no clock) which messages
// it causes:
//
//   matchProposed   -> "a proposal to answer", to the requester and to the helper
//   matchAccepted   -> "a match accepted", to both people of the match
//   hoursClaimed    -> "a claim to confirm", to the receiver
//
// and, for each of those, a copy to every proxy of the recipient (a delegation a coordinator
// recorded for a member without a key, in force at the event's log time). An item names only
// ids (no address, no text): the sender (api/mail) reads the recipient's address, language and
// what they may see when it sends. The projector writes the items in the column `outbox` of the
// batch that applies their event (store.h), so an item exists exactly when its event is
// applied; its key is its event's offset, recipient, the member it is about and its purpose,
// so a replay or a rebuild of the log writes the same keys, and what was sent (kept apart, in
// the mail store, api/mail) is recognised again.
//
// Pure functions; safe from any thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/core/event.h"
#include "ledger/core/rules.h"
#include "projections/store.h"

namespace uurwerk {

enum class mail_purpose : std::uint8_t {
    proposal_to_answer = 1,  // a match was proposed to the recipient (helper or requester)
    claim_to_confirm = 2,    // someone claimed hours from the recipient
    match_accepted = 3,      // a match of the recipient was accepted
};
inline constexpr std::uint8_t mail_purpose_max = 3;

struct outbox_item {
    offset at;            // the event's offset in its partition
    member_id recipient;  // who is written to: the member, or their proxy
    member_id about;      // the member the message concerns (== recipient unless a proxy's copy)
    mail_purpose purpose = mail_purpose::proposal_to_answer;
    community_id community;
    event_id event;    // the event that caused it
    event_id subject;  // the match (its proposal's id) or the claim
    member_id other;   // the other person: the match's other party, or the claimant
    time_ms logged;    // the log's time of the event
    bool operator==(const outbox_item&) const = default;
};

// Appends to `out` the items that the event `b`, with verdict `v`, at offset `at` and log time
// `logged`, causes, given `s`, the state just after it was folded. None for a rejected event.
void outbox_items_of(const ledger_state& s, const event_body& b, const verdict& v, offset at,
                     time_ms logged, std::vector<outbox_item>& out);

// The key of an item in the column `outbox`: offset, recipient, about (big-endian), purpose:
// 25 bytes, in log order. The key of the first item at or after offset `o`: outbox_key_from(o).
inline constexpr std::size_t outbox_key_bytes = 25;
[[nodiscard]] std::string outbox_key(const outbox_item& item);
[[nodiscard]] std::string outbox_key_from(offset o);
[[nodiscard]] std::string outbox_value(const outbox_item& item);
// The item stored under `key` with `value`; none when either does not have the layout above
// (a store written by another program: the caller says so and skips it).
[[nodiscard]] std::optional<outbox_item> decode_outbox_item(std::string_view key,
                                                            std::string_view value);
// Adds the items to a batch (their event's batch).
void write_outbox(const std::vector<outbox_item>& items, store::batch& b);

}  // namespace uurwerk
