#include "ledger/core/certificate.h"

#include <map>

#include "ledger/core/crypto.h"

namespace uurwerk {
namespace {

constexpr std::uint64_t never = UINT64_MAX;

struct checked {
    event_body body;
    public_key signer;
    std::uint64_t leaf = 0;
    time_ms logged;  // the log time its verdict leaf commits to
};

// A key bound to its member from the leaf after `from` until the leaf of its revocation.
struct binding {
    member_id member;
    std::uint64_t from = 0;
    std::uint64_t until = never;
};

// A delegation granted at leaf `from`, for `kinds`, until `expires` on the log's clock (0 =
// none), ended at leaf `until` by a revocation or a later grant (which replaces it). A proxy is
// one a coordinator recorded for a member with no key.
struct delegation {
    std::uint32_t kinds = 0;
    time_ms expires;
    std::uint64_t from = 0;
    std::uint64_t until = never;
    bool proxy = false;
};

std::uint32_t bit(event_kind k) {
    return 1u << static_cast<unsigned>(k);
}

class checker {
public:
    checker(const hour_certificate& c, const std::set<public_key>& trusted)
        : c_(c), trusted_(trusted) {}

    certificate_report run() {
        if (!check_checkpoint()) return report_;
        for (std::size_t i = 0; i < c_.bindings.size() && report_.ok; ++i)
            bound(c_.bindings[i], "binding " + std::to_string(i));
        if (!report_.ok) return report_;
        if (!chain()) return report_;
        for (std::size_t i = 0; i < c_.claims.size() && report_.ok; ++i) claim(i);
        if (!report_.ok) return report_;
        if (report_.total != c_.stated_total)
            fail("the certificate states " + std::to_string(c_.stated_total.value) +
                 " minutes, its claims add up to " + std::to_string(report_.total.value));
        return report_;
    }

private:
    bool fail(std::string what) {
        if (report_.ok) {
            report_.ok = false;
            report_.problem = std::move(what);
        }
        return false;
    }

    bool check_checkpoint() {
        auto env = decode_envelope(c_.checkpoint_envelope);
        if (!env) return fail("the checkpoint does not decode: " + env.err().message);
        if (!keys_.verify_envelope(*env)) return fail("the checkpoint's signature does not verify");
        if (!trusted_.contains(env->signer))
            return fail("the checkpoint is signed by " + env->signer.hex() +
                        ", which is not a trusted node key");
        auto body = decode_body(env->body);
        if (!body) return fail("the checkpoint's body does not decode");
        const auto* cp = std::get_if<uurwerk::checkpoint>(&body->payload);
        if (cp == nullptr) return fail("the checkpoint is not a checkpoint event");
        if (body->community != c_.community)
            return fail("the checkpoint is of community " + std::to_string(body->community.value));
        if (cp->tree_size != c_.tree_size)
            return fail("the checkpoint is of " + std::to_string(cp->tree_size) +
                        " leaves, the certificate says " + std::to_string(c_.tree_size));
        if (!cp->verdict_root)
            return fail(
                "the checkpoint signs no verdict root: nothing shows what the ledger "
                "accepted");
        report_.tree_size = cp->tree_size;
        report_.root = cp->root;
        report_.verdict_root = *cp->verdict_root;
        report_.node = env->signer;
        return true;
    }

