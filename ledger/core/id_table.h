#pragma once
// A hash table from event ids to values, for the ledger's largest indexes: `seen`, one entry for
// every event ever folded, looked up once for every event folded and for every event submitted;
// and a community's claims, transfers, posts, matches and endorsements, looked up by the events
// that name them (every confirmation, reversal, proposal) and by the API (a page of candidates).
//
// Why not std::unordered_map: each of its entries is a node of its own, so a lookup that misses
// (every new event's) reads the bucket array and then every node of the bucket, a cache miss
// each, and a million entries are a million allocations. Here the values lie in one dense
// vector, in insertion order, and the index is an array of 8-byte slots (the entry's position and
// 32 bits of its hash), probed linearly: a lookup that misses reads one short run of slots, and
// one that hits reads the entry it finds. The slots hold at most 3/4 of their count.
//
// The key is an event id, or an id scoped by its community (`scoped_id`, for `seen`). The hash
// is std::hash of the key (ledger/core/event.h), keyed per process, so ids chosen to collide
// cannot build long runs. Entries are never erased (none of those indexes forgets an id).
// Iteration is in insertion order, i.e. log order for the fold's tables.
//
// Ownership and threading: a value type; not thread-safe (the projector's state lock guards
// `seen`). Iterators and references to values are invalidated by any insertion.

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "ledger/core/base.h"
#include "ledger/core/event.h"

namespace uurwerk {

template <typename V, typename K = event_id>
class id_table {
public:
    using key_type = K;
    using value_type = std::pair<K, V>;
    using iterator = value_type*;
    using const_iterator = const value_type*;

    iterator begin() { return entries_.data(); }
    iterator end() { return entries_.data() + entries_.size(); }
    const_iterator begin() const { return entries_.data(); }
    const_iterator end() const { return entries_.data() + entries_.size(); }
    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }

    iterator find(const K& id) {
        const auto at = locate(id, hash(id));
        return at.found ? begin() + at.entry : end();
    }
    const_iterator find(const K& id) const {
        const auto at = locate(id, hash(id));
        return at.found ? begin() + at.entry : end();
    }
    bool contains(const K& id) const { return locate(id, hash(id)).found; }
    V& at(const K& id) { return const_cast<V&>(std::as_const(*this).at(id)); }
    const V& at(const K& id) const {
        const auto it = find(id);
        UURWERK_ASSERT(it != end(), id.hex());
        return it->second;
    }

    V& operator[](const K& id) { return try_emplace(id).first->second; }

    // The entry of `id`, made with a default value if there was none; true if it was made.
    std::pair<iterator, bool> try_emplace(const K& id) { return insert(id, V{}); }
    std::pair<iterator, bool> emplace(const K& id, V value) { return insert(id, std::move(value)); }

    void reserve(std::size_t n) {
        entries_.reserve(n);
        if (slots_max(slots_.size()) < n) rebuild(slot_count_for(n));
    }
    void clear() {
        entries_.clear();
        slots_.clear();
    }

private:
    struct slot {
        std::uint32_t entry_plus_one = 0;  // 0: empty
        std::uint32_t tag = 0;             // the hash's high 32 bits
    };
    struct place {
        bool found = false;
        std::size_t entry = 0;  // when found
        std::size_t slot = 0;   // when found, the entry's slot; else the empty slot to use
    };

    static std::size_t slots_max(std::size_t slot_count) { return slot_count / 4 * 3; }
    static std::size_t slot_count_for(std::size_t n) {
        std::size_t count = 16;
        while (slots_max(count) < n) count *= 2;
        return count;
    }

    static std::size_t hash(const K& id) { return std::hash<K>{}(id); }

    place locate(const K& id, std::size_t h) const {
        if (slots_.empty()) return {};
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            const slot& s = slots_[i];
            if (s.entry_plus_one == 0) return {false, 0, i};
            if (s.tag == tag && entries_[s.entry_plus_one - 1].first == id)
                return {true, s.entry_plus_one - 1, i};
        }
    }

    std::pair<iterator, bool> insert(const K& id, V&& value) {
        if (slots_max(slots_.size()) < entries_.size() + 1)
            rebuild(slot_count_for(entries_.size() + 1));
        const std::size_t h = hash(id);
        const auto at = locate(id, h);
        if (at.found) return {begin() + at.entry, false};
        UURWERK_ASSERT(entries_.size() < UINT32_MAX, entries_.size());
        slots_[at.slot] = {static_cast<std::uint32_t>(entries_.size() + 1),
                           static_cast<std::uint32_t>(h >> 32)};
        entries_.emplace_back(id, std::move(value));
        return {end() - 1, true};
    }

    // Re-indexes every entry into `count` slots (a power of two).
    void rebuild(std::size_t count) {
        std::vector<slot> fresh(count);
        const std::size_t mask = count - 1;
        for (std::size_t e = 0; e < entries_.size(); ++e) {
            const std::size_t h = hash(entries_[e].first);
            std::size_t i = h & mask;
            while (fresh[i].entry_plus_one != 0) i = (i + 1) & mask;
            fresh[i] = {static_cast<std::uint32_t>(e + 1), static_cast<std::uint32_t>(h >> 32)};
        }
        slots_ = std::move(fresh);
    }

    std::vector<value_type> entries_;
    std::vector<slot> slots_;  // empty, or a power of two of them
};

}  // namespace uurwerk
