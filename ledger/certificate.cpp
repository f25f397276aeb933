#include "ledger/certificate.h"

#include <map>

namespace uurwerk {
namespace {

struct checked {
    event_body body;
    public_key signer;
};

struct binding {
    member_id member;
    bool coordinator = false;
};

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
        report_.tree_size = cp->tree_size;
        report_.root = cp->root;
        report_.node = env->signer;
        return true;
    }

    // Proves, verifies and decodes one event.
    std::optional<checked> proved(const proved_event& p, const std::string& where) {
        if (!merkle_verify_inclusion(merkle_leaf_hash(p.envelope), p.leaf_index, c_.tree_size,
                                     p.audit_path, report_.root)) {
            fail(where + " (leaf " + std::to_string(p.leaf_index) +
                 "): its inclusion proof does not lead to the checkpoint's root");
            return std::nullopt;
        }
        auto env = decode_envelope(p.envelope);
        if (!env) {
            fail(where + ": the envelope does not decode");
            return std::nullopt;
        }
        if (!keys_.verify_envelope(*env)) {
            fail(where + " (leaf " + std::to_string(p.leaf_index) +
                 "): the signature does not verify");
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
            fail(where + " (leaf " + std::to_string(p.leaf_index) +
                 "): the certificate lists that leaf twice");
            return std::nullopt;
        }
        if (!ids_used_.insert(body->id).second) {
            fail(where + " (leaf " + std::to_string(p.leaf_index) + "): the event " +
                 body->id.hex() + " is listed twice in the certificate");
            return std::nullopt;
        }
        return checked{std::move(*body), env->signer};
    }

    void bound(const proved_event& p, const std::string& where) {
        auto e = proved(p, where);
        if (!e) return;
        pending_.push_back({p.leaf_index, std::move(*e), where});
    }

    // Accepts bindings in leaf order, each signed by a key already bound to a coordinator (or
    // the grantor, for a delegation), starting from the founding event at leaf 0.
    bool chain() {
        std::sort(pending_.begin(), pending_.end(),
                  [](const auto& a, const auto& b) { return a.leaf < b.leaf; });
        for (const auto& [leaf, e, where] : pending_) {
            const auto& b = e.body;
            if (const auto* f = std::get_if<community_founded>(&b.payload)) {
                (void)f;
                if (leaf != 0) return fail(where + ": a founding event that is not leaf 0");
                keys_of_[e.signer] = {b.author, true};
                continue;
            }
            auto signer = keys_of_.find(e.signer);
            if (signer == keys_of_.end() || signer->second.member != b.author)
                return fail(where + " (leaf " + std::to_string(leaf) +
                            "): signed by a key not bound to its author");
            if (const auto* a = std::get_if<member_admitted>(&b.payload)) {
                if (!signer->second.coordinator)
                    return fail(where + ": an admission not signed by a coordinator");
                keys_of_[a->key] = {a->member, a->member_role == role::coordinator};
            } else if (const auto* k = std::get_if<key_added>(&b.payload)) {
                if (!signer->second.coordinator && b.actor() != k->member)
                    return fail(where + ": a key added by someone else than its member");
                bool coord = false;
                for (const auto& [key, who] : keys_of_)
                    if (who.member == k->member) coord = coord || who.coordinator;
                keys_of_[k->key] = {k->member, coord};
            } else if (const auto* d = std::get_if<delegation_granted>(&b.payload)) {
                std::uint32_t kinds = 0;
                for (auto kind : d->kinds) kinds |= 1u << static_cast<unsigned>(kind);
                delegations_[{b.actor(), d->delegate}] |= kinds;
            } else {
                return fail(where + ": not a founding, admission, added key or delegation");
            }
        }
        return true;
    }

    // The member a key signs for, if bound.
    const binding* key_of(const public_key& k) const {
        auto it = keys_of_.find(k);
        return it == keys_of_.end() ? nullptr : &it->second;
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
        const auto* ks = key_of(cl->signer);
        if (ks == nullptr || ks->member != cl->body.author)
            return (void)fail(where + ": signed by a key not bound to member " +
                              std::to_string(cl->body.author.value));
        if (cl->body.author != cl->body.actor() && !ks->coordinator &&
            !(delegated(cl->body.actor(), cl->body.author) &
              (1u << static_cast<unsigned>(event_kind::hours_claimed))))
            return (void)fail(where + ": made for the member by someone without a delegation");
        const auto* x = std::get_if<hours_confirmed>(&co->body.payload);
        if (x == nullptr || x->claim != cl->body.id)
            return (void)fail(where + "'s confirmation does not confirm that claim");
        if (pair.confirmation.leaf_index <= pair.claim.leaf_index)
            return (void)fail(where + "'s confirmation comes before the claim");
        const auto* kc = key_of(co->signer);
        if (kc == nullptr || kc->member != co->body.author)
            return (void)fail(where +
                              "'s confirmation (the countersignature) is signed by a key "
                              "not bound to member " +
                              std::to_string(co->body.author.value));
        const member_id confirmer = co->body.actor();
        const bool by_receiver = confirmer == h->receiver;
        const bool delegate_ok = co->body.author == confirmer ||
                                 (delegated(confirmer, co->body.author) &
                                  (1u << static_cast<unsigned>(event_kind::hours_confirmed)));
        if (!kc->coordinator && !(by_receiver && delegate_ok))
            return (void)fail(where +
                              "'s confirmation is not by the receiver, their delegate or "
                              "a coordinator");
        if (confirmer == cl->body.actor() || co->body.author == cl->body.actor())
            return (void)fail(where + " is confirmed by its own claimant");
        report_.total = report_.total + h->amount;
        ++report_.claims;
    }

    std::uint32_t delegated(member_id grantor, member_id delegate) const {
        auto it = delegations_.find({grantor, delegate});
        return it == delegations_.end() ? 0 : it->second;
    }

    const hour_certificate& c_;
    const std::set<public_key>& trusted_;
    key_cache keys_;
    certificate_report report_;
    struct pending_binding {
        std::uint64_t leaf;
        checked e;
        std::string where;
    };
    std::vector<pending_binding> pending_;
    std::map<public_key, binding> keys_of_;
    std::map<std::pair<member_id, member_id>, std::uint32_t> delegations_;
    std::set<std::uint64_t> leaves_used_;
    std::set<event_id> ids_used_;
};

}  // namespace

certificate_report verify_certificate(const hour_certificate& c,
                                      const std::set<public_key>& trusted_node_keys) {
    return checker(c, trusted_node_keys).run();
}

}  // namespace uurwerk
