#pragma once
// The ledger rules: a pure state machine. `fold()` takes the state, one decoded event with its
// signer and the log's position and clock, and returns the verdict (accepted, or rejected with a
// reason code), changing the state only for accepted events. No I/O, no clock, no randomness:
// the same log folds to the same state and the same verdicts on every replica.
//
// Threading: a ledger_state is owned by one folder (the projector thread); readers take their
// own lock around it (see projections/projector.h). Nothing here is thread-safe by itself.

#include <array>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/core/event.h"
#include "ledger/core/id_table.h"

namespace uurwerk {

// Why an event was rejected. Stable numbers: they are stored and shown; only append new ones.
enum class reject_reason : std::uint16_t {
    none = 0,               // accepted
    unknown_community = 1,  // no such community (or founding one that exists)
    community_exists = 2,
    unknown_signer = 3,  // the key is not registered in this community
    signer_revoked = 4,
    signer_not_author = 5,  // the key belongs to another member than `author`
    not_delegated = 6,      // acting for someone without a delegation for this kind
    seq_not_increasing = 7,
    duplicate_event = 8,  // same id and content again: the first verdict stands
    id_reused_with_different_content = 9,
    not_coordinator = 10,
    member_suspended = 11,  // the author or the member acted for is suspended
    unknown_member = 12,
    member_exists = 13,
    key_in_use = 14,
    unknown_key = 15,
    unknown_delegation = 16,
    unknown_post = 17,
    post_not_open = 18,
    not_post_owner = 19,
    unknown_claim = 20,
    claim_not_pending = 21,  // confirmed already, or reversed
    cannot_confirm_own_claim = 22,
    not_claim_receiver = 23,
    credit_limit_exceeded = 24,
    balance_max_exceeded = 25,
    amount_over_policy = 26,  // more minutes than the policy's claimMinutesMax
    self_dealing = 27,        // claiming from or transferring to oneself
    unknown_target = 28,
    not_reversible = 29,
    already_reversed = 30,
    unknown_match = 31,
    not_match_party = 32,
    match_not_open = 33,
    not_node_key = 34,          // proposals and checkpoints are signed by a node key
    node_key_not_allowed = 35,  // a node key signs nothing else
    no_exchange_to_endorse = 36,
    delegation_to_self = 37,
    bad_signature = 38,               // read back from the log with a signature that does not
                                      // verify (only possible when something bypassed the API)
    malformed_event = 39,             // read back from the log and not a valid event
    checkpoint_beyond_tree = 40,      // a checkpoint of more leaves than the community's tree has
    checkpoint_root_mismatch = 41,    // a checkpoint whose root is not the tree's at its size
    fairness_knob_out_of_range = 42,  // a policy's fairness knob outside its range
                                      // (ledger/core/fairness_knobs.h: within_ranges)
    kind_not_delegable = 43,  // a delegation naming a kind only the member (or a coordinator)
                              // may sign: delegations, keys, coordinators' kinds
    member_has_key = 44,      // a proxy recorded, or a key added by a coordinator, for a member
                              // who has a key of their own
    already_endorsed = 45,    // a second endorsement of one claim by the same member
    checkpoint_verdict_root_mismatch = 46,  // a checkpoint without the verdict tree's root at its
                                            // size, or with another (ledger/core/audit.h)
    balance_not_settled = 47,    // leaving with a balance other than zero (transfer it first)
    claims_pending = 48,         // leaving with a claim by or from the member still pending
    member_has_left = 49,        // the author, the member acted for, or the member named has left
    auditor_term_too_long = 50,  // an auditor appointed for more than 366 days
    too_many_auditors = 51,      // a community has at most auditors_max auditors at a time
    member_invited = 52,  // a join invitation for a member id another open join invitation names
    invitation_expiry_out_of_range = 53,  // an invitation's untilMs not after the event's log
                                          // time, or more than 30 days after it
    too_many_invitations = 54,            // invitations_open_max open in the community already
    unknown_invitation = 55,              // no such invitation (or one forgotten long closed)
    invitation_used = 56,                 // redeemed already: an invitation admits one key
    invitation_expired = 57,              // redeemed at or after its untilMs (the log's clock)
    invitation_code_mismatch = 58,        // the code's digest is not the invitation's
};
inline constexpr std::uint16_t reject_reason_max = 58;

// The kinds a member may let a delegate sign for them: their own posts, matches, hours and
// gifts. Never delegations, keys, leaving or a coordinator's kinds: a delegate can never take
// over an account or reach beyond a member's own authority.
[[nodiscard]] bool delegable(event_kind k);
std::string_view reason_name(reject_reason r);

struct verdict {
    reject_reason reason = reject_reason::none;
    bool accepted() const { return reason == reject_reason::none; }
    bool operator==(const verdict&) const = default;
};

// ---------------------------------------------------------------------------------------------
// The state the rules read and change. Plain data; every map is keyed for the lookups the rules
// make. It is mirrored entity by entity into the projection store.

struct key_state {
    member_id owner;    // community_fund (0) for a node key
    sequence last_seq;  // highest seq signed with this key and folded
    bool revoked = false;
    bool node = false;
    bool operator==(const key_state&) const = default;
};

struct delegation_state {
    std::uint32_t kinds = 0;  // bit i = event_kind i; only delegable() kinds
    time_ms until;            // 0 = until revoked; else valid while the log's clock < until
    bool proxy = false;       // recorded by a coordinator for a member who had no key
    // In force at `t` (the log's clock, or a reader's): no end, or an end after `t` (exclusive).
    bool in_force_at(time_ms t) const { return until.value == 0 || t < until; }
    bool operator==(const delegation_state&) const = default;
};

struct member_state {
    role member_role = role::member;
    bool verified = false;
    bool suspended = false;      // also true once the member left: matched and served no more
    bool left = false;           // the member left (memberLeft): signs nothing, never reinstated
    minutes balance{0};          // confirmed
    minutes pending_in{0};       // claimed by this member, not yet confirmed
    minutes pending_out{0};      // claimed from this member, not yet confirmed
    minutes confirmed_given{0};  // minutes of help this member gave, confirmed (reversals net)
    time_ms admitted_at;
    // The member's profile (ledger/core/profile.h): the event whose commitment is the current
    // one (a memberAdmitted or profileUpdated) and that commitment; a zero id: none yet.
    event_id profile_event{};
    digest profile_digest{};
    // The log's clock at the last accepted event the member signed, or a delegate signed for
    // them (their last activity, as a coordinator sees it); admitted_at until then.
    time_ms last_active{};
    bool operator==(const member_state&) const = default;
};

// A text that belongs to a post or a claim beside its own: a moderator's reason for hiding the
// post, a dispute's or a reversal's reason for the claim. The event that committed to it (its
// key in the personal-data store) and the commitment; it goes when its post's or claim's texts
// go (ledger/core/retention.h).
struct attached_text {
    event_id event;
    digest commitment;
    bool operator==(const attached_text&) const = default;
};

enum class claim_status : std::uint8_t { pending = 0, disputed, confirmed, reversed };
struct claim_state {
    member_id claimant;
    member_id receiver;
    minutes amount;
    claim_status status = claim_status::pending;
    offset claimed_at;
    time_ms confirmed_at;       // 0 until confirmed (the log's clock): reputation decays with age
    time_ms disputed_at;        // 0 unless disputed
    std::uint8_t endorsed = 0;  // bit 0: the claimant endorsed the receiver; bit 1: the reverse
    // The texts the claim carries (kept beside the log, personal.h): its note, and the reasons
    // of its dispute and of its reversal, when they gave one. The retention period counts from
    // confirmed_at, or from reversed_at (the log's clock; 0 until reversed) once reversed.
    text_commitment note_digest{};
    time_ms reversed_at{};
    std::optional<attached_text> dispute_reason{};
    std::optional<attached_text> reversal_reason{};
    bool operator==(const claim_state&) const = default;
};

// An endorsement after an exchange (reputation's input besides confirmed hours).
struct endorsement_state {
    member_id from;
    member_id to;
    time_ms at;
    event_id claim;  // the confirmed claim it endorses: a reversal of it takes it back
    bool operator==(const endorsement_state&) const = default;
};

struct transfer_state {
    member_id from;
    member_id to;
    minutes amount;
    bool reversed = false;
    bool operator==(const transfer_state&) const = default;
};

enum class post_status : std::uint8_t { open = 0, withdrawn, hidden };
struct post_state {
    member_id owner;
    bool is_offer = false;
    category what = category::other;
    intensity how_often = intensity::once;
    std::uint32_t availability = 0;
    std::string area;
    text_commitment text_digest;  // the text itself is kept beside the log (personal.h)
    post_status status = post_status::open;
    offset posted_at;
    std::uint32_t proposals = 0;  // an offer's: matches proposed with it, ever
    time_ms posted_time{};        // the log's clock when posted (the newcomer floor counts from it)
    // An offer's: the log's clock when its helper last heard from the community through it, at
    // a proposal or at the end of a match (the silence floor counts from it).
    time_ms heard_time{};
    // The log's clock when the post was withdrawn or hidden (0 while open): the retention period
    // of its texts counts from it. And the moderator's reason, when hidden with one.
    time_ms closed_time{};
    std::optional<attached_text> hidden_reason{};
    bool operator==(const post_state&) const = default;
};

// A proposal lapses when its request or offer is withdrawn or hidden before it was answered.
enum class match_status : std::uint8_t { proposed = 0, accepted, declined, ended, lapsed };
struct match_state {
    event_id request;
    event_id offer;
    member_id requester;
    member_id helper;
    match_status status = match_status::proposed;
    std::uint32_t round = 0;
    std::uint32_t rank = 0;
    offset proposed_at{};     // the matchProposed event's log offset
    time_ms proposed_time{};  // the log's clock then (the request wait bound counts from it)
    time_ms ended_time{};     // the log's clock at matchEnded (the contact window counts from it)
    bool operator==(const match_state&) const = default;
};

inline constexpr std::size_t auditors_max = 16;

// An invitation (invitationIssued), by the id of the event that issued it. Open while not used
// and the clock is before `until`. Closed ones are kept a while for the coordinators' list, then
// forgotten (invitations_closed_kept_ms, invitations_closed_max; RULES.md, "Invitations").
struct invitation_state {
    invitation_purpose purpose = invitation_purpose::join;
    member_id member;
    role member_role = role::member;
    bool verified = false;
    digest code_digest;
    time_ms until;
    member_id issued_by;
    time_ms issued_at;  // the log's clock at the invitationIssued
    bool used = false;
    time_ms used_at{};  // the log's clock at the accepted invitationRedeemed
    [[nodiscard]] bool open_at(time_ms now) const { return !used && now < until; }
    [[nodiscard]] time_ms closed_at() const { return used ? used_at : until; }
    bool operator==(const invitation_state&) const = default;
};
// At most this many open invitations in a community (too_many_invitations beyond).
inline constexpr std::size_t invitations_open_max = 1000;
// Closed invitations (used or expired) are forgotten, at the next invitation issued in their
// community, once closed this long; and the oldest closed first while more than
// invitations_closed_max remain. So a community holds at most open_max + closed_max.
inline constexpr std::int64_t invitations_closed_kept_ms = std::int64_t{7} * 24 * 3600 * 1000;
inline constexpr std::size_t invitations_closed_max = 1000;

struct community_state {
    std::string name;
    policy rules;
    std::map<member_id, member_state> members;  // ordered: listings and digests are stable
    std::unordered_map<public_key, key_state> keys;
    std::map<std::pair<member_id, member_id>, delegation_state> delegations;  // grantor, delegate
    // By the event id that made them (ledger/core/id_table.h); each in log order.
    id_table<claim_state> claims;
    id_table<transfer_state> transfers;
    id_table<post_state> posts;
    id_table<match_state> matches;  // by the proposal's id
    id_table<endorsement_state> endorsements;
    // Auditors a coordinator appointed (auditorAppointed): key -> end of the appointment (the
    // reading node's clock must be below it). At most auditors_max; those whose end the log's
    // clock passed are dropped at the next appointment.
    std::map<public_key, time_ms> auditors;
    // Invitations by their id (invitation_state; bounded as said there).
    std::map<event_id, invitation_state> invitations;
    minutes fund{0};           // the community fund's balance
    std::uint64_t events = 0;  // events of this community folded (ids seen the first time)
    time_ms clock{};           // the log's clock at the last of them

