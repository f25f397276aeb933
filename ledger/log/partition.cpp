#include "ledger/log/partition.h"

#include "ledger/core/crypto.h"

namespace uurwerk {

std::uint32_t kafka_murmur2(byte_view data) {
    // org.apache.kafka.common.utils.Utils.murmur2, in unsigned arithmetic (the Java ints wrap
    // the same way; `>>>` is the unsigned shift).
    constexpr std::uint32_t seed = 0x9747b28c;
    constexpr std::uint32_t m = 0x5bd1e995;
    constexpr int r = 24;
    const std::size_t length = data.size();
    std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);
    const std::size_t whole = length / 4;
    for (std::size_t i = 0; i < whole; ++i) {
        const std::uint8_t* p = data.data() + 4 * i;
        std::uint32_t k = static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                          static_cast<std::uint32_t>(p[2]) << 16 |
                          static_cast<std::uint32_t>(p[3]) << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const std::uint8_t* tail = data.data() + 4 * whole;
    switch (length % 4) {
        case 3:
            h ^= static_cast<std::uint32_t>(tail[2]) << 16;
            [[fallthrough]];
        case 2:
            h ^= static_cast<std::uint32_t>(tail[1]) << 8;
            [[fallthrough]];
        case 1:
            h ^= tail[0];
            h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

community_key key_of(community_id community) {
    community_key k{};
    for (std::size_t i = 0; i < community_key_bytes; ++i) {
        k[i] = static_cast<std::uint8_t>(community.value >> (8 * (community_key_bytes - 1 - i)));
    }
    return k;
}

std::optional<community_id> community_of_key(byte_view key) {
    if (key.size() != community_key_bytes) return std::nullopt;
    std::uint64_t v = 0;
    for (const std::uint8_t b : key) v = (v << 8) | b;
    return community_id{v};
}

partition_id partition_of(community_id community, std::uint32_t partitions_total) {
    UURWERK_ASSERT(partitions_total > 0, partitions_total);
    const community_key key = key_of(community);
    return partition_id{(kafka_murmur2(key) & 0x7fffffffu) % partitions_total};
}

digest combine_partition_digests(const std::vector<digest>& by_partition) {
    UURWERK_ASSERT(!by_partition.empty());
    if (by_partition.size() == 1) return by_partition.front();
    static constexpr std::string_view tag = "uurwerk/partitions/v1";
    bytes all(tag.begin(), tag.end());
    const auto count = static_cast<std::uint32_t>(by_partition.size());
    for (int shift = 24; shift >= 0; shift -= 8)
        all.push_back(static_cast<std::uint8_t>(count >> shift));
    for (const auto& d : by_partition) all.insert(all.end(), d.b.begin(), d.b.end());
    return sha256({all});
}

}  // namespace uurwerk
