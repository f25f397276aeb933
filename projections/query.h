#pragma once
// The query layer: every read the API makes of the folded state, as a function that takes the
// state lock (projector::read_state), copies what the answer needs into a plain struct, and
// releases the lock before returning. The HTTP routes and the node's ingest path never see the
// fold's maps, and the routes write their JSON after the lock is gone, so a slow client or a
// long answer never holds up the fold. (A matching round is planned on the state under the
// lock too, by matching/round.h: the matcher is a pure function of that state.) The access
// rules of the API (who may read what) are meant to sit on this layer.
//
// Expected failures are error values: "unknown_community" (the community does not exist),
// "unknown_member", "not_found" (no such key, claim or request), "post_not_open" (a request
// that is no longer open).
//
// Threading: every function may be called from any thread at once; each holds the projector's
// shared lock only while it copies.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/core/base.h"
#include "ledger/core/event.h"
#include "ledger/core/rules.h"
#include "projections/projector.h"
#include "projections/reputation.h"
#include "projections/state_codec.h"

namespace uurwerk::query {

// A community and its policy, the fairness knobs as in effect (unset ones at their defaults).
struct community_view {
    std::string name;
    policy rules;
    fairness_knobs fairness;  // resolved(rules.fairness)
    std::size_t members = 0;
    minutes fund{0};
};
[[nodiscard]] result<community_view> community(const projector& p, community_id c);

// How many communities this projector's partition holds.
[[nodiscard]] std::size_t community_count(const projector& p);

// Whether the community exists (a cheap check before a store read).
[[nodiscard]] bool community_exists(const projector& p, community_id c);

struct member_row {
    member_id id;
    role member_role = role::member;
    bool verified = false;
    bool suspended = false;
    bool left = false;  // a former member: their personal data is erased
    // The member's profile (ledger/core/profile.h): the event that committed to it and the
    // commitment, to read it from the personal-data store; a zero id: none.
    event_id profile_event{};
    digest profile_digest{};
};
// One member; errors: unknown_community, unknown_member.
[[nodiscard]] result<member_row> member(const projector& p, community_id c, member_id m);
// One page of a community's members by id: those after member `after` (0: from the first), at
// most `limit`; `more` when members follow the last row. A list read in pages holds the state's
// lock, and the answer its memory, for one page, not for the whole community.
template <typename Row>
struct member_page {
    std::vector<Row> rows;
    bool more = false;
};
// The members after `after`, at most `limit` (at least 1), by id. Errors: unknown_community.
[[nodiscard]] result<member_page<member_row>> members(const projector& p, community_id c,
                                                      member_id after, std::size_t limit);

// A delegation: (grantor, delegate) and what it allows.
using member_delegation = std::pair<std::pair<member_id, member_id>, delegation_state>;

// What the coordinators' console lists of each member: the row, the balance, the last activity,
// how many keys may sign for them, and the delegations in force at `now` that they hold
// (`acts_for`: the grantors) and that were granted for them (`acted_for_by`: the delegates).
struct roster_row {
    member_row row;
    minutes balance{0};
    time_ms last_active{};
    std::uint32_t live_keys = 0;
    std::vector<member_id> acts_for;
    std::vector<member_id> acted_for_by;
};
// The members of `c` after `after`, at most `limit` (at least 1), by id. Errors:
// unknown_community.
[[nodiscard]] result<member_page<roster_row>> roster(const projector& p, community_id c,
                                                     time_ms now, member_id after,
                                                     std::size_t limit);

// The delegations in force at `now` (no end, or an end after `now`) that member `m` of `c`
// granted or holds (the export lists them all, ended ones too: records_of). Errors:
// unknown_community, unknown_member.
[[nodiscard]] result<std::vector<member_delegation>> delegations(const projector& p, community_id c,
                                                                 member_id m, time_ms now);

// Invitations (ledger/core/rules.h: invitation_state). The invitation `id` of `c` when `code` is
// its code, open or not. Errors: unknown_community, invitation_unknown (no such id, or another
// code: one answer).
[[nodiscard]] result<invitation_state> invitation(const projector& p, community_id c,
                                                  const event_id& id, const invitation_code& code);
// Every invitation `c` keeps (the open ones, and the closed ones not yet forgotten), by id; and
// the smallest member id above every member and every join invitation open at `now` (what a
// console proposes for the next newcomer). Errors: unknown_community.
struct invitation_list {
    std::vector<std::pair<event_id, invitation_state>> invitations;
    member_id next_member;
};
[[nodiscard]] result<invitation_list> invitations(const projector& p, community_id c, time_ms now);

// Everything the state holds about member `m` of `c`, for the member's export (AVG art. 15
// and 20): the member, their posts, the claims and transfers they are a party of, their
// matches, the delegations they granted or hold, and the endorsements they gave or received,
// each with the id of the event that made it. A scan of the community (an export is rare).
// Errors: unknown_community, unknown_member.
struct member_records {
    member_state member;
    std::vector<std::pair<event_id, post_state>> posts;
    std::vector<std::pair<event_id, claim_state>> claims;
    std::vector<std::pair<event_id, transfer_state>> transfers;
    std::vector<std::pair<event_id, match_state>> matches;
    // (grantor, delegate) and the delegation.
    std::vector<member_delegation> delegations;
    std::vector<std::pair<event_id, endorsement_state>> endorsements;
};
[[nodiscard]] result<member_records> records_of(const projector& p, community_id c, member_id m);

// Nothing when the community has the member; else the error (unknown_community, unknown_member).
[[nodiscard]] result<void> member_exists(const projector& p, community_id c, member_id m);

struct balance_view {
    member_state member;  // balance, pending in and out, confirmed given
    minutes credit_limit{0};
    minutes balance_max{0};
};
[[nodiscard]] result<balance_view> balance(const projector& p, community_id c, member_id m);

[[nodiscard]] result<key_state> key(const projector& p, community_id c, const public_key& k);

[[nodiscard]] result<claim_state> claim(const projector& p, community_id c, const event_id& id);

// Posts of `c` by id, those that exist (open or not), in the order asked. Errors:
// unknown_community.
[[nodiscard]] result<std::vector<std::pair<event_id, post_state>>> posts(
    const projector& p, community_id c, const std::vector<event_id>& ids);

// The category of the help a claim names (its `post`: a request, an offer or a proposal, whose
// request's category counts); nothing when the community no longer holds it. Errors:
// unknown_community.
[[nodiscard]] result<std::optional<category>> help_category(const projector& p, community_id c,
                                                            const event_id& post_or_match);

// A post as the API shows it in a ranked page.
struct ranked_post {
    event_id id;
    member_id owner;
    double relevance = 0;
    intensity how_often = intensity::once;
    std::string area;
    std::uint32_t availability = 0;
    text_commitment text_digest;  // the text is in the personal-data store
    offset posted_at;
};
struct ranked_page {
    std::size_t count = 0;  // candidates: every offer that fits; requests for me: own open offers
    std::vector<ranked_post> posts;
};
// The open offers that fit open request `request`, best fit first, then oldest first, at most
// `limit` (projections/fit.h: best_fitting_offers).
[[nodiscard]] result<ranked_page> candidates(const projector& p, community_id c,
                                             const event_id& request, std::size_t limit);
// The open requests of others that fit member `m`'s open offers, each at the best fit of any of
// them, at most `limit`.
[[nodiscard]] result<ranked_page> requests_for(const projector& p, community_id c, member_id m,
                                               std::size_t limit);

// The inputs of member `m`'s reputation at `now` (computed by the caller, outside the lock).
[[nodiscard]] result<reputation_input> reputation_inputs(const projector& p, community_id c,
                                                         member_id m, time_ms now);

struct found_proposal {
    event_id id;
    match_state match;
};
// Member `m`'s proposals (as helper or requester) at offsets after `after` (all when none),
// oldest first, at most `limit`.
[[nodiscard]] result<std::vector<found_proposal>> proposals(const projector& p, community_id c,
                                                            member_id m,
                                                            std::optional<std::uint64_t> after,
                                                            std::size_t limit);

// What the API's access rules (api/http/access.h) ask of the state about the reader of a
// session of community `c`, in one look under the lock:
//   current       `key` is registered to member `reader` in `c` (not a node key), is not
//                 revoked, and the member is not suspended: the session still holds;
//   coordinator   the reader coordinates `c`;
//   for_subject   the reader is the subject, or one of its members, or acts for one of them by
//                 a delegation in force at `now` (delegations count for reading whatever kinds
//                 they name);
//   subject_exists  the subject member, claim or post is in `c`.
//   auditor       the reader is member 0 (no member): an auditor, whose session holds (current)
//                 while `key` is appointed in `c` (auditorAppointed) and `now` is before the end
//                 of the appointment; an auditor is never a coordinator nor for a subject.
// The subject is a member (a member's own reads), or an event id: a claim's claimant and
// receiver, or a post's owner. Errors: unknown_community.
struct access_subject {
    std::optional<member_id> member;
    std::optional<event_id> event;
};
struct reader_standing {
    bool current = false;
    bool coordinator = false;
    bool for_subject = false;
    bool subject_exists = false;
    bool auditor = false;
};
[[nodiscard]] result<reader_standing> reader(const projector& p, community_id c, member_id reader,
                                             const public_key& key, const access_subject& subject,
                                             time_ms now);

// Whether `reader` (or a member `reader` acts for by a delegation in force at `now`) and
// `subject` are the two people of a match in `c` that was accepted and has not ended, or ended
// less than the policy's contact window (contactWindowDays) before `now`: the rule by which they
// see each other's contact details. Errors: unknown_community.
[[nodiscard]] result<bool> matched(const projector& p, community_id c, member_id reader,
                                   member_id subject, time_ms now);

// The ingest path's look before the log: an event this community already has (same id, same
// body digest) is answered with where it is and its first verdict; what the fold would plainly
// refuse for its signer alone is refused here ("unknown_community", "unknown_signer",
// "signer_revoked", "member_suspended"), so it never reaches the log; else nothing (go on).
// A founding passes unless it was seen before. A key the community does not know passes only
// with an invitationRedeemed naming an invitation of the community with its code
// ("invitation_unknown" for an unknown id or a wrong code alike), not used
// ("invitation_used"), and not expired at `now`, the node's clock ("invitation_expired").
[[nodiscard]] result<std::optional<seen_event>> before_the_log(const projector& p,
                                                               const scoped_id& id,
                                                               const digest& body_digest,
                                                               const public_key& signer,
                                                               const event_body& body, time_ms now);

// Whether `key` is a node key announced in `c` and not revoked (the key that signs checkpoints
// and proposals there).
[[nodiscard]] bool is_announced_node_key(const community_state& c, const public_key& key);

// The communities of this projector where `node_key` is announced, with how many events each
// has folded (a node's matcher runs a round only where something happened).
struct announced_in {
    community_id community;
    std::uint64_t events = 0;
};
[[nodiscard]] std::vector<announced_in> communities_announcing(const projector& p,
                                                               const public_key& node_key);

// Nothing when `node_key` is announced in `c` of `s`; else "unknown_community" or
// "node_key_not_announced". For callers that already hold the state lock (matching/round.h).
[[nodiscard]] result<void> node_key_announced(const ledger_state& s, community_id c,
                                              const public_key& node_key);

// The next sequence number of announced node key `node_key` in `c`. Errors: unknown_community,
// "node_key_not_announced".
[[nodiscard]] result<sequence> node_key_next_seq(const projector& p, community_id c,
                                                 const public_key& node_key);

}  // namespace uurwerk::query