    // Derived from the matches, never stored: kept by the fold and rebuilt on load
    // (index_matches), so that withdrawing or hiding a post lapses its unanswered proposals
    // without scanning every match. (The live match queues and each helper's exposure are
    // projections, not verdict state: projections/matching_fold.h.)
    std::unordered_map<event_id, std::vector<event_id>> matches_of_post;  // request or offer
};

// Rebuilds the derived index of `c` (matches_of_post) from its matches (after loading them).
void index_matches(community_state& c);

// What the log says about an id already seen: the first verdict stands for the same content.
struct seen_event {
    offset at;
    digest body_digest;
    verdict first;
    bool operator==(const seen_event&) const = default;
};

struct ledger_state {
    std::map<community_id, community_state> communities;
    // Every event folded, by its id within its community (ledger/core/id_table.h): ids are scoped
    // by community, so one community's events can neither take nor block another's ids.
    id_table<seen_event, scoped_id> seen;
};

// ---------------------------------------------------------------------------------------------
// Folding one event.

// What the rules ask of a community's audit tree (see projections/audit.h): the tree over the
// community's events before the one being folded. The projector and the offline auditor each
// provide one; the rules only read it.
class audit_view {
public:
    virtual ~audit_view() = default;
    // The RFC 6962 root of the first `size` leaves, or nothing when the tree is smaller.
    [[nodiscard]] virtual std::optional<digest> root_at(community_id c,
                                                        std::uint64_t size) const = 0;
    // The same for the verdict tree (ledger/core/audit.h: verdict_leaf_hash), whose leaf i is added
    // once event leaf i is folded.
    [[nodiscard]] virtual std::optional<digest> verdict_root_at(community_id c,
                                                                std::uint64_t size) const = 0;
};

struct fold_input {
    const event_body& body;
    const public_key& signer;
    const digest& body_digest;  // SHA-256 of the signed body bytes (idempotency)
    offset at;                  // the event's log offset
    time_ms now;                // the log's clock at append: the only time the rules use
    // The audit trees, to check a checkpoint's size and root; without one (unit tests of other
    // rules) a checkpoint signed by a node key is accepted unchecked.
    const audit_view* audit = nullptr;
};

// A line of a member's history, produced by the fold for each member an event concerns.
struct history_entry {
    community_id community;
    member_id member;
    offset at;
    event_id id;
    event_kind kind;
    reject_reason reason;      // none when accepted
    minutes balance_delta{0};  // confirmed minutes in (+) or out (-)
    minutes pending_delta{0};  // pending minutes in (+) or out (-)
    member_id counterparty;    // 0 when none
};

// An id seen for the first time in its community, and the sequence number its event consumed,
// if it did (an authentic event consumes its signer's sequence whatever its verdict; see
// key_state::last_seq).
struct seen_effect {
    scoped_id id;
    bool used_seq = false;
    public_key signer{};  // the key whose sequence it used, when used_seq
    sequence seq{};
};

// What one fold changed, for the projections to write: every entity touched (by key), and the
// history lines. Cleared by the caller between events or batches.
struct fold_effects {
    std::vector<std::pair<community_id, member_id>> members;
    // Keys registered, revoked or marked as node keys; a key's last_seq is not named here:
    // it moves with almost every event, and `seen` says which event set it.
    std::vector<std::pair<community_id, public_key>> keys;
    std::vector<std::tuple<community_id, member_id, member_id>> delegations;
    std::vector<std::pair<community_id, event_id>> claims;
    std::vector<std::pair<community_id, event_id>> transfers;
    std::vector<std::pair<community_id, event_id>> posts;
    std::vector<std::pair<community_id, event_id>> matches;
    std::vector<std::pair<community_id, event_id>> endorsements;
    // Invitations issued, redeemed or forgotten (absent from the state: deleted).
    std::vector<std::pair<community_id, event_id>> invitations;
    std::vector<community_id> communities;  // name, policy, fund, event count changed
    std::vector<seen_effect> seen;          // new ids, in fold order
    std::vector<history_entry> history;
    void clear();
};

// Decides the event's verdict and, when accepted, applies it to `state`. Records every id it
// sees (accepted or not) so a replay of the same event is answered with the first verdict.
// Minutes only ever move from one account to another, so each community's balances and fund
// sum to zero (balance_sum); the projector asserts it on load and the tests after every step.
[[nodiscard]] verdict fold(ledger_state& state, const fold_input& in, fold_effects& effects);

// The sum of every balance in a community, the fund included (always 0: mutual credit).
[[nodiscard]] minutes balance_sum(const community_state& c);

}  // namespace uurwerk
