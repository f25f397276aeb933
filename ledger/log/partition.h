#pragma once
// Which partition of the cluster's topic holds a community's events, and the record key that
// names the community. Pure functions, no state: safe from any thread.
//
// The mapping is part of the stored format and must never change: every record of a community
// lives in one partition (so the community's events are totally ordered), and a reader checks
// each record's key against it. It is Apache Kafka's own default partitioner (the Java client's
// `murmur2` with seed 0x9747b28c, masked to 31 bits, modulo the partition count; librdkafka's
// `murmur2` partitioner computes the same) applied to the 8-byte key below, so any Kafka tool
// that partitions by key agrees with uurwerk.
//
// The key is the community id as 8 bytes, big-endian (community 1 is 00 00 00 00 00 00 00 01).

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "ledger/core/base.h"
#include "ledger/core/event.h"

namespace uurwerk {

using partition_id = named<std::uint32_t, struct partition_id_tag>;  // 0-based, < the total

inline constexpr std::size_t community_key_bytes = 8;
using community_key = std::array<std::uint8_t, community_key_bytes>;

// Kafka's murmur2 (32 bits, seed 0x9747b28c) of `data`, as the Java client computes it.
[[nodiscard]] std::uint32_t kafka_murmur2(byte_view data);

// The record key of a community: its id, big-endian.
[[nodiscard]] community_key key_of(community_id community);
// The community a key names; nothing when it is not 8 bytes.
[[nodiscard]] std::optional<community_id> community_of_key(byte_view key);

// The partition of `community` in a topic of `partitions_total` partitions (at least 1):
// (kafka_murmur2(key_of(community)) & 0x7fffffff) % partitions_total.
[[nodiscard]] partition_id partition_of(community_id community, std::uint32_t partitions_total);

// The state digest of a node of several partitions, from each partition's digest (by
// partition; at least one). One partition's digest is itself (a one-partition node's digest is
// what it always was); P > 1 give SHA-256("uurwerk/partitions/v1" || P as 4 bytes big-endian ||
// digest 0 || ... || digest P-1). Each partition's digest depends only on that partition's
// log, so this one does not depend on how a node interleaved its partitions.
[[nodiscard]] digest combine_partition_digests(const std::vector<digest>& by_partition);

}  // namespace uurwerk
