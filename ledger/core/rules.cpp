#include "ledger/core/rules.h"

#include <algorithm>
#include <array>

#include "ledger/core/crypto.h"
#include "ledger/core/fairness_knobs.h"

namespace uurwerk {
namespace {

using R = reject_reason;

constexpr std::array<std::string_view, reject_reason_max + 1> reason_names = {
    "none",
    "unknown_community",
    "community_exists",
    "unknown_signer",
    "signer_revoked",
    "signer_not_author",
    "not_delegated",
    "seq_not_increasing",
    "duplicate_event",
    "id_reused_with_different_content",
    "not_coordinator",
    "member_suspended",
    "unknown_member",
    "member_exists",
    "key_in_use",
    "unknown_key",
    "unknown_delegation",
    "unknown_post",
    "post_not_open",
    "not_post_owner",
    "unknown_claim",
    "claim_not_pending",
    "cannot_confirm_own_claim",
    "not_claim_receiver",
    "credit_limit_exceeded",
    "balance_max_exceeded",
    "amount_over_policy",
    "self_dealing",
    "unknown_target",
    "not_reversible",
    "already_reversed",
    "unknown_match",
    "not_match_party",
    "match_not_open",
    "not_node_key",
    "node_key_not_allowed",
    "no_exchange_to_endorse",
    "delegation_to_self",
    "bad_signature",
    "malformed_event",
    "checkpoint_beyond_tree",
    "checkpoint_root_mismatch",
    "fairness_knob_out_of_range",
    "kind_not_delegable",
    "member_has_key",
    "already_endorsed",
    "checkpoint_verdict_root_mismatch",
    "balance_not_settled",
    "claims_pending",
    "member_has_left",
    "auditor_term_too_long",
    "too_many_auditors",
    "member_invited",
    "invitation_expiry_out_of_range",
    "too_many_invitations",
    "unknown_invitation",
    "invitation_used",
    "invitation_expired",
    "invitation_code_mismatch",
};

constexpr std::uint32_t delegable_kinds = 1u << static_cast<unsigned>(event_kind::offer_posted) |
                                          1u << static_cast<unsigned>(event_kind::request_posted) |
                                          1u << static_cast<unsigned>(event_kind::post_withdrawn) |
                                          1u << static_cast<unsigned>(event_kind::match_accepted) |
                                          1u << static_cast<unsigned>(event_kind::match_declined) |
                                          1u << static_cast<unsigned>(event_kind::match_ended) |
                                          1u << static_cast<unsigned>(event_kind::hours_claimed) |
                                          1u << static_cast<unsigned>(event_kind::hours_confirmed) |
                                          1u << static_cast<unsigned>(event_kind::hours_disputed) |
                                          1u << static_cast<unsigned>(event_kind::transfer) |
                                          1u << static_cast<unsigned>(event_kind::endorsement) |
                                          1u << static_cast<unsigned>(event_kind::profile_updated);

bool is_node_kind(event_kind k) {
    return k == event_kind::match_proposed || k == event_kind::checkpoint;
}

// One fold: the state, the input, and the effects being recorded. Each `on(...)` checks the
// kind's rules and returns a rejection, or applies the event and returns none.
class folder {
public:
    folder(ledger_state& s, const fold_input& in, fold_effects& fx)
        : s_(s), in_(in), fx_(fx), history_from_(fx.history.size()) {}

    verdict run() {
        const auto& b = in_.body;
        const scoped_id scoped{b.community, b.id};
        // An event of no community is nobody's: it changes nothing and its id is not taken (ids
        // are scoped by community, and the community's log, its tree, begins at its founding).
        // So is a founding that is rejected: only an accepted one begins a community.
        if (!s_.communities.contains(b.community)) {
            const auto* f = std::get_if<community_founded>(&b.payload);
            if (f == nullptr) return {R::unknown_community};
            const verdict v{found(*f)};
            if (!v.accepted()) return v;
            auto [it, fresh] = s_.seen.try_emplace(scoped);
            UURWERK_ASSERT(fresh, scoped.hex());  // the community is new, so are its ids
            return finish(it->second, v);
        }
        // One lookup of the id, which makes its entry: the rules below never look at `seen`,
        // and the entry is filled in before anyone else can read the state.
        auto [it, fresh] = s_.seen.try_emplace(scoped);
        if (!fresh) {
            // The id is known: the same event again keeps its first verdict and changes
            // nothing; other content under the same id is refused.
            if (it->second.body_digest == in_.body_digest) return {R::duplicate_event};
            return {R::id_reused_with_different_content};
        }
        seen_event& first = it->second;  // nothing is inserted into `seen` until it is filled
        return finish(first, verdict{decide_and_apply()});
    }

private:
    // Records the verdict of an event seen for the first time in its community.
    verdict finish(seen_event& first, verdict v) {
        const auto& b = in_.body;
        first = seen_event{in_.at, in_.body_digest, v};
        const scoped_id scoped{b.community, b.id};
        fx_.seen.push_back(seq_used_ ? seen_effect{scoped, true, in_.signer, b.seq}
                                     : seen_effect{scoped});
        if (c_ != nullptr) {
            c_->events += 1;
            c_->clock = in_.now;
            fx_.communities.push_back(b.community);
            // A history shows what changed a member's accounts and what they (or their delegate)
            // signed: a line for the author only when the key is theirs, and for the member
            // acted for only when a delegation covered it. Nobody can write into another's
            // history by naming them in an event of their own.
            if (authentic_) history(b.author, v.reason, {}, {}, {});
            if (acting_for_) history(*b.on_behalf_of, v.reason, {}, {}, {});
            if (v.accepted()) {
                if (authentic_) active(b.author);
                if (acting_for_) active(*b.on_behalf_of);
            }
        }
        return v;
    }

