#include "api/node/certificates.h"

#include <map>
#include <set>

#include "api/json/json.h"
#include "api/json/json_read.h"
#include "projections/audit.h"
#include "projections/query.h"

namespace uurwerk {
namespace {

// Format 3 may carry revealed notes beside claims; format 2 (the same without them) is still
// read and verified, format 1 is refused (ledger/FORMAT.md, section 5).
constexpr std::string_view certificate_format = "uurwerk-hour-certificate/3";
constexpr std::string_view certificate_format_without_notes = "uurwerk-hour-certificate/2";

struct assembler {
    node& n;
    community_id c;
    std::uint64_t tree_size = 0;
    std::map<std::uint64_t, proved_event> bindings;  // by leaf: each once, in order
    std::set<public_key> bound_keys;

    struct logged {
        offset at;
        time_ms appended_at;
        bytes stored;
        uurwerk::envelope env;
        event_body body;
    };

    result<logged> read_at(offset at) {
        auto rec = n.record_at(c, at);
        if (!rec) return rec.err();
        auto env = decode_envelope(rec->payload);
        if (!env)
            return make_error(errc::io_error,
                              "the record at " + std::to_string(at.value) + " does not decode");
        auto body = decode_body(env->body);
        if (!body)
            return make_error(errc::io_error,
                              "the event at " + std::to_string(at.value) + " does not decode");
        return logged{at, rec->appended_at, std::move(rec->payload), std::move(*env),
                      std::move(*body)};
    }

    result<std::optional<logged>> read_id(const event_id& id) {
        auto seen = n.folder(c).seen(scoped_id{c, id});
        if (!seen) return std::optional<logged>();
        auto e = read_at(seen->at);
        if (!e) return e.err();
        return std::optional<logged>(std::move(*e));
    }

    // The event and its verdict leaf proved against the trees, or nothing when the tree at
    // tree_size lacks it or the ledger did not accept it (no certificate leans on that).
    result<std::optional<proved_event>> prove(const logged& e) {
        auto leaf = find_leaf(n.projections(c), c, e.at);
        if (!leaf) return leaf.err();
        if (!*leaf || (*leaf)->index >= tree_size || (*leaf)->verdict != reject_reason::none)
            return std::optional<proved_event>();
        auto path = read_inclusion_proof(n.projections(c), c, (*leaf)->index, tree_size);
        if (!path) return path.err();
        auto verdicts =
            read_verdict_inclusion_proof(n.projections(c), c, (*leaf)->index, tree_size);
        if (!verdicts) return verdicts.err();
        return std::optional<proved_event>(
            proved_event{(*leaf)->index, e.stored, *path, e.at, e.appended_at, *verdicts});
    }

    result<std::vector<history_entry>> history_of(member_id m) {
        std::vector<history_entry> all;
        offset from{0};
        for (;;) {
            auto page = read_history(n.projections(c), c, m, from, 1000);
            if (!page) return page.err();
            all.insert(all.end(), page->begin(), page->end());
            if (page->size() < 1000) return all;
            from = offset{page->back().at.value + 1};
        }
    }

    static bool binds(const logged& e, const public_key& key) {
        if (std::holds_alternative<community_founded>(e.body.payload)) return e.env.signer == key;
        if (const auto* a = std::get_if<member_admitted>(&e.body.payload)) return a->key == key;
        if (const auto* k = std::get_if<key_added>(&e.body.payload)) return k->key == key;
        // A redemption binds the key that signs it (RULES.md, "Invitations").
        if (std::holds_alternative<invitation_redeemed>(e.body.payload)) return e.env.signer == key;
        return false;
    }

    result<void> add_binding(const logged& e) {
        auto p = prove(e);
        if (!p) return p.err();
        if (!*p)
            return make_error(errc::not_yet_checkpointed,
                              "an event the certificate needs is after the latest checkpoint");
        bindings.emplace((*p)->leaf_index, std::move(**p));
        return ok_value;
    }

