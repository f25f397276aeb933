#include "ledger/match_queues.h"

#include <algorithm>
#include <limits>

namespace uurwerk {

void match_queues::add(post_side side, category what, const queued_post& p, std::string_view area) {
    if (!kept()) return;
    queued_post q = p;
    if (area.empty()) {
        q.area = area_code{0};
    } else {
        auto [it, fresh] =
            areas_.try_emplace(std::string(area), area_code{static_cast<std::uint32_t>(0)});
        if (fresh) {
            UURWERK_ASSERT(areas_.size() < std::numeric_limits<std::uint32_t>::max() - 1);
            it->second = area_code{static_cast<std::uint32_t>(areas_.size())};
        }
        q.area = it->second;
    }
    auto& bucket = (side == post_side::offer ? offers_ : requests_)[static_cast<std::size_t>(what)];
    const auto [at, fresh] = position_.try_emplace(p.id, static_cast<std::uint32_t>(bucket.size()));
    UURWERK_ASSERT(fresh, p.id.hex(), at->second);
    bucket.push_back(q);
    if (side == post_side::request) request_ids_.insert(p.id);
}

void match_queues::remove(post_side side, category what, const event_id& id) {
    auto it = position_.find(id);
    if (it == position_.end()) return;
    auto& bucket = (side == post_side::offer ? offers_ : requests_)[static_cast<std::size_t>(what)];
    const std::uint32_t at = it->second;
    UURWERK_ASSERT(at < bucket.size() && bucket[at].id == id, id.hex(), at, bucket.size());
    position_.erase(it);
    if (at + 1 != bucket.size()) {
        bucket[at] = bucket.back();
        position_[bucket[at].id] = at;
    }
    bucket.pop_back();
    if (side == post_side::request) request_ids_.erase(id);
}

std::size_t match_queues::open_count(post_side side) const {
    std::size_t n = 0;
    for (const auto& b : side == post_side::offer ? offers_ : requests_) n += b.size();
    return n;
}

area_code match_queues::code_of(std::string_view area) const {
    if (area.empty()) return area_code{0};
    auto it = areas_.find(std::string(area));
    return it == areas_.end() ? area_code{std::numeric_limits<std::uint32_t>::max()} : it->second;
}

void match_queues::clear() {
    for (auto& b : offers_) b.clear();
    for (auto& b : requests_) b.clear();
    position_.clear();
    suspended_.clear();
    request_ids_.clear();
    // areas_ stays: codes are only compared with each other, never stored.
}

bool match_queues::same_content(const match_queues& other) const {
    // Each record with its area by name (two queues may have coded areas in another order),
    // ordered by post id.
    auto comparable = [](const match_queues& q, const std::vector<queued_post>& bucket) {
        std::vector<std::pair<queued_post, std::string>> out;
        for (const auto& p : bucket) {
            std::string name;
            for (const auto& [area, code] : q.areas_)
                if (code == p.area) name = area;
            auto copy = p;
            copy.area = area_code{0};
            out.emplace_back(copy, std::move(name));
        }
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.first.id < b.first.id; });
        return out;
    };
    for (std::size_t i = 0; i < category_count; ++i)
        if (comparable(*this, offers_[i]) != comparable(other, other.offers_[i]) ||
            comparable(*this, requests_[i]) != comparable(other, other.requests_[i]))
            return false;
    return suspended_ == other.suspended_;
}

}  // namespace uurwerk