    R decide_and_apply() {
        const auto& b = in_.body;
        if (auto* f = std::get_if<community_founded>(&b.payload)) return found(*f);

        auto cit = s_.communities.find(b.community);
        UURWERK_ASSERT(cit != s_.communities.end(), b.community.value);  // run() checked
        c_ = &cit->second;

        // The signer: registered here, not revoked, the author's own, and a fresh sequence.
        auto kit = c_->keys.find(in_.signer);
        const auto* redeemed = std::get_if<invitation_redeemed>(&b.payload);
        if (redeemed != nullptr)  // the one event a key the community does not know may sign
            return kit == c_->keys.end() ? redeem(*redeemed) : R::key_in_use;
        if (kit == c_->keys.end()) return R::unknown_signer;
        key_state& key = kit->second;
        authentic_ = key.owner == b.author && !key.node;
        if (key.revoked) return R::signer_revoked;
        if (key.owner != b.author) return R::signer_not_author;
        if (b.seq <= key.last_seq) return R::seq_not_increasing;
        key.last_seq = b.seq;  // an authentic event consumes its sequence, whatever its verdict
        seq_used_ = true;

        if (key.node != is_node_kind(b.kind()))
            return key.node ? R::node_key_not_allowed : R::not_node_key;
        if (key.node) return node_event();

        member_state& author = c_->members.at(b.author);  // a key's owner is always a member
        if (author.left) return R::member_has_left;
        if (author.suspended) return R::member_suspended;
        if (b.on_behalf_of && *b.on_behalf_of != b.author) {
            // Acting for another member needs their delegation for this kind, unexpired; a
            // coordinator has no power of their own to act for anyone (they record a proxy
            // delegation for a member who has no key). Delegations, keys and coordinators'
            // kinds are never signed for another.
            if (!delegable(b.kind())) return R::not_delegated;
            auto pit = c_->members.find(*b.on_behalf_of);
            if (pit == c_->members.end()) return R::unknown_member;
            if (!delegated(*b.on_behalf_of, b.author)) return R::not_delegated;
            acting_for_ = true;
            if (pit->second.left) return R::member_has_left;
            if (pit->second.suspended) return R::member_suspended;
        }
        return member_event();
    }

    bool delegated(member_id grantor, member_id delegate) const {
        auto it = c_->delegations.find({grantor, delegate});
        if (it == c_->delegations.end()) return false;
        const auto& d = it->second;
        if (!d.in_force_at(in_.now)) return false;
        return (d.kinds >> static_cast<unsigned>(in_.body.kind())) & 1u;
    }

    // Ends the proxy delegations recorded for `m` (who now has a key of their own).
    void end_proxies_of(member_id m) {
        auto& ds = c_->delegations;
        for (auto it = ds.lower_bound({m, member_id{0}}); it != ds.end() && it->first.first == m;) {
            if (!it->second.proxy) {
                ++it;
                continue;
            }
            fx_.delegations.emplace_back(in_.body.community, m, it->first.second);
            it = ds.erase(it);
        }
    }

    // Does member `m` hold a key that is not revoked?
    bool has_key(member_id m) const {
        return std::any_of(c_->keys.begin(), c_->keys.end(), [&](const auto& k) {
            return k.second.owner == m && !k.second.node && !k.second.revoked;
        });
    }

    R found(const community_founded& f) {
        const auto& b = in_.body;
        if (s_.communities.contains(b.community)) return R::community_exists;
        if (b.on_behalf_of) return R::not_delegated;
        if (!within_ranges(f.rules.fairness)) return R::fairness_knob_out_of_range;
        auto& c = s_.communities[b.community];
        c_ = &c;
        c.name = f.name;
        c.rules = f.rules;
        c.members[b.author] = member_state{role::coordinator, true, false, false,  {}, {}, {}, {},
                                           in_.now,           {},   {},    in_.now};
        c.keys[in_.signer] = key_state{b.author, b.seq, false, false};
        seq_used_ = true;
        authentic_ = true;
        fx_.communities.push_back(b.community);
        fx_.members.emplace_back(b.community, b.author);
        fx_.keys.emplace_back(b.community, in_.signer);
        return R::none;
    }