    // Proves, verifies and decodes one event, and that the ledger accepted it.
    std::optional<checked> proved(const proved_event& p, const std::string& where) {
        const std::string at = where + " (leaf " + std::to_string(p.leaf_index) + ")";
        if (!merkle_verify_inclusion(merkle_leaf_hash(p.envelope), p.leaf_index, c_.tree_size,
                                     p.audit_path, report_.root)) {
            fail(at + ": its inclusion proof does not lead to the checkpoint's root");
            return std::nullopt;
        }
        // The verdict leaf of an accepted event: only then does the proof lead to the root the
        // node signed. A rejected event is a leaf too, and proves nothing.
        const auto verdict =
            verdict_leaf_hash(p.leaf_index, reject_reason::none, p.at, p.appended_at);
        if (!merkle_verify_inclusion(verdict, p.leaf_index, c_.tree_size, p.verdict_path,
                                     report_.verdict_root)) {
            fail(at +
                 ": not shown accepted: its verdict proof (as accepted, at that log offset and "
                 "time) does not lead to the checkpoint's verdict root");
            return std::nullopt;
        }
        auto env = decode_envelope(p.envelope);
        if (!env) {
            fail(where + ": the envelope does not decode");
            return std::nullopt;
        }
        if (!keys_.verify_envelope(*env)) {
            fail(at + ": the signature does not verify");
            return std::nullopt;
        }
        auto body = decode_body(env->body);
        if (!body) {
            fail(where + ": the body does not decode");
            return std::nullopt;
        }
        if (body->community != c_.community) {
            fail(where + ": an event of another community");
            return std::nullopt;
        }
        // Each event counts once: a claim listed twice would count its minutes twice, and one
        // event at two leaves (a logged repeat of its id) is no second event.
        if (!leaves_used_.insert(p.leaf_index).second) {
            fail(at + ": the certificate lists that leaf twice");
            return std::nullopt;
        }
        if (!ids_used_.insert(body->id).second) {
            fail(at + ": the event " + body->id.hex() + " is listed twice in the certificate");
            return std::nullopt;
        }
        return checked{std::move(*body), env->signer, p.leaf_index, p.appended_at};
    }

    void bound(const proved_event& p, const std::string& where) {
        auto e = proved(p, where);
        if (!e) return;
        pending_.push_back({std::move(*e), where});
    }

    // The binding of key `k` in force at leaf `leaf`, if any.
    const binding* key_at(const public_key& k, std::uint64_t leaf) const {
        auto it = keys_of_.find(k);
        if (it == keys_of_.end() || leaf <= it->second.from || leaf >= it->second.until)
            return nullptr;
        return &it->second;
    }

    // A coordinator's powers are their own (the rules): the author is a coordinator (by the
    // founding or their admission) acting in their own name, never for another member.
    bool as_coordinator(const event_body& b) const {
        return b.actor() == b.author && coordinators_.contains(b.author);
    }

    // Whether `delegate` may sign `kind` for `grantor` at event `e` (its leaf and log time).
    // Only a member's kinds are ever signed for them (delegable()): never keys, delegations or
    // coordinators' kinds.
    bool delegated(member_id grantor, member_id delegate, event_kind kind, const checked& e) const {
        if (!delegable(kind)) return false;
        auto it = delegations_.find({grantor, delegate});
        if (it == delegations_.end()) return false;
        for (const auto& d : it->second)
            if (d.from < e.leaf && e.leaf < d.until && (d.kinds & bit(kind)) &&
                (d.expires.value == 0 || e.logged < d.expires))
                return true;
        return false;
    }

    // The signer of `e` is bound to its author at its leaf, and the author may act for its
    // actor: themselves, or a delegate of the actor for this kind at that time (a coordinator
    // has no power to act for anyone: they record a proxy for a member with no key).
    const binding* signer_of(const checked& e, const std::string& where) {
        const auto* k = key_at(e.signer, e.leaf);
        if (k == nullptr || k->member != e.body.author) {
            fail(where + " (leaf " + std::to_string(e.leaf) +
                 "): signed by a key not bound to member " + std::to_string(e.body.author.value) +
                 " at that leaf");
            return nullptr;
        }
        if (e.body.actor() != e.body.author &&
            !delegated(e.body.actor(), e.body.author, e.body.kind(), e)) {
            fail(where + ": made for member " + std::to_string(e.body.actor().value) +
                 " by someone without a delegation for it then");
            return nullptr;
        }
        return k;
    }

