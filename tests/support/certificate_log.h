#pragma once
// Test support: a community's log as a node keeps it for hour certificates, built by hand: each
// event signed and given the verdict the test says (accepted unless told otherwise, whatever the
// rules would say: a node that lies), both trees (events and verdicts) over all of it, and the
// node's checkpoint of every leaf. certificate() assembles an hour_certificate from its leaves.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "ledger/core/audit.h"
#include "ledger/core/certificate.h"
#include "tests/support/test_keys.h"

namespace uurwerk::testing {

struct lying_log {
    community_id town{7};
    std::vector<bytes> envelopes;
    std::vector<event_id> ids;
    std::vector<time_ms> times;
    std::vector<digest> leaves;
    std::vector<digest> verdicts;
    signing_key node = key_filled_with(0x77);
    std::map<public_key, std::uint64_t> seqs;

    // Logs `payload` by `author` (for `on_behalf_of`) signed with `key` at log time `at`, with
    // `verdict`; its leaf index.
    std::uint64_t add(const signing_key& key, member_id author, event_payload payload, time_ms at,
                      std::optional<member_id> on_behalf_of = std::nullopt,
                      reject_reason verdict = reject_reason::none) {
        const event_body b{random_event_id(),
                           town,
                           author,
                           sequence{++seqs[key.public_bytes()]},
                           time_ms{1},
                           on_behalf_of,
                           std::move(payload)};
        const std::uint64_t i = envelopes.size();
        envelopes.push_back(encode_envelope(key.seal(b)));
        ids.push_back(b.id);
        times.push_back(at);
        leaves.push_back(merkle_leaf_hash(envelopes.back()));
        verdicts.push_back(verdict_leaf_hash(i, verdict, offset{i}, at));
        return i;
    }

    static merkle_node_reader reader(const std::vector<digest>& of) {
        return [&of](std::uint32_t level, std::uint64_t index) {
            const std::uint64_t width = std::uint64_t{1} << level;
            return merkle_root(std::span(of).subspan(index * width, width));
        };
    }

    // Leaf i with its two inclusion proofs against the whole log.
    proved_event prove(std::uint64_t i) const {
        return proved_event{
            i,         envelopes[i], merkle_inclusion_proof(i, leaves.size(), reader(leaves)),
            offset{i}, times[i],     merkle_inclusion_proof(i, verdicts.size(), reader(verdicts))};
    }

    // The node's signed checkpoint of every leaf.
    bytes checkpoint() const {
        return encode_envelope(
            node.seal(checkpoint_body(town, sequence{1}, leaves.size(), merkle_root(leaves),
                                      merkle_root(verdicts), time_ms{9}, node.public_bytes())));
    }

    // A certificate of member `m` for all time: the leaves `bindings`, the (claim,
    // confirmation) leaves `claims`, and `total` as the minutes it states.
    hour_certificate certificate(member_id m, const std::vector<std::uint64_t>& bindings,
                                 const std::vector<std::pair<std::uint64_t, std::uint64_t>>& claims,
                                 minutes total) const {
        hour_certificate h;
        h.community = town;
        h.member = m;
        h.from = time_ms{0};
        h.to = time_ms{INT64_MAX};
        h.tree_size = leaves.size();
        h.checkpoint_envelope = checkpoint();
        for (auto b : bindings) h.bindings.push_back(prove(b));
        for (auto [claim, confirmation] : claims)
            h.claims.push_back({prove(claim), prove(confirmation)});
        h.stated_total = total;
        return h;
    }
};

}  // namespace uurwerk::testing