    R node_event() {
        const auto& b = in_.body;
        if (auto* p = std::get_if<match_proposed>(&b.payload)) {
            auto rq = c_->posts.find(p->request);
            auto of = c_->posts.find(p->offer);
            if (rq == c_->posts.end() || rq->second.is_offer || of == c_->posts.end() ||
                !of->second.is_offer)
                return R::unknown_post;
            if (rq->second.status != post_status::open || of->second.status != post_status::open)
                return R::post_not_open;
            if (of->second.owner != p->helper) return R::not_post_owner;
            c_->matches[b.id] = match_state{
                p->request, p->offer, rq->second.owner, p->helper, match_status::proposed,
                p->round,   p->rank,  in_.at,           in_.now,   {}};
            c_->matches_of_post[p->request].push_back(b.id);
            c_->matches_of_post[p->offer].push_back(b.id);
            // (The exposure projection, projections/matching_fold.h, then records the proposal.)
            fx_.matches.emplace_back(b.community, b.id);
            of->second.proposals += 1;
            of->second.heard_time = in_.now;
            fx_.posts.emplace_back(b.community, p->offer);
            return R::none;
        }
        // A checkpoint: the tree it names must be the community's tree at that size.
        const auto& cp = std::get<checkpoint>(b.payload);
        if (in_.audit == nullptr) return R::none;
        auto root = in_.audit->root_at(b.community, cp.tree_size);
        if (!root) return R::checkpoint_beyond_tree;
        if (*root != cp.root) return R::checkpoint_root_mismatch;
        // And it signs the verdicts and log times of those leaves (the verdict tree).
        const auto verdicts = in_.audit->verdict_root_at(b.community, cp.tree_size);
        if (!cp.verdict_root || !verdicts || *verdicts != *cp.verdict_root)
            return R::checkpoint_verdict_root_mismatch;
        return R::none;
    }

    // Unanswered proposals of a post that is withdrawn or hidden lapse (the post's matches are
    // indexed: community_state::matches_of_post). Each is named in the effects, which is how the
    // exposure projection (projections/matching_fold.h) frees its helper's open-match slot.
    void lapse_proposals_of(const event_id& post) {
        auto of_post = c_->matches_of_post.find(post);
        if (of_post == c_->matches_of_post.end()) return;
        for (const auto& id : of_post->second) {
            auto& m = c_->matches.at(id);
            if (m.status != match_status::proposed) continue;
            m.status = match_status::lapsed;
            fx_.matches.emplace_back(in_.body.community, id);
        }
    }

    bool is_coordinator(member_id m) const {
        auto it = c_->members.find(m);
        return it != c_->members.end() && it->second.member_role == role::coordinator;
    }