    // Accepts bindings in leaf order, each signed by a key bound at its leaf, starting from the
    // founding event at leaf 0.
    bool chain() {
        std::sort(pending_.begin(), pending_.end(),
                  [](const auto& a, const auto& b) { return a.e.leaf < b.e.leaf; });
        for (const auto& [e, where] : pending_) {
            const auto& b = e.body;
            if (std::holds_alternative<community_founded>(b.payload)) {
                if (e.leaf != 0) return fail(where + ": a founding event that is not leaf 0");
                keys_of_[e.signer] = {b.author, 0, never};
                coordinators_.insert(b.author);
                continue;
            }
            // A redemption is signed by the key it binds (RULES.md, "Invitations").
            if (const auto* r = std::get_if<invitation_redeemed>(&b.payload)) {
                if (!redeemed(e, *r, where)) return false;
                continue;
            }
            const auto* signer = signer_of(e, where);
            if (signer == nullptr) return false;
            const bool coordinator = as_coordinator(b);
            if (const auto* a = std::get_if<member_admitted>(&b.payload)) {
                if (!coordinator) return fail(where + ": an admission not signed by a coordinator");
                // The role is the member's, whichever keys they hold (or get later).
                if (a->member_role == role::coordinator) coordinators_.insert(a->member);
                if (a->key) keys_of_[*a->key] = {a->member, e.leaf, never};
            } else if (const auto* k = std::get_if<key_added>(&b.payload)) {
                if (!coordinator && b.actor() != k->member)
                    return fail(where + ": a key added by someone else than its member");
                keys_of_[k->key] = {k->member, e.leaf, never};
            } else if (const auto* r = std::get_if<key_revoked>(&b.payload)) {
                if (!coordinator && b.actor() != r->member)
                    return fail(where + ": a key revoked by someone else than its member");
                if (auto it = keys_of_.find(r->key);
                    it != keys_of_.end() && it->second.member == r->member)
                    it->second.until = std::min(it->second.until, e.leaf);
            } else if (const auto* i = std::get_if<invitation_issued>(&b.payload)) {
                const bool own_device =
                    i->purpose == invitation_purpose::add_device && b.actor() == i->member;
                if (!coordinator && !own_device)
                    return fail(where +
                                ": an invitation issued by neither a coordinator nor the member "
                                "for a device of their own");
                invitations_[b.id] = *i;
            } else if (const auto* d = std::get_if<delegation_granted>(&b.payload)) {
                // The grantor is the author's own, or the member with no key a coordinator
                // records a proxy for: the delegation is theirs.
                const bool proxy = d->grantor && *d->grantor != b.actor();
                if (proxy && !coordinator)
                    return fail(where + ": a proxy delegation not recorded by a coordinator");
                std::uint32_t kinds = 0;
                for (auto kind : d->kinds) kinds |= bit(kind);
                auto& list = delegations_[{proxy ? *d->grantor : b.actor(), d->delegate}];
                for (auto& old : list) old.until = std::min(old.until, e.leaf);  // replaced
                list.push_back({kinds, d->until, e.leaf, never, proxy});
            } else if (const auto* x = std::get_if<delegation_revoked>(&b.payload)) {
                // A member ends their delegation; a coordinator ends a proxy (only a proxy).
                const bool proxy = x->grantor && *x->grantor != b.actor();
                if (proxy && !coordinator)
                    return fail(where + ": a proxy ended by someone not a coordinator");
                for (auto& old : delegations_[{proxy ? *x->grantor : b.actor(), x->delegate}])
                    if (!proxy || old.proxy) old.until = std::min(old.until, e.leaf);
            } else {
                return fail(where +
                            ": not a founding, admission, key added or revoked, invitation "
                            "issued or redeemed, or delegation granted or revoked");
            }
        }
        return true;
    }

    // A new key redeems an invitation listed at an earlier leaf: with its code, before its
    // expiry (the log's time), once, for its member. It binds the key from its leaf on; a join
    // as a coordinator makes the member one; replacing keys ends every other key of the member.
    bool redeemed(const checked& e, const invitation_redeemed& r, const std::string& where) {
        auto it = invitations_.find(r.invitation);
        if (it == invitations_.end())
            return fail(where + ": redeems an invitation the certificate does not show issued");
        const invitation_issued& inv = it->second;
        if (invitation_code_digest(r.code) != inv.code_digest)
            return fail(where + ": the code is not the invitation's");
        if (!(e.logged < inv.until)) return fail(where + ": redeemed after the invitation expired");
        if (e.body.author != inv.member)
            return fail(where + ": redeemed for another member than the invitation's");
        if (!redeemed_.insert(r.invitation).second)
            return fail(where + ": an invitation redeemed twice");
        if (keys_of_.contains(e.signer)) return fail(where + ": redeemed by a key bound before");
        if (inv.purpose == invitation_purpose::join && inv.member_role == role::coordinator)
            coordinators_.insert(inv.member);
        if (inv.purpose == invitation_purpose::replace_keys)
            for (auto& [k, b] : keys_of_)
                if (b.member == inv.member) b.until = std::min(b.until, e.leaf);
        keys_of_[e.signer] = {inv.member, e.leaf, never};
        return true;
    }

