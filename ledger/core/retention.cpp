#include "ledger/core/retention.h"

namespace uurwerk {

std::int64_t retention_ms(const policy& p) {
    return std::int64_t{retention_days_of(p)} * 24 * 60 * 60 * 1000;
}

std::vector<text_ref> texts_due(const ledger_state& state, time_ms now) {
    std::vector<text_ref> out;
    for (const auto& [id_of_community, cs] : state.communities) {
        const community_id c = id_of_community;  // named apart: clang 14 cannot capture a binding
        const std::int64_t period = retention_ms(cs.rules);
        // Due once `now` has reached the closing time plus the period.
        auto due = [&](time_ms closed) { return now.value - closed.value >= period; };
        auto add = [&](const event_id& id, const text_commitment& commitment) {
            if (commitment) out.push_back(text_ref{c, id, *commitment});
        };
        auto add_attached = [&](const std::optional<attached_text>& t) {
            if (t) out.push_back(text_ref{c, t->event, t->commitment});
        };
        for (const auto& [id, p] : cs.posts) {
            if (p.status == post_status::open || !due(p.closed_time)) continue;
            add(id, p.text_digest);
            add_attached(p.hidden_reason);
        }
        for (const auto& [id, cl] : cs.claims) {
            time_ms settled;
            if (cl.status == claim_status::confirmed)
                settled = cl.confirmed_at;
            else if (cl.status == claim_status::reversed)
                settled = cl.reversed_at;
            else
                continue;  // pending or disputed: not settled
            if (!due(settled)) continue;
            add(id, cl.note_digest);
            add_attached(cl.dispute_reason);
            add_attached(cl.reversal_reason);
        }
    }
    return out;
}

}  // namespace uurwerk