    R member_event() {
        const auto& b = in_.body;
        const member_id actor = b.actor();
        // A coordinator's powers are their own: never used while acting for another member.
        const bool coordinator = !acting_for_ && is_coordinator(b.author);
        return std::visit(
            [&](const auto& x) -> R {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, policy_changed>) {
                    if (!coordinator) return R::not_coordinator;
                    if (!within_ranges(x.rules.fairness)) return R::fairness_knob_out_of_range;
                    c_->rules = x.rules;
                    fx_.communities.push_back(b.community);
                    return R::none;
                } else if constexpr (std::is_same_v<T, node_key_announced>) {
                    if (!coordinator) return R::not_coordinator;
                    if (c_->keys.contains(x.key)) return R::key_in_use;
                    c_->keys[x.key] = key_state{community_fund, sequence{0}, false, true};
                    fx_.keys.emplace_back(b.community, x.key);
                    return R::none;
                } else if constexpr (std::is_same_v<T, member_admitted>) {
                    if (!coordinator) return R::not_coordinator;
                    if (c_->members.contains(x.member)) return R::member_exists;
                    if (x.key && c_->keys.contains(*x.key)) return R::key_in_use;
                    c_->members[x.member] =
                        member_state{x.member_role, x.verified, false, false,  {}, {}, {}, {},
                                     in_.now,       {},         {},    in_.now};
                    if (x.profile_digest) {  // the coordinator wrote the member's first profile
                        c_->members[x.member].profile_event = b.id;
                        c_->members[x.member].profile_digest = *x.profile_digest;
                    }
                    fx_.members.emplace_back(b.community, x.member);
                    if (x.key) {  // else a member with no key, served through a proxy
                        c_->keys[*x.key] = key_state{x.member, sequence{0}, false, false};
                        fx_.keys.emplace_back(b.community, *x.key);
                    }
                    history(x.member, R::none, {}, {}, {});
                    return R::none;
                } else if constexpr (std::is_same_v<T, key_added>) {
                    if (actor != x.member && !coordinator) return R::not_coordinator;
                    if (!c_->members.contains(x.member)) return R::unknown_member;
                    if (c_->keys.contains(x.key)) return R::key_in_use;
                    // A coordinator replaces lost keys: only for a member who has no key left
                    // (the lost ones revoked first, each step in the member's history), so a
                    // coordinator never holds a key beside a member's own.
                    if (actor != x.member && has_key(x.member)) return R::member_has_key;
                    c_->keys[x.key] = key_state{x.member, sequence{0}, false, false};
                    fx_.keys.emplace_back(b.community, x.key);
                    end_proxies_of(
                        x.member);  // a member with a key of their own acts for themselves
                    history(x.member, R::none, {}, {}, b.author);
                    return R::none;
                } else if constexpr (std::is_same_v<T, key_revoked>) {
                    // Member 0 names a node key: a coordinator revokes it (a leaked node key
                    // then signs nothing that counts, from here on in the log).
                    if (actor != x.member && !coordinator) return R::not_coordinator;
                    auto it = c_->keys.find(x.key);
                    if (it == c_->keys.end() || it->second.owner != x.member || it->second.revoked)
                        return R::unknown_key;
                    if (it->second.node != (x.member == community_fund)) return R::unknown_key;
                    history(x.member, R::none, {}, {}, b.author);
                    it->second.revoked = true;
                    fx_.keys.emplace_back(b.community, x.key);
                    return R::none;
                } else if constexpr (std::is_same_v<T, delegation_granted>) {
                    // A member delegates for themselves; a coordinator records a proxy for a
                    // member who has no key (no device), marked as such.
                    member_id grantor = actor;
                    const bool proxy = x.grantor && *x.grantor != actor;
                    if (proxy) {
                        if (!coordinator) return R::not_coordinator;
                        if (!c_->members.contains(*x.grantor)) return R::unknown_member;
                        if (has_key(*x.grantor)) return R::member_has_key;
                        grantor = *x.grantor;
                    }
                    // The recording coordinator is never the proxy: two people, not one.
                    if (x.delegate == grantor || (proxy && x.delegate == b.author))
                        return R::delegation_to_self;
                    if (!c_->members.contains(x.delegate)) return R::unknown_member;
                    std::uint32_t kinds = 0;
                    for (auto k : x.kinds) {
                        if (!delegable(k)) return R::kind_not_delegable;
                        kinds |= 1u << static_cast<unsigned>(k);
                    }
                    c_->delegations[{grantor, x.delegate}] =
                        delegation_state{kinds, x.until, proxy};
                    fx_.delegations.emplace_back(b.community, grantor, x.delegate);
                    // In the grantor's history (their own, or a proxy recorded for them); not
                    // in the delegate's, whose accounts it does not change (else anyone could
                    // fill anyone's history by granting again and again).
                    if (proxy) history(grantor, R::none, {}, {}, x.delegate);
                    return R::none;
                } else if constexpr (std::is_same_v<T, delegation_revoked>) {
                    // The grantor ends their delegation; a coordinator ends a proxy.
                    member_id grantor = actor;
                    const bool proxy = x.grantor && *x.grantor != actor;
                    if (proxy) {
                        if (!coordinator) return R::not_coordinator;
                        grantor = *x.grantor;
                    }
                    auto it = c_->delegations.find({grantor, x.delegate});
                    if (it == c_->delegations.end() || (proxy && !it->second.proxy))
                        return R::unknown_delegation;
                    c_->delegations.erase(it);
                    fx_.delegations.emplace_back(b.community, grantor, x.delegate);
                    if (proxy) history(grantor, R::none, {}, {}, x.delegate);
                    return R::none;
                } else if constexpr (std::is_same_v<T, member_suspended> ||
                                     std::is_same_v<T, member_reinstated>) {
                    if (!coordinator) return R::not_coordinator;
                    auto it = c_->members.find(x.member);
                    if (it == c_->members.end()) return R::unknown_member;
                    if (it->second.left) return R::member_has_left;  // never back
                    it->second.suspended = std::is_same_v<T, member_suspended>;
                    fx_.members.emplace_back(b.community, x.member);
                    history(x.member, R::none, {}, {}, b.author);
                    return R::none;
                } else if constexpr (std::is_same_v<T, member_verified>) {
                    if (!coordinator) return R::not_coordinator;
                    auto it = c_->members.find(x.member);
                    if (it == c_->members.end()) return R::unknown_member;
                    if (it->second.left) return R::member_has_left;
                    it->second.verified = true;  // again: nothing changes
                    fx_.members.emplace_back(b.community, x.member);
                    history(x.member, R::none, {}, {}, b.author);
                    return R::none;
                } else if constexpr (std::is_same_v<T, member_left>) {
                    // The member themselves, or a coordinator for them; never a delegate.
                    if (actor != x.member && !coordinator) return R::not_coordinator;
                    auto it = c_->members.find(x.member);
                    if (it == c_->members.end()) return R::unknown_member;
                    auto& m = it->second;
                    if (m.left) return R::member_has_left;
                    if (m.balance.value != 0) return R::balance_not_settled;
                    if (m.pending_in.value != 0 || m.pending_out.value != 0)
                        return R::claims_pending;
                    m.left = true;
                    m.suspended = true;  // matched, served and read for no more
                    fx_.members.emplace_back(b.community, x.member);
                    history(x.member, R::none, {}, {}, b.author);
                    return R::none;
                } else if constexpr (std::is_same_v<T, profile_updated>) {
                    // The member (or their delegate), or a coordinator for them.
                    if (actor != x.member && !coordinator) return R::not_coordinator;
                    auto it = c_->members.find(x.member);
                    if (it == c_->members.end()) return R::unknown_member;
                    if (it->second.left) return R::member_has_left;  // erased: no new profile
                    it->second.profile_event = b.id;
                    it->second.profile_digest = x.profile_digest;
                    fx_.members.emplace_back(b.community, x.member);
                    history(x.member, R::none, {}, {}, b.author);
                    return R::none;
                } else if constexpr (std::is_same_v<T, auditor_appointed>) {
                    // A coordinator for themselves: never a delegate (not a delegable kind).
                    if (!coordinator) return R::not_coordinator;
                    if (x.until.value - in_.now.value > auditor_term_ms_max)
                        return R::auditor_term_too_long;
                    const auto ended = [&](const auto& a) {
                        return a.second.value <= in_.now.value || a.first == x.key;
                    };
                    const auto others = static_cast<std::size_t>(
                        std::count_if(c_->auditors.begin(), c_->auditors.end(),
                                      [&](const auto& a) { return !ended(a); }));
                    const bool appoints = x.until.value > in_.now.value;
                    if (appoints && others >= auditors_max) return R::too_many_auditors;
                    // Accepted: appointments whose end the log's clock passed go, and this one
                    // is set (or ended, when its end is not after now).
                    std::erase_if(c_->auditors, ended);
                    if (appoints) c_->auditors[x.key] = x.until;
                    fx_.communities.push_back(b.community);
                    return R::none;
                } else if constexpr (std::is_same_v<T, invitation_issued>) {
                    return issue(actor, coordinator, x);
                } else if constexpr (std::is_same_v<T, offer_posted> ||
                                     std::is_same_v<T, request_posted>) {
                    c_->posts[b.id] = post_state{actor,          std::is_same_v<T, offer_posted>,
                                                 x.what,         x.how_often,
                                                 x.availability, x.area,
                                                 x.text_digest,  post_status::open,
                                                 in_.at,         0,
                                                 in_.now};
                    fx_.posts.emplace_back(b.community, b.id);
                    return R::none;
                } else if constexpr (std::is_same_v<T, post_withdrawn> ||
                                     std::is_same_v<T, post_hidden>) {
                    constexpr bool hide = std::is_same_v<T, post_hidden>;
                    auto it = c_->posts.find(x.post);
                    if (it == c_->posts.end()) return R::unknown_post;
                    if (hide && !coordinator) return R::not_coordinator;
                    if (!hide && it->second.owner != actor && !coordinator)
                        return R::not_post_owner;
                    if (it->second.status != post_status::open) return R::post_not_open;
                    it->second.status = hide ? post_status::hidden : post_status::withdrawn;
                    it->second.closed_time = in_.now;
                    if constexpr (hide)
                        if (x.reason_digest)
                            it->second.hidden_reason = attached_text{b.id, *x.reason_digest};
                    fx_.posts.emplace_back(b.community, x.post);
                    lapse_proposals_of(x.post);
                    return R::none;
                } else if constexpr (std::is_same_v<T, match_accepted> ||
                                     std::is_same_v<T, match_declined> ||
                                     std::is_same_v<T, match_ended>) {
                    auto it = c_->matches.find(x.match);
                    if (it == c_->matches.end()) return R::unknown_match;
                    auto& m = it->second;
                    // Only the two parties answer a proposal; a coordinator may end a match.
                    constexpr bool ending = std::is_same_v<T, match_ended>;
                    if (actor != m.requester && actor != m.helper && !(ending && coordinator))
                        return R::not_match_party;
                    if (m.status != (ending ? match_status::accepted : match_status::proposed))
                        return R::match_not_open;
                    m.status = ending                              ? match_status::ended
                               : std::is_same_v<T, match_accepted> ? match_status::accepted
                                                                   : match_status::declined;
                    fx_.matches.emplace_back(b.community, x.match);
                    if (ending) {
                        m.ended_time = in_.now;
                        // A helper whose match just ended has heard from the community: the
                        // silence floor counts from now, not from the proposal weeks ago.
                        if (auto of = c_->posts.find(m.offer); of != c_->posts.end()) {
                            of->second.heard_time = in_.now;
                            fx_.posts.emplace_back(b.community, m.offer);
                        }
                    }
                    return R::none;
                } else if constexpr (std::is_same_v<T, hours_claimed>) {
                    return claim(actor, x);
                } else if constexpr (std::is_same_v<T, hours_confirmed>) {
                    return confirm(actor, x);
                } else if constexpr (std::is_same_v<T, hours_disputed>) {
                    auto it = c_->claims.find(x.claim);
                    if (it == c_->claims.end()) return R::unknown_claim;
                    auto& cl = it->second;
                    if (actor != cl.receiver && !coordinator) return R::not_claim_receiver;
                    if (cl.status != claim_status::pending) return R::claim_not_pending;
                    cl.status = claim_status::disputed;
                    cl.disputed_at = in_.now;
                    if (x.reason_digest) cl.dispute_reason = attached_text{b.id, *x.reason_digest};
                    fx_.claims.emplace_back(b.community, x.claim);
                    history(cl.claimant, R::none, {}, {}, actor);
                    return R::none;
                } else if constexpr (std::is_same_v<T, transfer>) {
                    return give(actor, x);
                } else if constexpr (std::is_same_v<T, reversal>) {
                    if (!coordinator) return R::not_coordinator;
                    return reverse(x);
                } else if constexpr (std::is_same_v<T, endorsement>) {
                    if (has_left(x.member)) return R::member_has_left;  // erased: no new texts
                    auto it = c_->claims.find(x.claim);
                    if (it == c_->claims.end() || it->second.status != claim_status::confirmed)
                        return R::no_exchange_to_endorse;
                    auto& cl = it->second;
                    bool between = (cl.claimant == actor && cl.receiver == x.member) ||
                                   (cl.receiver == actor && cl.claimant == x.member);
                    if (!between) return R::no_exchange_to_endorse;
                    // One endorsement per confirmed claim and endorser: reputation cannot be
                    // bought by endorsing one small exchange again and again.
                    const std::uint8_t by = cl.claimant == actor ? 1 : 2;
                    if (cl.endorsed & by) return R::already_endorsed;
                    cl.endorsed |= by;
                    fx_.claims.emplace_back(b.community, x.claim);
                    c_->endorsements[b.id] = endorsement_state{actor, x.member, in_.now, x.claim};
                    fx_.endorsements.emplace_back(b.community, b.id);
                    history(x.member, R::none, {}, {}, actor);
                    return R::none;
                } else if constexpr (std::is_same_v<T, community_founded> ||
                                     std::is_same_v<T, match_proposed> ||
                                     std::is_same_v<T, checkpoint> ||
                                     std::is_same_v<T, invitation_redeemed>) {
                    UURWERK_ASSERT(false, static_cast<int>(b.kind()));  // routed elsewhere
                    return R::none;
                } else {
                    static_assert(sizeof(T) == 0, "every kind has rules");
                }
            },
            b.payload);
    }

