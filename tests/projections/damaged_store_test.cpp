// A damaged projection store (a failing disk, a crash in another program, someone with access
// to the folder) is refused with store_corrupt by every reader of its bytes, never an abort, an
// endless loop or a read out of bounds. The cases are the ones state_fuzz.cpp (tests/fuzz) is
// built to find: each was an assertion, an overflow or a loop before.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "projections/audit.h"
#include "projections/state_codec.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using uurwerk::testing::temp_dir;

namespace {

const community_id c{7};

std::string key(char tag, std::uint64_t a) {
    std::string k(1, tag);
    put_be64(k, a);
    return k;
}
std::string be64(std::uint64_t v) {
    std::string s;
    put_be64(s, v);
    return s;
}
// A member record (state_codec.cpp): role, verified, suspended, left, then balance,
// pending in and out, confirmed given and admission time (little-endian), then the profile's
// event id (16 bytes) and commitment (32 bytes): none here.
std::string member_with_balance(std::int64_t balance) {
    std::string v(4, '\0');
    for (std::int64_t x :
         {balance, std::int64_t{0}, std::int64_t{0}, std::int64_t{0}, std::int64_t{1}})
        v.append(reinterpret_cast<const char*>(&x), 8);
    v.append(16 + 32 + 8, '\0');  // profile event and digest, last activity
    return v;
}

// A fresh store holding only `entries`.
struct damaged {
    temp_dir dir;
    std::unique_ptr<store> db;
    explicit damaged(std::initializer_list<std::tuple<column, std::string, std::string>> entries) {
        auto s = store::open(dir.path / "store");
        BOOST_REQUIRE(s.ok());
        db = std::move(*s);
        auto b = db->make_batch();
        for (const auto& [col, k, v] : entries) b.put(col, k, v);
        BOOST_REQUIRE(db->write(b).ok());
    }
};

template <typename T>
void corrupt(const result<T>& r) {
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(name(r.err().code) == "store_corrupt");
    BOOST_TEST(r.err().message.find("rebuild") != std::string::npos, r.err().message);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(damaged_store)

BOOST_AUTO_TEST_CASE(meta_values_of_the_wrong_length) {
    damaged s{{column::meta, "applied", "abc"}, {column::meta, "skipped", std::string(9, '\1')}};
    corrupt(s.db->applied());
    corrupt(s.db->skipped());
}

BOOST_AUTO_TEST_CASE(balances_that_do_not_sum_to_zero_or_overflow) {
    std::string m1 = key('M', c.value) + be64(1), m2 = key('M', c.value) + be64(2);
    damaged unbalanced{{column::state, m1, member_with_balance(60)}};
    corrupt(load_state(*unbalanced.db));
    // INT64_MAX + INT64_MAX + 2 wraps to 0: summed without a check it would "balance".
    const auto max = std::numeric_limits<std::int64_t>::max();
    damaged overflowing{{column::state, m1, member_with_balance(max)},
                        {column::state, m2, member_with_balance(max)},
                        {column::state, key('M', c.value) + be64(3), member_with_balance(2)}};
    corrupt(load_state(*overflowing.db));
    damaged balanced{{column::state, m1, member_with_balance(60)},
                     {column::state, m2, member_with_balance(-60)}};
    BOOST_TEST(load_state(*balanced.db).ok());
}

BOOST_AUTO_TEST_CASE(a_history_key_too_short_for_its_window) {
    std::string k = be64(c.value) + be64(1) + "x";  // community, member, then 1 byte, not 8
    damaged s{{column::history, k, std::string(50, '\0')}};
    corrupt(read_history(*s.db, c, member_id{1}, offset{0}, 10));
}

BOOST_AUTO_TEST_CASE(tree_sizes_and_checkpoints_of_the_wrong_length) {
    damaged size{{column::audit, key('N', c.value), "abc"}};
    corrupt(audit_trees::load(*size.db));
    corrupt(read_tree_size(*size.db, c));
    damaged latest{{column::audit, key('L', c.value), std::string(10, '\0')}};
    corrupt(read_latest_checkpoint(*latest.db, c));
    damaged any{{column::audit, key('K', c.value) + be64(0) + be64(1), std::string(3, '\0')}};
    corrupt(read_checkpoints(*any.db, c));
}

BOOST_AUTO_TEST_CASE(chunks_of_leaves_missing_short_or_with_an_unknown_verdict) {
    const std::string chunk0 = key('O', c.value) + be64(0), chunk1 = key('O', c.value) + be64(1);
    std::string full;  // 256 leaves, each an offset and a verdict (none)
    for (std::uint64_t i = 0; i < 256; ++i) full += be64(i) + std::string(2, '\0');
    // Two leaves where the size says five.
    damaged short_chunk{{column::audit, key('N', c.value), be64(5)},
                        {column::audit, chunk0, full.substr(0, 20)}};
    corrupt(read_leaves(*short_chunk.db, c, 0, 10));
    // The second chunk empty: it used to be read again and again, without end.
    damaged empty_chunk{{column::audit, key('N', c.value), be64(300)},
                        {column::audit, chunk0, full},
                        {column::audit, chunk1, ""}};
    corrupt(read_leaves(*empty_chunk.db, c, 250, 20));
    corrupt(find_leaf(*empty_chunk.db, c, offset{299}));
    damaged missing{{column::audit, key('N', c.value), be64(300)}, {column::audit, chunk0, full}};
    corrupt(read_leaves(*missing.db, c, 250, 20));
    damaged verdict{{column::audit, key('N', c.value), be64(1)},
                    {column::audit, chunk0, be64(0) + "\xff\xff"}};
    corrupt(read_leaves(*verdict.db, c, 0, 1));
}

BOOST_AUTO_TEST_CASE(merkle_tiles_too_short_for_the_tree) {
    // A tree of 5 leaves keeps 5 hashes in its first tile of level 0; this one has 3.
    const std::string tile = key('T', c.value) + std::string(1, '\0') + be64(0);
    const std::string verdict_tile = key('V', c.value) + std::string(1, '\0') + be64(0);
    damaged s{{column::audit, key('N', c.value), be64(5)},
              {column::audit, tile, std::string(3 * 32, '\1')},
              {column::audit, verdict_tile, std::string(5 * 32 + 7, '\1')}};
    corrupt(read_root(*s.db, c, 5));
    corrupt(read_inclusion_proof(*s.db, c, 4, 5));
    corrupt(read_verdict_root(*s.db, c, 5));  // not whole hashes
    corrupt(audit_trees::load(*s.db));
}

BOOST_AUTO_TEST_SUITE_END()
