#include "api/node/match_driver.h"

#include <cstdio>

#include "ledger/core/audit.h"
#include "matching/round.h"
#include "projections/query.h"

namespace uurwerk {

match_driver::match_driver(node& n, checkpointer& signer, match_driver_options options)
    : node_(n), signer_(signer), ticker_("uw-matcher", options.interval, [this] { run(); }) {}

match_driver::~match_driver() {
    stop();
}

void match_driver::start() {
    ticker_.start();
}

void match_driver::stop() {
    ticker_.stop();
}

void match_driver::run() {
    // Every community where this node's key is announced and something happened since.
    const auto& key = signer_.node_key();
    std::vector<community_id> due;
    for (const auto& [id, events] : node_.communities_announcing(key)) {
        auto last = last_basis_.find(id);
        if (last == last_basis_.end() || last->second != events) due.push_back(id);
    }
    for (community_id c : due) {
        auto r = run_now(c);
        if (!r) {
            std::fprintf(stderr, "uurwerk: matching in community %llu failed: %s: %s\n",
                         static_cast<unsigned long long>(c.value),
                         std::string(name(r.err().code)).c_str(), r.err().message.c_str());
            continue;
        }
        // The state after this round's own proposals: unchanged until something else comes.
        last_basis_[c] = r->basis + r->submitted + r->rejected;
    }
}

result<match_round_outcome> match_driver::run_now(community_id c) {
    return signer_.with_node_key([&](const signing_key& key) -> result<match_round_outcome> {
        // Keyed with the node's secret, so no member can take a proposal's id ahead
        // (ledger/core/audit.h).
        auto planned = plan_round(node_.folder(c), c, key.public_bytes(),
                                  [&](const event_id& id) { return node_event_id(key, id); });
        if (!planned) return planned.err();
        auto& r = *planned;
        match_round_outcome outcome;
        outcome.basis = r.basis;
        for (std::size_t i = 0; i < r.proposals.size(); ++i) {
            if (r.seen[i]) {
                ++outcome.duplicates;
                continue;
            }
            auto submitted = node_.submit(
                stored_envelope::encode(key.seal(proposal_body(c, r.proposals[i], i, r.clock))));
            if (!submitted) return submitted.err();
            if (submitted->duplicate)
                ++outcome.duplicates;
            else if (submitted->decided.accepted())
                ++outcome.submitted;
            else
                ++outcome.rejected;
        }
        outcome.proposals = std::move(r.proposals);
        return outcome;
    });
}

}  // namespace uurwerk