    // An invitation (RULES.md, "Invitations"): a newcomer's and a replacement of lost keys by a
    // coordinator; a device by the member or a coordinator. Never by a delegate: the kind is not
    // delegable, so acting for someone was refused before (not_delegated).
    R issue(member_id actor, bool coordinator, const invitation_issued& x) {
        const auto& b = in_.body;
        const bool for_self = actor == x.member;
        if (x.purpose != invitation_purpose::add_device || !for_self)
            if (!coordinator) return R::not_coordinator;
        if (x.until.value <= in_.now.value ||
            x.until.value - in_.now.value > invitation_term_ms_max)
            return R::invitation_expiry_out_of_range;
        if (x.purpose == invitation_purpose::join) {
            if (c_->members.contains(x.member)) return R::member_exists;
            for (const auto& [id, inv] : c_->invitations)
                if (inv.purpose == invitation_purpose::join && inv.member == x.member &&
                    inv.open_at(in_.now))
                    return R::member_invited;
        } else if (auto r = may_have_new_key(x.member); r != R::none) {
            return r;
        }
        const auto open = static_cast<std::size_t>(
            std::count_if(c_->invitations.begin(), c_->invitations.end(),
                          [&](const auto& i) { return i.second.open_at(in_.now); }));
        if (open >= invitations_open_max) return R::too_many_invitations;
        forget_closed_invitations();
        c_->invitations[b.id] =
            invitation_state{x.purpose, x.member, x.member_role, x.verified, x.code_digest,
                             x.until,   b.author, in_.now,       false,      {}};
        fx_.invitations.emplace_back(b.community, b.id);
        // In the history of a member whose keys it concerns (a newcomer has none yet).
        if (x.purpose != invitation_purpose::join && !for_self)
            history(x.member, R::none, {}, {}, b.author);
        return R::none;
    }

