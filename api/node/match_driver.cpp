#include "api/node/match_driver.h"

#include <cstdio>

#include "ledger/core/audit.h"
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
                         static_cast<unsigned long long>(c.value), r.err().code.c_str(),
                         r.err().message.c_str());
            continue;
        }
        // The state after this round's own proposals: unchanged until something else comes.
        last_basis_[c] = r->basis + r->submitted + r->rejected;
    }
}

result<match_round_outcome> match_driver::run_now(community_id c) {
    return signer_.with_node_key([&](const signing_key& key) -> result<match_round_outcome> {
        struct round {
            match_round_outcome outcome;
            time_ms clock;
            std::vector<bool> seen;
        };
        auto planned = node_.folder(c).read_state([&](const ledger_state& s) -> result<round> {
            auto it = s.communities.find(c);
            if (it == s.communities.end())
                return make_error("unknown_community",
                                  "community " + std::to_string(c.value) + " does not exist");
            if (!query::is_announced_node_key(it->second, key.public_bytes()))
                return make_error("node_key_not_announced",
                                  "this node's key " + key.public_bytes().hex() +
                                      " is not announced in community " + std::to_string(c.value) +
                                      ": a coordinator runs `uurwerk announce-node` first");
            round r;
            r.outcome.basis = it->second.events;
            r.clock = it->second.clock;
            r.outcome.proposals = propose(c, it->second);
            for (auto& p : r.outcome.proposals) {
                // Keyed with the node's secret, so no member can take it ahead
                // (ledger/core/audit.h).
                p.id = node_event_id(key, p.id);
                r.seen.push_back(s.seen.contains(scoped_id{c, p.id}));
            }
            return r;
        });
        if (!planned) return planned.err();
        auto& r = *planned;
        for (std::size_t i = 0; i < r.outcome.proposals.size(); ++i) {
            if (r.seen[i]) {
                ++r.outcome.duplicates;
                continue;
            }
            auto submitted =
                node_.submit(key.seal(proposal_body(c, r.outcome.proposals[i], i, r.clock)));
            if (!submitted) return submitted.err();
            if (submitted->duplicate)
                ++r.outcome.duplicates;
            else if (submitted->decided.accepted())
                ++r.outcome.submitted;
            else
                ++r.outcome.rejected;
        }
        return std::move(r.outcome);
    });
}

}  // namespace uurwerk
