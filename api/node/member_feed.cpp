#include "api/node/member_feed.h"

#include <utility>

#include "ledger/core/base.h"

namespace uurwerk {

struct member_feed_core {
    struct remembered {
        partition_id partition;
        member_notice notice;
    };
    struct partition_state {
        offset complete_from;  // every notice from here on is remembered
        offset published;      // one past the last batch published
    };
    using key = std::pair<community_id, member_id>;

    mutable std::mutex mutex;
    std::size_t remembered_max;
    std::size_t listeners_max;
    std::vector<partition_state> partitions;
    std::deque<remembered> recent;
    std::map<key, std::map<std::uint64_t, member_feed::listener>> listening;
    std::size_t listener_count = 0;
    std::uint64_t next_id = 1;

    void forget(const key& k, std::uint64_t id) {
        std::lock_guard lock(mutex);
        auto l = listening.find(k);
        UURWERK_ASSERT(l != listening.end(), id);
        const std::size_t erased = l->second.erase(id);
        UURWERK_ASSERT(erased == 1, id);
        if (l->second.empty()) listening.erase(l);
        --listener_count;
    }
};

member_feed::subscription::~subscription() {
    if (auto core = core_.lock()) core->forget({community_, member_}, id_);
}

member_feed::member_feed(std::vector<offset> applied, std::size_t remembered_max,
                         std::size_t listeners_max)
    : core_(std::make_shared<member_feed_core>()) {
    UURWERK_ASSERT(!applied.empty() && remembered_max > 0 && listeners_max > 0);
    core_->remembered_max = remembered_max;
    core_->listeners_max = listeners_max;
    for (const auto& a : applied) core_->partitions.push_back({a, a});
}

void member_feed::publish(partition_id p, offset from, offset next,
                          const std::vector<member_notice>& batch) {
    auto& c = *core_;
    std::lock_guard lock(c.mutex);
    UURWERK_ASSERT(p.value < c.partitions.size(), p.value);
    auto& part = c.partitions[p.value];
    // Batches come in order without gaps; a batch that starts later than expected (none does)
    // leaves a hole that nothing remembers, so nothing before it counts as complete.
    UURWERK_ASSERT(next.value >= from.value, from.value, next.value);
    if (from.value != part.published.value) part.complete_from = from;
    part.published = next;
    for (const auto& n : batch) {
        UURWERK_ASSERT(n.at.value >= from.value && n.at.value < next.value, n.at.value);
        if (c.recent.size() == c.remembered_max) {
            const auto& gone = c.recent.front();
            auto& gp = c.partitions[gone.partition.value];
            if (gp.complete_from.value <= gone.notice.at.value)
                gp.complete_from = offset{gone.notice.at.value + 1};
            c.recent.pop_front();
        }
        c.recent.push_back({p, n});
        if (auto l = c.listening.find({n.community, n.member}); l != c.listening.end())
            for (const auto& [_, fn] : l->second) fn(n);
    }
}

std::unique_ptr<member_feed::subscription> member_feed::subscribe(partition_id p, community_id c,
                                                                  member_id m,
                                                                  std::optional<offset> after,
                                                                  listener fn) {
    UURWERK_ASSERT(fn != nullptr);
    auto& core = *core_;
    std::lock_guard lock(core.mutex);
    UURWERK_ASSERT(p.value < core.partitions.size(), p.value);
    if (core.listener_count >= core.listeners_max) return nullptr;
    bool complete = true;
    if (after) {
        // Complete when every notice after `after` is remembered: those from after + 1 on.
        complete = core.partitions[p.value].complete_from.value <= after->value + 1;
        for (const auto& r : core.recent)
            if (r.partition == p && r.notice.community == c && r.notice.member == m &&
                r.notice.at.value > after->value)
                fn(r.notice);
    }
    const std::uint64_t id = core.next_id++;
    core.listening[{c, m}].emplace(id, std::move(fn));
    ++core.listener_count;
    return std::unique_ptr<subscription>(new subscription(core_, c, m, id, complete));
}

std::size_t member_feed::listeners() const {
    std::lock_guard lock(core_->mutex);
    return core_->listener_count;
}

offset member_feed::complete_from(partition_id p) const {
    std::lock_guard lock(core_->mutex);
    UURWERK_ASSERT(p.value < core_->partitions.size(), p.value);
    return core_->partitions[p.value].complete_from;
}

offset member_feed::published(partition_id p) const {
    std::lock_guard lock(core_->mutex);
    UURWERK_ASSERT(p.value < core_->partitions.size(), p.value);
    return core_->partitions[p.value].published;
}

}  // namespace uurwerk