    // The member named by a device or replacement invitation, or its redemption: present, not
    // gone, not suspended.
    R may_have_new_key(member_id m) const {
        auto it = c_->members.find(m);
        if (it == c_->members.end()) return R::unknown_member;
        if (it->second.left) return R::member_has_left;
        if (it->second.suspended) return R::member_suspended;
        return R::none;
    }

    // Forgets the closed invitations kept long enough, and the oldest closed ones beyond
    // invitations_closed_max - 1 (room for one more to close): deterministic, by the log's clock.
    void forget_closed_invitations() {
        auto& all = c_->invitations;
        std::vector<std::pair<time_ms, event_id>> closed;
        for (auto it = all.begin(); it != all.end();) {
            const auto& inv = it->second;
            if (inv.open_at(in_.now)) {
                ++it;
            } else if (inv.closed_at().value + invitations_closed_kept_ms <= in_.now.value) {
                fx_.invitations.emplace_back(in_.body.community, it->first);
                it = all.erase(it);
            } else {
                closed.emplace_back(inv.closed_at(), it->first);
                ++it;
            }
        }
        if (closed.size() < invitations_closed_max) return;
        std::sort(closed.begin(), closed.end());
        for (std::size_t i = 0; i + invitations_closed_max <= closed.size(); ++i) {
            all.erase(closed[i].second);
            fx_.invitations.emplace_back(in_.body.community, closed[i].second);
        }
    }