    void claim(std::size_t i) {
        const std::string where = "claim " + std::to_string(i);
        const auto& pair = c_.claims[i];
        auto cl = proved(pair.claim, where);
        if (!cl) return;
        auto co = proved(pair.confirmation, where + "'s confirmation");
        if (!co) return;
        const auto* h = std::get_if<hours_claimed>(&cl->body.payload);
        if (h == nullptr) return (void)fail(where + ": not an hours claim");
        if (cl->body.actor() != c_.member)
            return (void)fail(where + ": claimed by member " +
                              std::to_string(cl->body.actor().value) + ", not the certificate's");
        if (signer_of(*cl, where) == nullptr) return;
        const auto* x = std::get_if<hours_confirmed>(&co->body.payload);
        if (x == nullptr || x->claim != cl->body.id)
            return (void)fail(where + "'s confirmation does not confirm that claim");
        if (co->leaf <= cl->leaf)
            return (void)fail(where + "'s confirmation comes before the claim");
        if (co->logged < c_.from || co->logged >= c_.to)
            return (void)fail(where + "'s confirmation was logged at " +
                              std::to_string(co->logged.value) +
                              " ms, outside the certificate's period");
        // Only the receiver (or their delegate) confirms: never a coordinator in their own name.
        if (signer_of(*co, where + "'s confirmation (the countersignature)") == nullptr) return;
        const member_id confirmer = co->body.actor();
        if (confirmer != h->receiver)
            return (void)fail(where + "'s confirmation is not by the receiver or their delegate");
        if (confirmer == cl->body.actor() || co->body.author == cl->body.actor())
            return (void)fail(where + " is confirmed by its own claimant");
        if (pair.note && !revealed(i, where, *h, *pair.note)) return;
        report_.total = report_.total + h->amount;
        ++report_.claims;
    }

    // A note the member revealed beside claim `i`: the claim must commit to a note, and the salt
    // and text must give that commitment (personal.h: commit_text). Anything else is forged.
    bool revealed(std::size_t i, const std::string& where, const hours_claimed& h,
                  const personal_text& note) {
        if (!h.note_digest)
            return fail(where + ": a note is revealed beside it, but the claim commits to no note");
        if (note.text.empty() || !text_within(note.text, text_chars_max))
            return fail(where + ": its revealed note is not 1 to " +
                        std::to_string(text_chars_max) + " characters of UTF-8");
        if (commit_text(note.salt, note.text) != *h.note_digest)
            return fail(where +
                        ": its revealed note (salt and text) does not match the note commitment "
                        "the claim signs: a forged note");
        report_.notes.push_back({i, note.text});
        return true;
    }

    const hour_certificate& c_;
    const std::set<public_key>& trusted_;
    key_cache keys_;
    certificate_report report_;
    struct pending_binding {
        checked e;
        std::string where;
    };
    std::vector<pending_binding> pending_;
    std::map<public_key, binding> keys_of_;
    std::set<member_id> coordinators_;  // by the founding, their admission or invitation
    std::map<event_id, invitation_issued> invitations_;  // listed, by id
    std::set<event_id> redeemed_;
    std::map<std::pair<member_id, member_id>, std::vector<delegation>> delegations_;
    std::set<std::uint64_t> leaves_used_;
    std::set<event_id> ids_used_;
};

}  // namespace

certificate_report verify_certificate(const hour_certificate& c,
                                      const std::set<public_key>& trusted_node_keys) {
    return checker(c, trusted_node_keys).run();
}

}  // namespace uurwerk
