#include "api/node/checkpointer.h"

#include <cstdio>

#include "ledger/core/audit.h"
#include "projections/query.h"

namespace uurwerk {

checkpointer::checkpointer(node& n, signing_key node_key, checkpointer_options options)
    : node_(n),
      key_(std::move(node_key)),
      options_(std::move(options)),
      ticker_("uw-checkpoint", options_.interval, [this] { run(); }) {
    UURWERK_ASSERT(options_.clock != nullptr);
}

checkpointer::~checkpointer() {
    stop();
}

void checkpointer::start() {
    ticker_.start();
}

void checkpointer::stop() {
    ticker_.stop();
}

void checkpointer::run() {
    // Every community where this node's key is announced.
    for (const auto& [c, events] : node_.communities_announcing(key_.public_bytes())) {
        auto r = sign_now(c);
        if (!r)
            std::fprintf(stderr, "uurwerk: checkpoint of community %llu failed: %s: %s\n",
                         static_cast<unsigned long long>(c.value),
                         std::string(name(r.err().code)).c_str(), r.err().message.c_str());
    }
}

result<checkpoint_outcome> checkpointer::sign_now(community_id c) {
    std::lock_guard serial(sign_mutex_);
    auto& folder = node_.folder(c);
    // The key's next sequence number, read where the rules keep it.
    auto seq = query::node_key_next_seq(folder, c, key_.public_bytes());
    if (!seq) return seq.err();
    auto head = folder.audit_head(c);
    UURWERK_ASSERT(head.has_value(), c.value);  // a known community has a tree
    auto latest = folder.latest_checkpoint(c);
    if (latest && latest->signer == key_.public_bytes() && latest->leaf + 1 >= head->size)
        return checkpoint_outcome{*latest, false};

    auto body = checkpoint_body(c, *seq, head->size, head->root, head->verdict_root,
                                options_.clock(), key_.public_bytes());
    body.id = node_event_id(key_, body.id);  // nobody else can take it ahead (ledger/core/audit.h)
    auto outcome = node_.submit(stored_envelope::encode(key_.seal(body)));
    if (!outcome) return outcome.err();
    if (!outcome->decided.accepted())
        return make_error(errc::checkpoint_rejected,
                          "the ledger rejected this node's checkpoint of " +
                              std::to_string(head->size) +
                              " leaves: " + std::string(reason_name(outcome->decided.reason)));
    auto leaf = find_leaf(node_.projections(c), c, outcome->at);
    if (!leaf) return leaf.err();
    UURWERK_ASSERT(leaf->has_value(), c.value, outcome->at.value);  // applied, so committed
    const auto& cp = std::get<checkpoint>(body.payload);
    return checkpoint_outcome{
        checkpoint_record{cp.tree_size, cp.root, head->verdict_root, cp.timestamp, outcome->at,
                          (*leaf)->index, body.id, key_.public_bytes()},
        !outcome->duplicate};
}

}  // namespace uurwerk