    // A key the community does not know redeems an invitation: for a newcomer, it admits them;
    // for a device, it is added; replacing keys, it is added and every other key revoked.
    R redeem(const invitation_redeemed& x) {
        const auto& b = in_.body;
        auto it = c_->invitations.find(x.invitation);
        if (it == c_->invitations.end()) return R::unknown_invitation;
        auto& inv = it->second;
        if (invitation_code_digest(x.code) != inv.code_digest) return R::invitation_code_mismatch;
        if (inv.used) return R::invitation_used;
        if (in_.now >= inv.until) return R::invitation_expired;
        if (b.author != inv.member) return R::signer_not_author;
        if (inv.purpose == invitation_purpose::join) {
            if (c_->members.contains(inv.member)) return R::member_exists;
            member_state m;
            m.member_role = inv.member_role;
            m.verified = inv.verified;
            m.admitted_at = in_.now;
            c_->members[inv.member] = m;
        } else if (auto r = may_have_new_key(inv.member); r != R::none) {
            return r;
        }
        if (inv.purpose == invitation_purpose::replace_keys)
            for (auto& [k, ks] : c_->keys)
                if (ks.owner == inv.member && !ks.node && !ks.revoked) {
                    ks.revoked = true;
                    fx_.keys.emplace_back(b.community, k);
                }
        c_->keys[in_.signer] = key_state{inv.member, b.seq, false, false};
        fx_.keys.emplace_back(b.community, in_.signer);
        fx_.members.emplace_back(b.community, inv.member);
        end_proxies_of(inv.member);  // a member with a key of their own acts for themselves
        inv.used = true;
        inv.used_at = in_.now;
        fx_.invitations.emplace_back(b.community, x.invitation);
        seq_used_ = true;   // the new key's first sequence number
        authentic_ = true;  // the author's line in their history (run())
        return R::none;
    }

    R claim(member_id claimant, const hours_claimed& x) {
        const auto& b = in_.body;
        if (x.receiver == claimant) return R::self_dealing;
        auto rit = c_->members.find(x.receiver);
        if (rit == c_->members.end()) return R::unknown_member;
        if (rit->second.left) return R::member_has_left;
        if (x.amount > c_->rules.claim_max) return R::amount_over_policy;
        if (x.post && !c_->posts.contains(*x.post) && !c_->matches.contains(*x.post))
            return R::unknown_post;
        claim_state cl{claimant, x.receiver, x.amount, claim_status::pending, in_.at, {}, {}};
        cl.note_digest = x.note_digest;
        c_->claims[b.id] = cl;
        member_state& me = c_->members.at(claimant);
        me.pending_in += x.amount;
        rit->second.pending_out += x.amount;
        fx_.claims.emplace_back(b.community, b.id);
        touch(claimant);
        touch(x.receiver);
        history_pending(claimant, x.amount, x.receiver);
        history(x.receiver, R::none, {}, -x.amount, claimant);
        return R::none;
    }

    // Confirming moves the receiver's minutes: only the receiver (or their delegate) does it,
    // never a coordinator in their own name (they correct by reversal).
    R confirm(member_id actor, const hours_confirmed& x) {
        const auto& b = in_.body;
        auto it = c_->claims.find(x.claim);
        if (it == c_->claims.end()) return R::unknown_claim;
        auto& cl = it->second;
        if (actor == cl.claimant || b.author == cl.claimant) return R::cannot_confirm_own_claim;
        if (actor != cl.receiver) return R::not_claim_receiver;
        if (cl.status != claim_status::pending && cl.status != claim_status::disputed)
            return R::claim_not_pending;
        if (auto r = check_move(cl.receiver, cl.claimant, cl.amount); r != R::none) return r;
        auto& helper = c_->members.at(cl.claimant);
        auto& receiver = c_->members.at(cl.receiver);
        helper.pending_in -= cl.amount;
        receiver.pending_out -= cl.amount;
        helper.confirmed_given += cl.amount;
        move(cl.receiver, cl.claimant, cl.amount);
        cl.status = claim_status::confirmed;
        cl.confirmed_at = in_.now;
        fx_.claims.emplace_back(b.community, x.claim);
        history_move(cl.claimant, cl.amount, -cl.amount, cl.receiver);
        history_move(cl.receiver, -cl.amount, cl.amount, cl.claimant);
        return R::none;
    }

    R give(member_id from, const transfer& x) {
        const auto& b = in_.body;
        if (x.to == from) return R::self_dealing;
        if (x.to != community_fund && !c_->members.contains(x.to)) return R::unknown_member;
        if (has_left(x.to)) return R::member_has_left;
        if (x.amount > c_->rules.claim_max) return R::amount_over_policy;
        if (auto r = check_move(from, x.to, x.amount); r != R::none) return r;
        move(from, x.to, x.amount);
        c_->transfers[b.id] = transfer_state{from, x.to, x.amount, false};
        fx_.transfers.emplace_back(b.community, b.id);
        history_move(from, -x.amount, {}, x.to);
        history_move(x.to, x.amount, {}, from);
        return R::none;
    }

    R reverse(const reversal& x) {
        const auto& b = in_.body;
        // A coordinator's correction moves the minutes back, past the limits if need be: a
        // correction must always be possible, and it leaves its trace in the log.
        if (auto it = c_->claims.find(x.target); it != c_->claims.end()) {
            auto& cl = it->second;
            if (cl.status == claim_status::reversed) return R::already_reversed;
            if (cl.status != claim_status::confirmed) return R::not_reversible;
            // A member who left has a settled balance of zero, and keeps it.
            if (has_left(cl.claimant) || has_left(cl.receiver)) return R::member_has_left;
            move(cl.claimant, cl.receiver, cl.amount);
            c_->members.at(cl.claimant).confirmed_given -= cl.amount;
            cl.status = claim_status::reversed;
            cl.reversed_at = in_.now;
            if (x.reason_digest) cl.reversal_reason = attached_text{b.id, *x.reason_digest};
            fx_.claims.emplace_back(b.community, x.target);
            history_move(cl.claimant, -cl.amount, {}, cl.receiver);
            history_move(cl.receiver, cl.amount, {}, cl.claimant);
            return R::none;
        }
        if (auto it = c_->transfers.find(x.target); it != c_->transfers.end()) {
            auto& t = it->second;
            if (t.reversed) return R::already_reversed;
            if (has_left(t.from) || has_left(t.to)) return R::member_has_left;
            move(t.to, t.from, t.amount);
            t.reversed = true;
            fx_.transfers.emplace_back(b.community, x.target);
            history_move(t.from, t.amount, {}, t.to);
            history_move(t.to, -t.amount, {}, t.from);
            return R::none;
        }
        return R::unknown_target;
    }

