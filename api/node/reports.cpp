#include "api/node/reports.h"

#include "projections/audit.h"

namespace uurwerk {
namespace {

// Adds the leaves [facts.leaves(), tree_size) of `c`'s tree to `facts`.
result<void> extend(node& n, community_id c, std::uint64_t tree_size, report_facts& facts) {
    const partition_id part = n.partition_of(c);
    std::vector<log_record> window;  // records read ahead from the log, in offset order
    std::size_t next = 0;
    while (facts.leaves() < tree_size) {
        const std::uint64_t from = facts.leaves();
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(report_leaves_page, tree_size - from));
        auto leaves = read_leaves(n.projections(part), c, from, want);
        if (!leaves) return leaves.err();
        UURWERK_ASSERT(!leaves->empty() && leaves->front().index == from, from, leaves->size());
        for (const auto& leaf : *leaves) {
            // The community's records lie in order in its partition, mostly next to each other:
            // read them in runs, skipping the other communities' records in between.
            while (next < window.size() && window[next].at < leaf.at) ++next;
            if (next == window.size()) {
                const auto span = leaves->back().at.value - leaf.at.value + 1;
                auto run = n.log(part).lookup(
                    leaf.at,
                    static_cast<std::size_t>(std::min<std::uint64_t>(span, report_leaves_page)),
                    std::chrono::seconds(5));
                if (!run) return run.err();
                window = std::move(*run);
                next = 0;
                if (window.empty() || window.front().at != leaf.at)
                    return make_error(errc::io_error,
                                      "no record at offset " + std::to_string(leaf.at.value) +
                                          " for leaf " + std::to_string(leaf.index));
            }
            const auto& rec = window[next];
            // The node's own log, checked when it was appended and by its CRC since.
            auto env = decode_envelope(rec.payload, form_check::trusted);
            auto body =
                env ? decode_body(env->body, form_check::trusted) : result<event_body>(env.err());
            if (!body)
                return make_error(errc::io_error, "leaf " + std::to_string(leaf.index) +
                                                      " does not decode: " + body.err().message);
            facts.add(*body, leaf.verdict, rec.appended_at);
        }
    }
    return ok_value;
}

}  // namespace

result<std::shared_ptr<report_cache::entry>> report_cache::extended(
    node& n, community_id c, const checkpoint_record& cp, std::unique_lock<std::mutex>& lock) {
    std::shared_ptr<entry> e;
    {
        std::lock_guard guard(mutex_);
        auto& slot = entries_[c];
        if (!slot) {
            if (entries_.size() > report_cache_communities_max)
                for (auto it = entries_.begin(); it != entries_.end(); ++it)
                    if (it->first != c) {
                        entries_.erase(it);  // its facts go when its last reader is done
                        break;
                    }
            slot = std::make_shared<entry>();
        }
        e = slot;
    }
    lock = std::unique_lock(e->mutex);
    if (!e->facts || e->facts->leaves() > cp.tree_size)
        e->facts = std::make_unique<report_facts>(c);
    const auto before = e->facts->leaves();
    auto r = extend(n, c, cp.tree_size, *e->facts);
    leaves_read_ += e->facts->leaves() - before;
    if (!r) {
        e->facts.reset();  // half extended: start afresh next time
        return r.err();
    }
    return e;
}

result<checkpoint_record> report_cache::latest(node& n, community_id c) {
    auto latest = read_latest_checkpoint(n.projections(n.partition_of(c)), c);
    if (!latest) return latest.err();
    if (!*latest)
        return make_error(errc::no_checkpoint, "community " + std::to_string(c.value) +
                                                   " has no checkpoint yet: a report is "
                                                   "computed at one (uurwerk audit checkpoint)");
    return **latest;
}

result<report_table> report_cache::compute(node& n, const report_params& p) {
    auto cp = latest(n, p.community);
    if (!cp) return cp.err();
    std::unique_lock<std::mutex> lock;
    auto e = extended(n, p.community, *cp, lock);
    if (!e) return e.err();
    return (*e)->facts->report(p, report_checkpoint{cp->tree_size, cp->root});
}

result<std::vector<report_cache::impact_figures>> report_cache::impact_page(node& n,
                                                                            community_id c) {
    auto cp = latest(n, c);
    if (!cp) return cp.err();
    std::unique_lock<std::mutex> lock;
    auto e = extended(n, c, *cp, lock);
    if (!e) return e.err();
    entry& en = **e;
    if (en.impact.empty() || en.impact_at != cp->tree_size) {
        en.impact.clear();
        const report_checkpoint at{cp->tree_size, cp->root};
        for (const auto& r : impact_page_ranges(c, cp->signed_at))
            en.impact.push_back({r.month, en.facts->report(r.params, at)});
        en.impact_at = cp->tree_size;
    }
    return en.impact;
}

result<void> report_cache::refresh(node& n, community_id c) {
    auto cp = latest(n, c);
    if (!cp) return cp.err().code == errc::no_checkpoint ? ok_value : result<void>(cp.err());
    std::unique_lock<std::mutex> lock;
    auto e = extended(n, c, *cp, lock);
    if (!e) return e.err();
    return ok_value;
}

}  // namespace uurwerk
