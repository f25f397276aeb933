// partition.h: the community-to-partition mapping is Kafka's murmur2 of the 8-byte big-endian
// community id, and it never changes (known values pin it). Pure; no Kafka needed. That it agrees
// with librdkafka's partitioner is checked in tests/kafka/event_log_contract_test.cpp.

#include "ledger/log/partition.h"

#include "ledger/core/crypto.h"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace uurwerk;

BOOST_AUTO_TEST_SUITE(partition_suite)

BOOST_AUTO_TEST_CASE(the_community_key_is_8_bytes_big_endian) {
    const community_key k = key_of(community_id{0x0102030405060708});
    BOOST_TEST((k == community_key{1, 2, 3, 4, 5, 6, 7, 8}));
    BOOST_TEST((community_of_key(k) == community_id{0x0102030405060708}));
    BOOST_TEST(!community_of_key(byte_view(k.data(), 7)).has_value());
}

BOOST_AUTO_TEST_CASE(partition_of_is_kafkas_murmur2_and_never_changes) {
    // The Java client's own test vectors (Kafka's UtilsTest.testMurmur2).
    const auto murmur2_of = [](const std::string& s) {
        return static_cast<std::int32_t>(
            kafka_murmur2(byte_view(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())));
    };
    BOOST_TEST(murmur2_of("21") == -973932308);
    BOOST_TEST(murmur2_of("foobar") == -790332482);
    BOOST_TEST(murmur2_of("a-little-bit-long-string") == -985981536);
    BOOST_TEST(murmur2_of("a-little-bit-longer-string") == -1486304829);
    BOOST_TEST(murmur2_of("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
    BOOST_TEST(murmur2_of("abc") == 479470107);
    // Known partitions: the mapping is part of the stored format. If one of these changes, the
    // records of existing installations are in the wrong partitions.
    struct known {
        std::uint64_t community;
        std::uint32_t partitions_total;
        std::uint32_t partition;
    };
    for (const known& k : {known{1, 1, 0}, known{1, 2, 0}, known{3, 2, 1}, known{4, 2, 0},
                           known{1, 16, 12}, known{2, 16, 4}, known{7, 16, 11}, known{42, 3, 1},
                           known{1000, 64, 27}, known{0xffffffffffffffff, 16, 13}}) {
        BOOST_TEST(partition_of(community_id{k.community}, k.partitions_total).value == k.partition,
                   "community " << k.community << " of " << k.partitions_total);
    }
}

BOOST_AUTO_TEST_CASE(partition_of_spreads_communities_evenly) {
    constexpr std::uint32_t partitions = 16;
    constexpr std::uint64_t communities = 16'000;
    std::vector<int> count(partitions, 0);
    for (std::uint64_t c = 1; c <= communities; ++c) {
        ++count[partition_of(community_id{c}, partitions).value];
    }
    const double mean = static_cast<double>(communities) / partitions;
    for (std::uint32_t p = 0; p < partitions; ++p) {
        BOOST_TEST(count[p] > 0.9 * mean, "partition " << p << " has " << count[p]);
        BOOST_TEST(count[p] < 1.1 * mean, "partition " << p << " has " << count[p]);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(partition_digests_combine_in_partition_order) {
    digest a, b;
    a.b.fill(0x11);
    b.b.fill(0x22);
    // One partition: its digest, as a one-partition node always had.
    BOOST_CHECK(combine_partition_digests({a}) == a);
    const auto ab = combine_partition_digests({a, b});
    BOOST_CHECK(ab == combine_partition_digests({a, b}));  // a pure function
    BOOST_CHECK(ab != combine_partition_digests({b, a}));  // the order is the partitions'
    BOOST_CHECK(ab != combine_partition_digests({a, b, a}));
    // SHA-256("uurwerk/partitions/v1" || 00 00 00 02 || a || b)
    const std::string tag = "uurwerk/partitions/v1";
    bytes all(tag.begin(), tag.end());
    for (std::uint8_t x : {0, 0, 0, 2}) all.push_back(x);
    all.insert(all.end(), a.b.begin(), a.b.end());
    all.insert(all.end(), b.b.begin(), b.b.end());
    BOOST_CHECK(ab == sha256({all}));
}