    bool has_left(member_id m) const {
        auto it = c_->members.find(m);
        return it != c_->members.end() && it->second.left;
    }

    minutes& balance_of(member_id m) {
        return m == community_fund ? c_->fund : c_->members.at(m).balance;
    }

    // Would moving `amount` from `from` to `to` keep both within the policy? The fund has no
    // limits: it is the community's own account.
    R check_move(member_id from, member_id to, minutes amount) {
        if (from != community_fund && balance_of(from) - amount < -c_->rules.credit_limit)
            return R::credit_limit_exceeded;
        if (to != community_fund && balance_of(to) + amount > c_->rules.balance_max)
            return R::balance_max_exceeded;
        return R::none;
    }

    // The only way minutes move: the same amount out of one account and into another, so a
    // community's balances and fund always sum to zero (balance_sum; checked by the projector).
    void move(member_id from, member_id to, minutes amount) {
        UURWERK_ASSERT(amount.value > 0 && from != to, amount.value, from.value, to.value);
        balance_of(from) -= amount;
        balance_of(to) += amount;
        touch(from);
        touch(to);
    }

    void active(member_id m) {
        auto it = c_->members.find(m);
        UURWERK_ASSERT(it != c_->members.end(), m.value);  // signed by, or for, a member
        it->second.last_active = in_.now;
        touch(m);
    }

    void touch(member_id m) {
        if (m == community_fund)
            fx_.communities.push_back(in_.body.community);
        else
            fx_.members.emplace_back(in_.body.community, m);
    }

    // History lines for members other than the author (the author's own line, with the
    // verdict, is written by run()). Deltas are attached to the author's line when it is them.
    void history(member_id m, R reason, minutes balance_delta, minutes pending_delta,
                 member_id counterparty) {
        const auto& b = in_.body;
        if (m == community_fund) return;
        // Only this event's lines can be merged with: the batch's earlier lines are not looked at.
        for (std::size_t i = history_from_; i < fx_.history.size(); ++i) {
            auto& h = fx_.history[i];
            if (h.member == m) {
                h.reason = reason;
                h.balance_delta += balance_delta;
                h.pending_delta += pending_delta;
                if (counterparty != community_fund) h.counterparty = counterparty;
                return;
            }
        }
        fx_.history.push_back(history_entry{b.community, m, in_.at, b.id, b.kind(), reason,
                                            balance_delta, pending_delta, counterparty});
    }
    void history_move(member_id m, minutes balance_delta, minutes pending_delta,
                      member_id counterparty) {
        history(m, R::none, balance_delta, pending_delta, counterparty);
    }
    void history_pending(member_id m, minutes pending_delta, member_id counterparty) {
        history(m, R::none, {}, pending_delta, counterparty);
    }

    ledger_state& s_;
    const fold_input& in_;
    fold_effects& fx_;
    const std::size_t history_from_;  // this event's history lines start here
    community_state* c_ = nullptr;
    bool seq_used_ = false;    // the event set its signer's last_seq to its seq
    bool authentic_ = false;   // signed by a member key of its author
    bool acting_for_ = false;  // on behalf of another member, under a delegation for this kind
};

}  // namespace

bool delegable(event_kind k) {
    return (delegable_kinds >> static_cast<unsigned>(k)) & 1u;
}

std::string_view reason_name(reject_reason r) {
    auto i = static_cast<std::size_t>(r);
    UURWERK_ASSERT(i < reason_names.size(), i);
    return reason_names[i];
}

void fold_effects::clear() {
    members.clear();
    keys.clear();
    delegations.clear();
    claims.clear();
    transfers.clear();
    posts.clear();
    matches.clear();
    endorsements.clear();
    invitations.clear();
    communities.clear();
    seen.clear();
    history.clear();
}

verdict fold(ledger_state& state, const fold_input& in, fold_effects& effects) {
    return folder(state, in, effects).run();
}

minutes balance_sum(const community_state& c) {
    minutes sum = c.fund;
    for (const auto& [id, m] : c.members) sum += m.balance;
    return sum;
}

void index_matches(community_state& c) {
    c.matches_of_post.clear();
    // In log order, as the fold appends them.
    std::vector<std::pair<offset, event_id>> by_offset;
    by_offset.reserve(c.matches.size());
    for (const auto& [id, m] : c.matches) by_offset.emplace_back(m.proposed_at, id);
    std::sort(by_offset.begin(), by_offset.end());
    for (const auto& [at, id] : by_offset) {
        const auto& m = c.matches.at(id);
        c.matches_of_post[m.request].push_back(id);
        c.matches_of_post[m.offer].push_back(id);
    }
}

}  // namespace uurwerk