    // The chain of events that binds `key` to its member, back to the founding event.
    result<void> bind(const public_key& key) {
        if (!bound_keys.insert(key).second) return ok_value;
        auto registered = query::key(n.folder(c), c, key);
        // Every key bound here signed an event the ledger accepted, so the fold registered it,
        // and the fold never forgets a key (a revoked one stays, marked).
        UURWERK_ASSERT(registered.ok(), key.hex());
        const member_id owner = registered->owner;
        std::optional<logged> found;
        // Usually in its owner's history (founding, admission, a key they added themselves)...
        auto lines = history_of(owner);
        if (!lines) return lines.err();
        for (const auto& h : *lines) {
            if (h.reason != reject_reason::none ||
                (h.kind != event_kind::community_founded && h.kind != event_kind::member_admitted &&
                 h.kind != event_kind::key_added && h.kind != event_kind::invitation_redeemed))
                continue;
            auto e = read_at(h.at);
            if (!e) return e.err();
            if (binds(*e, key)) {
                found = std::move(*e);
                break;
            }
        }
        // ...else a coordinator added it: look through the community's leaves.
        for (std::uint64_t from = 0; !found && from < tree_size; from += 1000) {
            auto leaves = read_leaves(n.projections(c), c, from, 1000);
            if (!leaves) return leaves.err();
            for (const auto& l : *leaves) {
                if (l.verdict != reject_reason::none) continue;
                auto e = read_at(l.at);
                if (!e) return e.err();
                if (binds(*e, key)) {
                    found = std::move(*e);
                    break;
                }
            }
        }
        if (!found)
            return make_error(errc::not_yet_checkpointed,
                              "the event that registered key " + key.hex() +
                                  " is not under the latest checkpoint");
        if (std::holds_alternative<invitation_redeemed>(found->body.payload)) {
            auto issued = add_redemption(*found);
            if (!issued) return issued.err();
            if (auto r = add_revocation(owner, key); !r) return r;
            if (issued->purpose != invitation_purpose::join)
                if (auto r = add_coordinators_admission(owner); !r) return r;
            return ok_value;
        }
        if (auto a = add_binding(*found); !a) return a;
        if (auto r = add_revocation(owner, key); !r) return r;
        if (std::holds_alternative<community_founded>(found->body.payload)) return ok_value;
        if (std::holds_alternative<key_added>(found->body.payload))
            if (auto r = add_coordinators_admission(owner); !r) return r;
        return bind(found->env.signer);
    }

    // A redemption and the invitation it redeems (logged before it), and the chain of the key
    // that issued it; the invitation.
    result<invitation_issued> add_redemption(const logged& redeem) {
        const auto& r = std::get<invitation_redeemed>(redeem.body.payload);
        auto issued = read_id(r.invitation);
        if (!issued) return issued.err();
        // The fold accepted the redemption, so the invitation was issued and accepted before.
        UURWERK_ASSERT(issued->has_value(), r.invitation.hex());
        const auto inv = std::get<invitation_issued>((*issued)->body.payload);
        if (auto a = add_binding(redeem); !a) return a.err();
        if (auto a = add_binding(**issued); !a) return a.err();
        if (auto b = bind((*issued)->env.signer); !b) return b.err();
        return inv;
    }

