#include "api/http/audit_routes.h"

#include "api/json/json.h"
#include "api/json/json_read.h"
#include "api/node/certificates.h"
#include "ledger/core/audit.h"

namespace uurwerk::audit_routes {

static constexpr std::uint64_t leaves_page_max = 10'000;

static void digests_json(json_writer& w, const std::vector<digest>& ds) {
    w.begin_array();
    for (const auto& d : ds) w.string(d.hex());
    w.end_array();
}

// A checkpoint with its signed event, so that a client can check it without trusting us.
static result<std::string> checkpoint_json(node& n, community_id c, const checkpoint_record& r) {
    auto rec = n.record_at(c, r.at);
    if (!rec) return rec.err();
    auto env = decode_envelope(rec->payload);
    if (!env)
        return make_error(errc::io_error, "the checkpoint at offset " + std::to_string(r.at.value) +
                                              " does not decode");
    json_writer w;
    w.begin_object();
    w.key("community").decimal(c.value);
    w.key("tree_size").decimal(r.tree_size);
    w.key("root").string(r.root.hex());
    w.key("verdict_root").string(r.verdict_root.hex());
    w.key("signed_at_ms").decimal_signed(r.signed_at.value);
    w.key("id").string(r.id.hex());
    w.key("offset").decimal(r.at.value);
    w.key("leaf_index").decimal(r.leaf);
    w.key("node_key").string(r.signer.hex());
    w.key("signature").string(to_hex(env->sig.b));
    w.key("body_base64").string(to_base64(env->body));
    w.end_object();
    return w.take();
}

static http_response answer(result<std::string> json) {
    if (!json) return error_answer(json.err());
    return json_answer(200, std::move(*json));
}

http_response node_key(const checkpointer* cp) {
    if (cp == nullptr) return error_answer(errc::no_node_key, "this node has no node key");
    json_writer w;
    w.begin_object().key("node_key").string(cp->node_key().hex()).end_object();
    return json_answer(200, w.take());
}

http_response tree(node& n, community_id c) {
    auto size = read_tree_size(n.projections(c), c);
    if (!size) return error_answer(size.err());
    auto root = read_root(n.projections(c), c, *size);
    if (!root) return error_answer(root.err());
    json_writer w;
    w.begin_object();
    w.key("community").decimal(c.value);
    w.key("tree_size").decimal(*size);
    w.key("root").string(root->hex());
    w.end_object();
    return json_answer(200, w.take());
}

http_response latest_checkpoint(node& n, community_id c) {
    auto latest = read_latest_checkpoint(n.projections(c), c);
    if (!latest) return error_answer(latest.err());
    if (!*latest)
        return error_answer(errc::no_checkpoint, community_text(c) + " has no checkpoint yet");
    return answer(checkpoint_json(n, c, **latest));
}

http_response checkpoints(node& n, community_id c, const target_parts& t) {
    auto limit = limit_param(t, page_default);
    if (!limit) return error_answer(limit.err());
    auto from = decimal_query(t, "from_size");
    if (!from) return error_answer(from.err());
    auto page = read_checkpoints_from(n.projections(c), c, from->value_or(0), *limit);
    if (!page) return error_answer(page.err());
    json_writer w;
    w.begin_object().key("checkpoints").begin_array();
    std::size_t shown = 0, bytes = 0;
    for (const auto& r : *page) {
        auto j = checkpoint_json(n, c, r);
        if (!j) return error_answer(j.err());
        // At most page_bytes_max of rows: the next page is from_size = the last tree_size + 1.
        if (shown > 0 && bytes + j->size() > page_bytes_max) break;
        bytes += j->size();
        ++shown;
        w.raw(*j);
    }
    w.end_array().end_object();
    return json_answer(200, w.take());
}

http_response sign_checkpoint(checkpointer* cp, community_id c) {
    if (cp == nullptr)
        return error_answer(errc::no_node_key, "this node does not sign checkpoints");
    auto r = cp->sign_now(c);
    if (!r) return error_answer(r.err());
    json_writer w;
    w.begin_object();
    w.key("fresh").boolean(r->fresh);
    w.key("tree_size").decimal(r->record.tree_size);
    w.key("root").string(r->record.root.hex());
    w.key("offset").decimal(r->record.at.value);
    w.key("id").string(r->record.id.hex());
    w.end_object();
    return json_answer(r->fresh ? 201 : 200, w.take());
}

// The proofs of leaf `leaf` of `c` (its record `rec`): the event's inclusion in the event tree
// and its verdict leaf's in the verdict tree, against the latest checkpoint or ?tree_size=N.
static http_response leaf_proof(node& n, community_id c, const leaf_record& leaf,
                                const log_record& rec, const target_parts& t) {
    auto env = decode_envelope(rec.payload);
    if (!env) return error_answer(errc::io_error, "the event's record does not decode");
    auto size = decimal_query(t, "tree_size");
    if (!size) return error_answer(size.err());
    std::optional<checkpoint_record> against;
    std::uint64_t tree_size = 0;
    if (*size) {
        tree_size = **size;
    } else {
        auto latest = read_latest_checkpoint(n.projections(c), c);
        if (!latest) return error_answer(latest.err());
        against = *latest;
        if (!against)
            return error_answer(errc::no_checkpoint,
                                community_text(c) + " has no checkpoint yet to prove against");
        tree_size = against->tree_size;
    }
    if (leaf.index >= tree_size)
        return error_answer(errc::not_yet_checkpointed,
                            "the event is leaf " + std::to_string(leaf.index) + "; the tree of " +
                                std::to_string(tree_size) +
                                " leaves does not hold it yet (a later checkpoint will)");
    auto proof = read_inclusion_proof(n.projections(c), c, leaf.index, tree_size);
    if (!proof) return error_answer(proof.err());
    auto verdict_proof = read_verdict_inclusion_proof(n.projections(c), c, leaf.index, tree_size);
    if (!verdict_proof) return error_answer(verdict_proof.err());
    // A checkpoint's roots were checked against the trees when it was folded.
    auto root = against ? result<digest>(against->root) : read_root(n.projections(c), c, tree_size);
    if (!root) return error_answer(root.err());
    auto verdict_root = against ? result<digest>(against->verdict_root)
                                : read_verdict_root(n.projections(c), c, tree_size);
    if (!verdict_root) return error_answer(verdict_root.err());
    auto body = decode_body(env->body);
    json_writer w;
    w.begin_object();
    if (body) w.key("id").string(body->id.hex());
    w.key("community").decimal(c.value);
    w.key("leaf_index").decimal(leaf.index);
    w.key("leaf_hash").string(merkle_leaf_hash(rec.payload).hex());
    w.key("tree_size").decimal(tree_size);
    w.key("root").string(root->hex());
    w.key("audit_path");
    digests_json(w, *proof);
    w.key("verdict").begin_object();
    w.key("reason").string(reason_name(leaf.verdict));
    w.key("code").decimal(static_cast<std::uint16_t>(leaf.verdict));
    w.key("offset").decimal(leaf.at.value);
    w.key("appended_at_ms").decimal_signed(rec.appended_at.value);
    w.key("leaf_hash")
        .string(verdict_leaf_hash(leaf.index, leaf.verdict, leaf.at, rec.appended_at).hex());
    w.key("root").string(verdict_root->hex());
    w.key("audit_path");
    digests_json(w, *verdict_proof);
    w.end_object();
    if (against) {
        auto j = checkpoint_json(n, c, *against);
        if (!j) return error_answer(j.err());
        w.key("checkpoint").raw(*j);
    }
    w.key("signer").string(env->signer.hex());
    w.key("signature").string(to_hex(env->sig.b));
    w.key("body_base64").string(to_base64(env->body));
    w.end_object();
    return json_answer(200, w.take());
}

http_response inclusion(node& n, const scoped_id& scoped, const target_parts& t) {
    node::found_event found;
    if (auto answer = locate_event(n, scoped, found)) return *answer;
    const seen_event* seen = &found.first;
    const event_id& id = scoped.id;
    const community_id c = scoped.community;
    auto rec = n.record_at(found.partition, seen->at);
    if (!rec) return error_answer(rec.err());
    auto leaf = find_leaf(n.projections(c), c, seen->at);
    if (!leaf) return error_answer(leaf.err());
    if (!*leaf)
        return error_answer(errc::not_a_leaf,
                            "the event " + id.hex() +
                                " is in no community's tree "
                                "(its community did not exist when it was logged)");
    return leaf_proof(n, c, **leaf, *rec, t);
}

// By leaf index: every leaf can be proven, also one whose id another event used first (its
// id names that other event).
http_response inclusion_at(node& n, community_id c, std::string_view index, const target_parts& t) {
    auto i = parse_decimal(index);
    if (!i) return bad_request("a leaf index is a decimal number");
    auto leaves = read_leaves(n.projections(c), c, *i, 1);
    if (!leaves) return error_answer(leaves.err());
    if (leaves->empty())
        return error_answer(errc::not_found,
                            community_text(c) + " has no leaf " + std::to_string(*i));
    auto rec = n.record_at(c, leaves->front().at);
    if (!rec) return error_answer(rec.err());
    return leaf_proof(n, c, leaves->front(), *rec, t);
}

http_response consistency(node& n, community_id c, const target_parts& t) {
    auto first = decimal_query(t, "first");
    auto second = decimal_query(t, "second");
    if (!first) return error_answer(first.err());
    if (!second) return error_answer(second.err());
    if (!*first || !*second || **first == 0 || **first > **second)
        return bad_request("give first=N and second=M, 0 < N <= M");
    auto proof = read_consistency_proof(n.projections(c), c, **first, **second);
    if (!proof) return error_answer(proof.err());
    auto r1 = read_root(n.projections(c), c, **first);
    auto r2 = read_root(n.projections(c), c, **second);
    if (!r1) return error_answer(r1.err());
    if (!r2) return error_answer(r2.err());
    json_writer w;
    w.begin_object();
    w.key("community").decimal(c.value);
    w.key("first").decimal(**first);
    w.key("second").decimal(**second);
    w.key("first_root").string(r1->hex());
    w.key("second_root").string(r2->hex());
    w.key("proof");
    digests_json(w, *proof);
    w.end_object();
    return json_answer(200, w.take());
}

// The leaves [from, from + limit), each with its log record, as many as fit in
// page_bytes_max by `row_bytes` (at least one): a page's memory is bounded in bytes too.
struct leaf_page {
    std::uint64_t from = 0;
    std::vector<leaf_record> leaves;
    std::vector<log_record> records;
    // Where the next page starts: one past the last leaf here (`from` when there is none).
    [[nodiscard]] std::uint64_t next() const {
        return leaves.empty() ? from : leaves.back().index + 1;
    }
};
static result<leaf_page> read_page(node& n, community_id c, const target_parts& t,
                                   std::uint64_t fallback_limit,
                                   std::size_t (*row_bytes)(const log_record&)) {
    auto from = decimal_query(t, "from");
    auto limit = decimal_query(t, "limit");
    if (!from) return from.err();
    if (!limit) return limit.err();
    const std::uint64_t count = limit->value_or(fallback_limit);
    if (count < 1 || count > leaves_page_max)
        return make_error(errc::bad_request,
                          "limit must be from 1 to " + std::to_string(leaves_page_max));
    leaf_page page;
    page.from = from->value_or(0);
    auto leaves = read_leaves(n.projections(c), c, page.from, count);
    if (!leaves) return leaves.err();
    std::size_t bytes = 0;
    for (const auto& l : *leaves) {
        auto rec = n.record_at(c, l.at);
        if (!rec) return rec.err();
        const std::size_t row = row_bytes(*rec);
        if (!page.leaves.empty() && bytes + row > page_bytes_max) break;  // on the next page
        bytes += row;
        page.leaves.push_back(l);
        page.records.push_back(std::move(*rec));
    }
    return page;
}

// At least what a leaf's row of GET .../leaves takes: the record (envelope) in base64, and its
// other fields with room to spare.
static std::size_t leaf_json_bytes(const log_record& rec) {
    return 4 * ((rec.payload.size() + 2) / 3) + 400;
}

static std::size_t export_bytes(const log_record& rec) {
    return export_record_header_bytes + rec.payload.size();
}

http_response leaves(node& n, community_id c, const target_parts& t) {
    auto page = read_page(n, c, t, page_default, leaf_json_bytes);
    if (!page) return error_answer(page.err());
    json_writer w;
    w.begin_object().key("leaves").begin_array();
    for (std::size_t i = 0; i < page->leaves.size(); ++i) {
        const auto& l = page->leaves[i];
        const auto& rec = page->records[i];
        auto env = decode_envelope(rec.payload);
        if (!env) return error_answer(errc::io_error, "a record in the tree does not decode");
        w.begin_object();
        w.key("leaf_index").decimal(l.index);
        w.key("offset").decimal(l.at.value);
        w.key("appended_at_ms").decimal_signed(rec.appended_at.value);
        w.key("reason").string(reason_name(l.verdict));
        w.key("signer").string(env->signer.hex());
        w.key("signature").string(to_hex(env->sig.b));
        w.key("body_base64").string(to_base64(env->body));
        w.end_object();
    }
    w.end_array();
    w.key("next").decimal(page->next());
    w.end_object();
    return json_answer(200, w.take());
}

http_response export_page(node& n, community_id c, const target_parts& t) {
    auto page = read_page(n, c, t, leaves_page_max, export_bytes);
    if (!page) return error_answer(page.err());
    std::string out;
    for (std::size_t i = 0; i < page->leaves.size(); ++i)
        append_export_record(out, export_record{page->leaves[i].at, page->records[i].appended_at,
                                                page->leaves[i].verdict, page->records[i].payload});
    UURWERK_ASSERT(page->leaves.size() <= 1 || out.size() <= page_bytes_max, out.size());
    http_response r{200, "application/octet-stream", std::move(out), {}};
    r.headers.emplace_back("X-Uurwerk-Leaves", std::to_string(page->leaves.size()));
    return r;
}

http_response certificate(node& n, community_id c, member_id m, const target_parts& t) {
    auto from = decimal_query(t, "from_ms");
    auto to = decimal_query(t, "to_ms");
    if (!from) return error_answer(from.err());
    if (!to) return error_answer(to.err());
    const auto end = to->value_or(static_cast<std::uint64_t>(INT64_MAX));
    if (from->value_or(0) > static_cast<std::uint64_t>(INT64_MAX) ||
        end > static_cast<std::uint64_t>(INT64_MAX) || from->value_or(0) > end)
        return bad_request("from_ms and to_ms are ms since 1970, from_ms <= to_ms");
    // Selective disclosure: the notes of the claims, only when asked for (and the route's
    // access rule lets only the member, their delegate or a coordinator ask at all).
    auto notes = note_disclosure::hidden;
    if (auto it = t.query.find("reveal_notes"); it != t.query.end()) {
        if (it->second == "true")
            notes = note_disclosure::revealed;
        else if (it->second != "false")
            return bad_request("reveal_notes is true or false");
    }
    auto cert = build_certificate(n, c, m, time_ms{static_cast<std::int64_t>(from->value_or(0))},
                                  time_ms{static_cast<std::int64_t>(end)}, notes);
    if (!cert) return error_answer(cert.err());
    return json_answer(200, certificate_to_json(*cert));
}

}  // namespace uurwerk::audit_routes
