// The personal-data store's replication, without Kafka: what put() and erase_member() hand the
// sink, applied to a second store, gives the same answers there; the reader refuses items that
// do not fit the store's key layouts (a text that does not match its commitment above all),
// from the side of whoever can write to the topic; and an erasure whose tombstones cannot be
// written deletes nothing, so the erasure at the next start sends them again. The retention
// sweep's erase_texts the same way.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "ledger/core/crypto.h"
#include "ledger/core/personal.h"
#include "projections/personal_store.h"
#include "tests/support/personal_stores.h"
#include "tests/support/temp_dir.h"

using namespace uurwerk;
using uurwerk::testing::open_store;
using uurwerk::testing::temp_dir;
using uurwerk::testing::text_of;

namespace {

// What a sink received: by community, in order.
struct recorded {
    std::vector<std::pair<community_id, personal_item>> items;
    bool fail = false;
    personal_sink sink() {
        return [this](community_id c, std::span<const personal_item> got) -> result<void> {
            if (fail) return make_error(errc::log_unavailable, "the topic is away");
            for (const auto& i : got) items.emplace_back(c, i);
            return ok_value;
        };
    }
    std::vector<personal_item> all() const {
        std::vector<personal_item> out;
        for (const auto& [c, i] : items) out.push_back(i);
        return out;
    }
};

const std::vector<offset> one_position{offset{0}};

// A store that writes through a recording sink, and a second store to apply what it sent.
struct writer_and_reader {
    temp_dir dir{"personal-replication"};
    std::unique_ptr<personal_store> writer = open_store(dir.path / "a");
    std::unique_ptr<personal_store> reader = open_store(dir.path / "b");
    recorded sent;
    writer_and_reader() { writer->replicate_to(sent.sink()); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(what_the_sink_gets_rebuilds_the_store_elsewhere_with_its_erasures) {
    writer_and_reader two;
    auto& writer = two.writer;
    auto& reader = two.reader;
    auto& sent = two.sent;
    const community_id c{5};
    const member_id ann{2}, bob{3};
    const auto t1 = commit_fresh("Ann Smit, Lindelaan 7");
    const auto t2 = commit_fresh("Bob Kok helpt Ann Smit");
    const event_id e1 = random_event_id(), e2 = random_event_id();
    BOOST_REQUIRE(writer->put(c, e1, t1.commitment, t1.personal, std::vector{ann}).ok());
    BOOST_REQUIRE(writer->put(c, e2, t2.commitment, t2.personal, std::vector{bob, ann}).ok());
    // One text item and one index entry per member concerned, all of community c.
    BOOST_CHECK_EQUAL(sent.items.size(), 2u + 3u);
    for (const auto& [community, item] : sent.items) BOOST_CHECK(community == c);

    auto applied = reader->apply_replicated(sent.all(), std::vector{offset{41}});
    BOOST_REQUIRE(applied.ok());
    BOOST_CHECK_EQUAL(applied->kept, 5u);
    BOOST_CHECK(applied->refused.empty());
    BOOST_CHECK(text_of(*reader, c, e1, t1.commitment) == t1.personal.text);
    BOOST_CHECK(text_of(*reader, c, e2, t2.commitment) == t2.personal.text);
    auto at = reader->replicated_positions(2);
    BOOST_REQUIRE(at.ok());
    BOOST_CHECK(at->at(0) == offset{41});
    BOOST_CHECK(at->at(1) == offset{0});

    // Ann's erasure: a tombstone for every key of hers (two texts, their two index entries
    // under her), nothing else.
    sent.items.clear();
    auto erased = writer->erase_member(c, ann);
    BOOST_REQUIRE(erased.ok());
    BOOST_CHECK_EQUAL(*erased, 2u);
    BOOST_CHECK_EQUAL(sent.items.size(), 4u);
    for (const auto& [community, item] : sent.items) BOOST_CHECK(!item.value.has_value());
    // Applied elsewhere, the texts are gone there too; Bob's index entry stays behind, naming
    // a text that is no more (harmless: his erasure finds nothing to delete).
    applied = reader->apply_replicated(sent.all(), std::vector{offset{45}});
    BOOST_REQUIRE(applied.ok());
    BOOST_CHECK_EQUAL(applied->erased, 4u);
    BOOST_CHECK(!text_of(*reader, c, e1, t1.commitment).has_value());
    BOOST_CHECK(!text_of(*reader, c, e2, t2.commitment).has_value());
    auto count = reader->count();
    BOOST_REQUIRE(count.ok());
    BOOST_CHECK_EQUAL(*count, 0u);
    // Idempotent: erased again, nothing is sent.
    sent.items.clear();
    erased = writer->erase_member(c, ann);
    BOOST_REQUIRE(erased.ok());
    BOOST_CHECK_EQUAL(*erased, 0u);
    BOOST_CHECK(sent.items.empty());
}

BOOST_AUTO_TEST_CASE(items_forged_into_the_topic_are_refused_and_never_served) {
    temp_dir dir("personal-forged");
    auto writer = open_store(dir.path / "a");
    auto reader = open_store(dir.path / "b");
    recorded sent;
    writer->replicate_to(sent.sink());
    const community_id c{5};
    const auto real = commit_fresh("Mevrouw Bakker, Dorpsstraat 3");
    const event_id e = random_event_id();
    BOOST_REQUIRE(
        writer->put(c, e, real.commitment, real.personal, std::vector{member_id{2}}).ok());
    const personal_item text_item = sent.items.at(0).second;
    const personal_item index_item = sent.items.at(1).second;
    BOOST_REQUIRE(text_item.key.at(0) == 't' && index_item.key.at(0) == 'm');

    std::vector<std::pair<const char*, personal_item>> forged;
    auto other_text = text_item;
    other_text.value->back() ^= 1;  // one bit of the text
    forged.push_back({"another text under the real commitment", other_text});
    auto other_salt = text_item;
    (*other_salt.value)[0] ^= 1;
    forged.push_back({"another salt", other_salt});
    forged.push_back({"a value shorter than a salt", {text_item.key, std::string(15, 'x')}});
    forged.push_back({"a text far over the limit", {text_item.key, std::string(4096, 'x')}});
    forged.push_back({"a text key one byte short", {text_item.key.substr(1), text_item.value}});
    forged.push_back({"an index entry with a value", {index_item.key, "Ann"}});
    forged.push_back({"an index key one byte long", {index_item.key + "x", ""}});
    forged.push_back({"a key of no known kind", {"z" + text_item.key.substr(1), text_item.value}});
    forged.push_back({"a position key", {std::string("o\0\0\0\0", 5), std::string(8, '\xff')}});
    forged.push_back({"an empty key", {"", text_item.value}});
    for (const auto& [what, item] : forged) {
        auto applied = reader->apply_replicated(std::vector{item}, one_position);
        BOOST_REQUIRE(applied.ok());
        BOOST_CHECK_MESSAGE(applied->refused.size() == 1u && applied->kept == 0u, what);
    }
    BOOST_CHECK(!text_of(*reader, c, e, real.commitment).has_value());
    auto positions = reader->replicated_positions(1);
    BOOST_REQUIRE(positions.ok());
    BOOST_CHECK(positions->at(0) == offset{0});  // the forged position key was not taken
    // The real ones are kept, among forged ones, in their order.
    auto applied =
        reader->apply_replicated(std::vector{other_text, text_item, index_item}, one_position);
    BOOST_REQUIRE(applied.ok());
    BOOST_CHECK_EQUAL(applied->kept, 2u);
    BOOST_CHECK_EQUAL(applied->refused.size(), 1u);
    BOOST_CHECK(text_of(*reader, c, e, real.commitment) == real.personal.text);
}

BOOST_AUTO_TEST_CASE(an_erasure_whose_tombstones_cannot_be_written_deletes_nothing_yet) {
    temp_dir dir("personal-sink-down");
    auto writer = open_store(dir.path / "a");
    recorded sent;
    writer->replicate_to(sent.sink());
    const community_id c{5};
    const auto t = commit_fresh("Ann Smit, Lindelaan 7");
    const event_id e = random_event_id();
    BOOST_REQUIRE(writer->put(c, e, t.commitment, t.personal, std::vector{member_id{2}}).ok());
    sent.fail = true;
    sent.items.clear();
    auto erased = writer->erase_member(c, member_id{2});
    BOOST_REQUIRE(!erased.ok());
    BOOST_CHECK(erased.err().code == errc::log_unavailable);
    BOOST_CHECK(text_of(*writer, c, e, t.commitment) == t.personal.text);
    // A put whose item cannot be replicated fails too (its event is then not appended).
    const auto t2 = commit_fresh("Bob Kok");
    BOOST_CHECK(!writer->put(c, random_event_id(), t2.commitment, t2.personal, {}).ok());
    // Once the topic is back, the erasure goes through, tombstones first.
    sent.fail = false;
    erased = writer->erase_member(c, member_id{2});
    BOOST_REQUIRE(erased.ok());
    BOOST_CHECK_EQUAL(*erased, 1u);
    BOOST_CHECK_EQUAL(sent.items.size(), 2u);
    BOOST_CHECK(!text_of(*writer, c, e, t.commitment).has_value());
}

// The retention sweep's erasure (personal_store::erase_texts): a tombstone for each text due and
// every index entry of it, whoever it is indexed under, community by community, through the sink
// before the local delete; a second store that applies them loses those texts and keeps the
// others; a second sweep finds nothing left and sends nothing; and with the topic away nothing
// is deleted, so the next sweep sends them again.
BOOST_AUTO_TEST_CASE(texts_past_their_retention_go_as_tombstones_for_text_and_index_alike) {
    writer_and_reader two;
    auto& writer = two.writer;
    auto& reader = two.reader;
    auto& sent = two.sent;
    const community_id c{5}, d{6};
    const member_id ann{2}, bob{3};
    const auto due1 = commit_fresh("Ann Smit helpt Bob Kok, Lindelaan 7");
    const auto due2 = commit_fresh("Bob Kok zoekt hulp, Beukenweg 9");
    const auto kept = commit_fresh("Ann Smit biedt boodschappen aan");
    const event_id e1 = random_event_id(), e2 = random_event_id(), e3 = random_event_id();
    BOOST_REQUIRE(writer->put(c, e1, due1.commitment, due1.personal, std::vector{ann, bob}).ok());
    BOOST_REQUIRE(writer->put(d, e2, due2.commitment, due2.personal, std::vector{bob}).ok());
    BOOST_REQUIRE(writer->put(c, e3, kept.commitment, kept.personal, std::vector{ann}).ok());
    BOOST_REQUIRE(reader->apply_replicated(sent.all(), one_position).ok());
    sent.items.clear();

    const std::vector<text_ref> due{{c, e1, due1.commitment},
                                    {d, e2, due2.commitment},
                                    {c, e1, due1.commitment},  // named twice: counted once
                                    {c, random_event_id(), due1.commitment}};  // never here
    // The topic away: nothing deleted, nothing sent.
    sent.fail = true;
    BOOST_CHECK(!writer->erase_texts(due).ok());
    BOOST_CHECK(text_of(*writer, c, e1, due1.commitment) == due1.personal.text);
    sent.fail = false;
    auto erased = writer->erase_texts(due);
    BOOST_REQUIRE(erased.ok());
    BOOST_CHECK_EQUAL(*erased, 2u);
    // e1: its text and its two index entries (Ann's and Bob's), in community c; e2: its text and
    // Bob's entry, in community d. All tombstones.
    BOOST_CHECK_EQUAL(sent.items.size(), 3u + 2u);
    std::size_t in_c = 0;
    for (const auto& [community, item] : sent.items) {
        BOOST_CHECK(!item.value.has_value());
        in_c += community == c;
    }
    BOOST_CHECK_EQUAL(in_c, 3u);
    BOOST_CHECK(!text_of(*writer, c, e1, due1.commitment));
    BOOST_CHECK(!text_of(*writer, d, e2, due2.commitment));
    BOOST_CHECK(text_of(*writer, c, e3, kept.commitment) == kept.personal.text);
    // The index no longer names the deleted texts, for either member.
    for (const member_id m : {ann, bob}) {
        auto of = writer->texts_of(c, m);
        BOOST_REQUIRE(of.ok());
        for (const auto& t : *of) BOOST_CHECK(t.id == e3);
    }

    auto applied = reader->apply_replicated(sent.all(), one_position);
    BOOST_REQUIRE(applied.ok());
    BOOST_CHECK_EQUAL(applied->erased, 5u);
    BOOST_CHECK(!text_of(*reader, c, e1, due1.commitment));
    BOOST_CHECK(!text_of(*reader, d, e2, due2.commitment));
    BOOST_CHECK(text_of(*reader, c, e3, kept.commitment) == kept.personal.text);

    // Swept again: nothing left to delete, nothing sent.
    sent.items.clear();
    erased = writer->erase_texts(due);
    BOOST_REQUIRE(erased.ok());
    BOOST_CHECK_EQUAL(*erased, 0u);
    BOOST_CHECK(sent.items.empty());
}