    // A member's role is their admission's: a coordinator admitted without a key, given one
    // later, is a coordinator only to a verifier that sees that admission.
    result<void> add_coordinators_admission(member_id m) {
        auto lines = history_of(m);
        if (!lines) return lines.err();
        for (const auto& h : *lines) {
            if (h.kind == event_kind::invitation_redeemed && h.reason == reject_reason::none) {
                // Or their join invitation's, for a member who joined by one.
                auto e = read_at(h.at);
                if (!e) return e.err();
                auto issued = read_id(std::get<invitation_redeemed>(e->body.payload).invitation);
                if (!issued) return issued.err();
                UURWERK_ASSERT(issued->has_value());
                const auto& inv = std::get<invitation_issued>((*issued)->body.payload);
                if (inv.purpose != invitation_purpose::join) continue;
                if (inv.member_role != role::coordinator) return ok_value;
                if (!bound_keys.insert(e->env.signer).second) return ok_value;
                auto added = add_redemption(*e);
                if (!added) return added.err();
                return add_revocation(m, e->env.signer);
            }
            if (h.kind != event_kind::member_admitted || h.reason != reject_reason::none) continue;
            auto e = read_at(h.at);
            if (!e) return e.err();
            const auto& a = std::get<member_admitted>(e->body.payload);
            if (a.member != m) continue;
            if (a.member_role != role::coordinator) return ok_value;
            if (auto b = add_binding(*e); !b) return b;
            return bind(e->env.signer);
        }
        return ok_value;
    }

    // The accepted revocation of `key` in its owner's history under the checkpoint, if any: a
    // certificate shows what it knows (the verifier binds nothing to the key from then on).
    result<void> add_revocation(member_id owner, const public_key& key) {
        auto lines = history_of(owner);
        if (!lines) return lines.err();
        for (const auto& h : *lines) {
            if (h.kind == event_kind::invitation_redeemed && h.reason == reject_reason::none) {
                // New keys that replaced every other of the member's, this one included.
                auto e = read_at(h.at);
                if (!e) return e.err();
                if (e->env.signer == key) continue;
                auto issued = read_id(std::get<invitation_redeemed>(e->body.payload).invitation);
                if (!issued) return issued.err();
                UURWERK_ASSERT(issued->has_value());
                if (std::get<invitation_issued>((*issued)->body.payload).purpose !=
                    invitation_purpose::replace_keys)
                    continue;
                auto p = prove(*e);
                if (!p) return p.err();
                if (!*p) continue;  // after the checkpoint: the certificate shows what it knows
                if (!bound_keys.insert(e->env.signer).second) continue;
                if (auto added = add_redemption(*e); !added) return added.err();
                if (auto r = add_revocation(owner, e->env.signer); !r) return r;
                continue;
            }
            if (h.kind != event_kind::key_revoked || h.reason != reject_reason::none) continue;
            auto e = read_at(h.at);
            if (!e) return e.err();
            if (std::get<key_revoked>(e->body.payload).key != key) continue;
            auto p = prove(*e);
            if (!p) return p.err();
            if (*p) bindings.emplace((*p)->leaf_index, std::move(**p));
            auto signer = bind(e->env.signer);
            if (!signer) return signer;
        }
        return ok_value;
    }

