// The personal-data store's texts put at the log's next sync (text_durability::at_next_sync):
// none of them is in the store before sync_pending() writes them, each is after it, with its
// index entries, and they stay after the store is closed and opened again (durable); a text put
// synced now is there at once. Texts waiting for a sync are bounded (a log that syncs no more).
// What a crash does to them with the log: tests/e2e/crash_test.cpp.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "ledger/core/personal.h"
#include "projections/personal_store.h"
#include "tests/support/personal_stores.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using uurwerk::testing::open_store;
using uurwerk::testing::temp_dir;
using uurwerk::testing::text_of;

namespace {

struct kept_text {
    event_id id;
    personal_text text;
    digest commitment;
};

kept_text text_numbered(std::uint8_t n) {
    kept_text k;
    k.id.b[0] = n;
    k.text.salt.b[0] = static_cast<std::uint8_t>(n + 1);
    k.text.text = "boodschappen voor de buren, nummer " + std::to_string(n);
    k.commitment = commit_text(k.text.salt, k.text.text);
    return k;
}

std::size_t count_of(const personal_store& s) {
    auto n = s.count();
    BOOST_REQUIRE(n.ok());
    return *n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(texts_put_at_the_next_sync_are_written_by_it_and_survive_a_reopen) {
    temp_dir dir("personal-store");
    const community_id c{3};
    const member_id author{7}, named{8};
    const std::vector<member_id> concerned{author, named};
    std::vector<kept_text> texts;
    for (std::uint8_t n = 0; n < 5; ++n) texts.push_back(text_numbered(n));
    {
        auto s = open_store(dir.path);
        // Nothing owed: a sync writes nothing and succeeds.
        BOOST_REQUIRE(s->sync_pending().ok());
        for (const auto& t : texts)
            BOOST_REQUIRE(
                s->put(c, t.id, t.commitment, t.text, concerned, text_durability::at_next_sync)
                    .ok());
        // Kept for the group's write: not in the store yet.
        BOOST_CHECK_EQUAL(count_of(*s), 0u);
        BOOST_CHECK(!text_of(*s, c, texts[0].id, texts[0].commitment));
        BOOST_REQUIRE(s->sync_pending().ok());
        BOOST_CHECK_EQUAL(count_of(*s), texts.size());
        for (const auto& t : texts)
            BOOST_CHECK_EQUAL(text_of(*s, c, t.id, t.commitment).value_or("(none)"), t.text.text);
        // The index by member came with them: each member's export shows every text.
        for (const member_id m : concerned) {
            auto of = s->texts_of(c, m);
            BOOST_REQUIRE(of.ok());
            BOOST_CHECK_EQUAL(of->size(), texts.size());
        }
        // A second sync has nothing left to write; a text put synced now is there at once.
        BOOST_REQUIRE(s->sync_pending().ok());
        const auto now = text_numbered(9);
        BOOST_REQUIRE(s->put(c, now.id, now.commitment, now.text, concerned).ok());
        BOOST_CHECK_EQUAL(text_of(*s, c, now.id, now.commitment).value_or("(none)"), now.text.text);
        // Put at the next sync and never synced: not written (its event was never durable).
        const auto never = text_numbered(10);
        BOOST_REQUIRE(s->put(c, never.id, never.commitment, never.text, concerned,
                             text_durability::at_next_sync)
                          .ok());
    }
    auto again = open_store(dir.path);
    BOOST_CHECK_EQUAL(count_of(*again), texts.size() + 1);
    for (const auto& t : texts)
        BOOST_CHECK_EQUAL(text_of(*again, c, t.id, t.commitment).value_or("(none)"), t.text.text);
    const auto never = text_numbered(10);
    BOOST_CHECK(!text_of(*again, c, never.id, never.commitment));
    // Erasing a member still finds every text through the index the group's write made.
    auto erased = again->erase_member(c, named);
    BOOST_REQUIRE(erased.ok());
    BOOST_CHECK_EQUAL(*erased, texts.size() + 1);
    BOOST_CHECK_EQUAL(count_of(*again), 0u);
}

BOOST_AUTO_TEST_CASE(texts_waiting_for_a_sync_are_bounded_and_a_sync_makes_room_again) {
    temp_dir dir("personal-store-bound");
    auto s = open_store(dir.path);
    const community_id c{3};
    const std::vector<member_id> concerned{member_id{7}};
    // Texts of 1 MiB (put() leaves the length to the node): the bound is reached after 64.
    std::size_t taken = 0;
    result<void> last = ok_value;
    for (std::uint8_t n = 0; n < 80 && last.ok(); ++n) {
        auto t = text_numbered(n);
        t.text.text.assign(1u << 20, static_cast<char>('a' + n % 26));
        t.commitment = commit_text(t.text.salt, t.text.text);
        last = s->put(c, t.id, t.commitment, t.text, concerned, text_durability::at_next_sync);
        if (last.ok()) ++taken;
    }
    BOOST_REQUIRE(!last.ok());
    BOOST_CHECK(last.err().code == errc::log_full);
    BOOST_CHECK_EQUAL(taken, personal_pending_bytes_max / (1u << 20));
    // A text synced now is not held back by them.
    const auto now = text_numbered(200);
    BOOST_REQUIRE(s->put(c, now.id, now.commitment, now.text, concerned).ok());
    // The sync writes every one taken, and makes room.
    BOOST_REQUIRE(s->sync_pending().ok());
    BOOST_CHECK_EQUAL(count_of(*s), taken + 1);
    const auto more = text_numbered(201);
    BOOST_CHECK(
        s->put(c, more.id, more.commitment, more.text, concerned, text_durability::at_next_sync)
            .ok());
}