    // The latest delegation from `grantor` to `delegate` for `kind` logged before `before`: the
    // grantor's own, or a proxy a coordinator recorded for them (they have no key).
    result<void> bind_delegation(member_id grantor, member_id delegate, event_kind kind,
                                 offset before) {
        auto lines = history_of(grantor);
        if (!lines) return lines.err();
        std::optional<logged> best;
        for (const auto& h : *lines) {
            if (h.kind != event_kind::delegation_granted || h.reason != reject_reason::none ||
                h.at >= before)
                continue;
            auto e = read_at(h.at);
            if (!e) return e.err();
            const auto& d = std::get<delegation_granted>(e->body.payload);
            const member_id of =
                d.grantor && *d.grantor != e->body.actor() ? *d.grantor : e->body.actor();
            if (d.delegate != delegate || of != grantor) continue;
            if (std::find(d.kinds.begin(), d.kinds.end(), kind) == d.kinds.end()) continue;
            best = std::move(*e);
        }
        if (!best) return ok_value;  // the verifier will say what lacks
        if (auto a = add_binding(*best); !a) return a;
        return bind(best->env.signer);
    }
};

}  // namespace

result<hour_certificate> build_certificate(node& n, community_id c, member_id m, time_ms from,
                                           time_ms to, note_disclosure notes) {
    auto known = query::member_exists(n.folder(c), c, m);
    if (!known) return known.err();
    auto cp = read_latest_checkpoint(n.projections(c), c);
    if (!cp) return cp.err();
    if (!*cp)
        return make_error(errc::no_checkpoint, "community " + std::to_string(c.value) +
                                                   " has no checkpoint yet to prove hours against");
    assembler a{n, c, (*cp)->tree_size, {}, {}};
    hour_certificate out;
    out.community = c;
    out.member = m;
    out.from = from;
    out.to = to;
    out.tree_size = (*cp)->tree_size;
    auto cp_record = n.record_at(c, (*cp)->at);
    if (!cp_record) return cp_record.err();
    out.checkpoint_envelope = std::move(cp_record->payload);

    auto lines = a.history_of(m);
    if (!lines) return lines.err();
    for (const auto& h : *lines) {
        // The member's claims confirmed: the lines that credited them minutes.
        if (h.kind != event_kind::hours_confirmed || h.reason != reject_reason::none ||
            h.balance_delta.value <= 0)
            continue;
        auto confirmation = a.read_at(h.at);
        if (!confirmation) return confirmation.err();
        if (confirmation->appended_at < from || confirmation->appended_at >= to) continue;
        const auto& claim_id = std::get<hours_confirmed>(confirmation->body.payload).claim;
        auto claim = a.read_id(claim_id);
        if (!claim) return claim.err();
        if (!*claim || (*claim)->body.actor() != m) continue;
        auto now = query::claim(n.folder(c), c, claim_id);
        const bool still_confirmed = now && now->status == claim_status::confirmed;
        if (!still_confirmed) continue;  // reversed since
        auto pc = a.prove(**claim);
        if (!pc) return pc.err();
        auto pf = a.prove(*confirmation);
        if (!pf) return pf.err();
        if (!*pc || !*pf) continue;  // after the latest checkpoint: the next certificate has it
        for (const auto* e : {&**claim, &*confirmation}) {
            if (auto b = a.bind(e->env.signer); !b) return b.err();
            if (e->body.author != e->body.actor())
                if (auto d =
                        a.bind_delegation(e->body.actor(), e->body.author, e->body.kind(), e->at);
                    !d)
                    return d.err();
        }
        const auto& claimed = std::get<hours_claimed>((*claim)->body.payload);
        std::optional<personal_text> note;
        if (notes == note_disclosure::revealed && claimed.note_digest) {
            auto kept = n.personal().get(c, claim_id, *claimed.note_digest);
            if (!kept) return kept.err();
            if (!*kept)
                return make_error(errc::note_unavailable,
                                  "the note of claim " + claim_id.hex() +
                                      " is not in this node's personal-data store (erased, or "
                                      "not yet replicated here): it cannot be revealed; ask for "
                                      "the certificate without revealing notes");
            note = std::move(**kept);
        }
        out.stated_total = out.stated_total + claimed.amount;
        out.claims.push_back({std::move(**pc), std::move(**pf), std::move(note)});
    }
    for (auto& [leaf, p] : a.bindings) out.bindings.push_back(std::move(p));
    return out;
}

namespace {

void proved_json(json_writer& w, const proved_event& p) {
    w.begin_object();
    w.key("leaf_index").decimal(p.leaf_index);
    w.key("envelope").string(to_base64(p.envelope));
    w.key("audit_path").begin_array();
    for (const auto& d : p.audit_path) w.string(d.hex());
    w.end_array();
    w.key("log_offset").decimal(p.at.value);
    w.key("log_time_ms").decimal_signed(p.appended_at.value);
    w.key("verdict_path").begin_array();
    for (const auto& d : p.verdict_path) w.string(d.hex());
    w.end_array();
    w.end_object();
}

error bad(const std::string& what) {
    return make_error(errc::bad_certificate, what);
}

result<std::uint64_t> decimal_field(const json_value& v, const std::string& key) {
    auto* f = v.at(key);
    auto s = f ? f->as_string() : std::nullopt;
    auto n = s ? parse_decimal(*s) : std::nullopt;
    if (!n) return bad("'" + key + "' must be a decimal string");
    return *n;
}

result<bytes> base64_field(const json_value& v, const std::string& key) {
    auto* f = v.at(key);
    auto s = f ? f->as_string() : std::nullopt;
    if (!s) return bad("'" + key + "' must be a base64 string");
    auto b = from_base64(*s);
    if (!b) return bad("'" + key + "' is not valid base64");
    return *b;
}

result<std::vector<digest>> hashes_field(const json_value& v, const std::string& key) {
    auto* path = v.at(key);
    auto* list = path ? path->as_array() : nullptr;
    if (list == nullptr) return bad("'" + key + "' must be an array");
    std::vector<digest> out;
    for (const auto& h : *list) {
        auto d = fixed_from_hex<digest_bytes>(h.as_string().value_or(""), "a hash");
        if (!d) return bad("'" + key + "' holds something that is not a 64-hex hash");
        out.push_back(digest{*d});
    }
    return out;
}

result<std::int64_t> signed_decimal_field(const json_value& v, const std::string& key) {
    auto* f = v.at(key);
    auto s = f ? f->as_string() : std::nullopt;
    if (!s || s->empty()) return bad("'" + key + "' must be a decimal string");
    const bool negative = (*s)[0] == '-';
    auto n = parse_decimal(negative ? s->substr(1) : *s);
    if (!n || *n > static_cast<std::uint64_t>(INT64_MAX))
        return bad("'" + key + "' must be a decimal string");
    return negative ? -static_cast<std::int64_t>(*n) : static_cast<std::int64_t>(*n);
}

result<proved_event> proved_from(const json_value* v, const std::string& where) {
    if (v == nullptr) return bad(where + " is missing");
    proved_event p;
    auto leaf = decimal_field(*v, "leaf_index");
    if (!leaf) return bad(where + ": " + leaf.err().message);
    p.leaf_index = *leaf;
    auto env = base64_field(*v, "envelope");
    if (!env) return bad(where + ": " + env.err().message);
    p.envelope = std::move(*env);
    auto path = hashes_field(*v, "audit_path");
    if (!path) return bad(where + ": " + path.err().message);
    p.audit_path = std::move(*path);
    auto at = decimal_field(*v, "log_offset");
    if (!at) return bad(where + ": " + at.err().message);
    p.at = offset{*at};
    auto time = signed_decimal_field(*v, "log_time_ms");
    if (!time) return bad(where + ": " + time.err().message);
    p.appended_at = time_ms{*time};
    auto verdicts = hashes_field(*v, "verdict_path");
    if (!verdicts) return bad(where + ": " + verdicts.err().message);
    p.verdict_path = std::move(*verdicts);
    return p;
}

// A revealed note: {"salt": 32 hex, "text": a string}. Its match with the claim is the
// verifier's to check.
result<personal_text> note_from(const json_value& v, const std::string& where) {
    auto* salt = v.at("salt");
    auto* text = v.at("text");
    auto s = salt ? salt->as_string() : std::nullopt;
    auto t =
        text && std::holds_alternative<std::string>(text->v) ? text->as_string() : std::nullopt;
    if (!s || !t) return bad(where + " must be {\"salt\": 32 hex digits, \"text\": a string}");
    auto b = fixed_from_hex<personal_salt_bytes>(*s, "a salt");
    if (!b) return bad(where + ".salt must be 32 hex digits (16 bytes)");
    personal_text out;
    out.salt.b = *b;
    out.text = std::move(*t);
    return out;
}

}  // namespace

std::string certificate_to_json(const hour_certificate& c) {
    json_writer w;
    w.begin_object();
    w.key("format").string(certificate_format);
    w.key("community").decimal(c.community.value);
    w.key("member").decimal(c.member.value);
    w.key("from_ms").decimal_signed(c.from.value);
    w.key("to_ms").decimal_signed(c.to.value);
    w.key("tree_size").decimal(c.tree_size);
    w.key("checkpoint").string(to_base64(c.checkpoint_envelope));
    w.key("total_minutes").decimal_signed(c.stated_total.value);
    w.key("claims").begin_array();
    for (const auto& cl : c.claims) {
        w.begin_object();
        w.key("claim");
        proved_json(w, cl.claim);
        w.key("confirmation");
        proved_json(w, cl.confirmation);
        if (cl.note) {
            w.key("note").begin_object();
            w.key("salt").string(to_hex(cl.note->salt.b));
            w.key("text").string(cl.note->text);
            w.end_object();
        }
        w.end_object();
    }
    w.end_array();
    w.key("bindings").begin_array();
    for (const auto& b : c.bindings) proved_json(w, b);
    w.end_array();
    w.end_object();
    return w.take();
}

result<hour_certificate> certificate_from_json(std::string_view text) {
    auto doc = json_doc::parse(text);
    if (!doc) return bad("not JSON: " + doc.err().message);
    const auto& root = doc->root();
    const auto format = root.at("format") ? root.at("format")->as_string() : std::nullopt;
    if (format == "uurwerk-hour-certificate/1")
        return bad(
            "a certificate of the old format uurwerk-hour-certificate/1 is refused: it does "
            "not prove that the ledger accepted its events; ask the node for a new one (" +
            std::string(certificate_format) + ")");
    if (format != certificate_format && format != certificate_format_without_notes)
        return bad("'format' must be \"" + std::string(certificate_format) + "\" (or \"" +
                   std::string(certificate_format_without_notes) + "\")");
    const bool notes_allowed = format == certificate_format;
    hour_certificate c;
    auto community = decimal_field(root, "community");
    auto member = decimal_field(root, "member");
    auto tree = decimal_field(root, "tree_size");
    if (!community) return community.err();
    if (!member) return member.err();
    if (!tree) return tree.err();
    c.community = community_id{*community};
    c.member = member_id{*member};
    c.tree_size = *tree;
    auto from = signed_decimal_field(root, "from_ms");
    auto to = signed_decimal_field(root, "to_ms");
    auto total = signed_decimal_field(root, "total_minutes");
    if (!from) return from.err();
    if (!to) return to.err();
    if (!total) return total.err();
    c.from = time_ms{*from};
    c.to = time_ms{*to};
    c.stated_total = minutes{*total};
    auto cp = base64_field(root, "checkpoint");
    if (!cp) return cp.err();
    c.checkpoint_envelope = std::move(*cp);
    auto* claims = root.at("claims") ? root.at("claims")->as_array() : nullptr;
    auto* bindings = root.at("bindings") ? root.at("bindings")->as_array() : nullptr;
    if (claims == nullptr) return bad("'claims' must be an array");
    if (bindings == nullptr) return bad("'bindings' must be an array");
    for (std::size_t i = 0; i < claims->size(); ++i) {
        const std::string where = "claims[" + std::to_string(i) + "]";
        auto claim = proved_from((*claims)[i].at("claim"), where + ".claim");
        if (!claim) return claim.err();
        auto confirmation = proved_from((*claims)[i].at("confirmation"), where + ".confirmation");
        if (!confirmation) return confirmation.err();
        std::optional<personal_text> note;
        if (const auto* n = (*claims)[i].at("note")) {
            if (!notes_allowed)
                return bad(where + ": a revealed note in a certificate of format " +
                           std::string(certificate_format_without_notes) +
                           ", which has none (notes came with " + std::string(certificate_format) +
                           ")");
            auto read = note_from(*n, where + ".note");
            if (!read) return read.err();
            note = std::move(*read);
        }
        c.claims.push_back({std::move(*claim), std::move(*confirmation), std::move(note)});
    }
    for (std::size_t i = 0; i < bindings->size(); ++i) {
        auto b = proved_from(&(*bindings)[i], "bindings[" + std::to_string(i) + "]");
        if (!b) return b.err();
        c.bindings.push_back(std::move(*b));
    }
    return c;
}

}  // namespace uurwerk
