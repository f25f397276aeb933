// The write path's types in ledger/core: a stored envelope whose bytes and parts agree however
// it was made, the one canonical form of a body built from JSON (canonical_body), and a
// verified_event that only a signature check (or, said by name, a rebuild of the node's own
// log) can make.
#include <boost/test/unit_test.hpp>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <type_traits>

#include "ledger/core/merkle.h"
#include "ledger/core/personal.h"
#include "ledger/core/verified_event.h"
#include "schemas/event.capnp.h"

using namespace uurwerk;
namespace s = uurwerk::schema;

namespace {

// A claim whose note (committed to with an all-zero salt) makes its bytes differ.
event_body a_claim(const std::string& note) {
    event_id id;
    id.b.fill(0x42);
    return {id,
            community_id{7},
            member_id{3},
            sequence{9},
            time_ms{1700000000000},
            std::nullopt,
            hours_claimed{member_id{4}, minutes{90}, std::nullopt,
                          note.empty() ? text_commitment()
                                       : text_commitment(commit_text(personal_salt{}, note))}};
}

bytes as_bytes(kj::ArrayPtr<const capnp::word> words) {
    auto b = words.asBytes();
    return bytes(b.begin(), b.end());
}

}  // namespace

// A verified_event has no public constructor: the only ways to one are verify() and
// from_own_log(). (Copies and moves of one that exists are fine.)
static_assert(!std::is_constructible_v<verified_event, decoded_event>);
static_assert(!std::is_constructible_v<verified_event, stored_envelope>);
static_assert(!std::is_default_constructible_v<verified_event>);
static_assert(!std::is_constructible_v<decoded_event, stored_envelope, event_body>);
static_assert(!std::is_default_constructible_v<stored_envelope>);

BOOST_AUTO_TEST_SUITE(stored_envelope_)

BOOST_AUTO_TEST_CASE(encoding_the_parts_once_gives_the_stored_form_with_the_body_inside_it) {
    auto key = signing_key::generate().value();
    const envelope parts = key.seal(a_claim("tuin"));
    const auto e = stored_envelope::encode(parts);
    BOOST_CHECK(bytes(e.stored().begin(), e.stored().end()) == encode_envelope(parts));
    BOOST_CHECK(bytes(e.body().begin(), e.body().end()) == parts.body);
    // The body is a view into the stored bytes, not a copy.
    BOOST_CHECK(e.body().data() >= e.stored().data() &&
                e.body().data() + e.body().size() <= e.stored().data() + e.stored().size());
    BOOST_CHECK(e.signer() == parts.signer);
    BOOST_CHECK(e.sig() == parts.sig);
}

BOOST_AUTO_TEST_CASE(reading_stored_bytes_gives_the_same_parts_and_keeps_the_bytes) {
    auto key = signing_key::generate().value();
    const envelope parts = key.seal(a_claim("boodschappen"));
    const bytes stored = encode_envelope(parts);
    auto e = stored_envelope::read(stored);
    BOOST_REQUIRE(e.ok());
    BOOST_CHECK(bytes(e->stored().begin(), e->stored().end()) == stored);
    BOOST_CHECK(bytes(e->body().begin(), e->body().end()) == parts.body);
    BOOST_CHECK(e->signer() == parts.signer);
    BOOST_CHECK(e->sig() == parts.sig);
}

BOOST_AUTO_TEST_CASE(reading_refuses_what_decode_envelope_refuses) {
    auto key = signing_key::generate().value();
    bytes stored = encode_envelope(key.seal(a_claim("x")));
    auto longer = stored;
    longer.insert(longer.end(), 8, 0);  // a zero word after: not canonical
    BOOST_CHECK(!stored_envelope::read(longer).ok());
    BOOST_CHECK(!stored_envelope::read(bytes{}).ok());
    BOOST_CHECK(!stored_envelope::read(bytes(stored.begin(), stored.begin() + 24)).ok());
    // A signer of 31 bytes.
    capnp::MallocMessageBuilder m;
    auto b = m.initRoot<s::Envelope>();
    const bytes body = encode_body(a_claim("x"));
    b.setBody(kj::arrayPtr(body.data(), body.size()));
    std::array<std::uint8_t, 31> short_key{};
    b.setSigner(kj::arrayPtr(short_key.data(), short_key.size()));
    std::array<std::uint8_t, 64> sig{};
    b.setSignature(kj::arrayPtr(sig.data(), sig.size()));
    auto r = stored_envelope::read(as_bytes(capnp::canonicalize(b.asReader())));
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::bad_envelope);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(canonical_body_)

// What a JSON decoder's message builder leaves: the note left out (a null text), the optional
// post given empty, fields set in another order. The one form is encode_body's.
BOOST_AUTO_TEST_CASE(a_builder_s_message_ends_in_the_form_encode_body_writes) {
    capnp::MallocMessageBuilder m;
    auto b = m.initRoot<s::EventBody>();
    auto c = b.initHoursClaimed();
    c.setMinutes(90);
    c.setReceiver(4);
    c.setPost(kj::ArrayPtr<const capnp::byte>());  // "" in JSON: absent
    const auto want = a_claim("");
    b.setSeq(9);
    b.setCreatedAtMs(want.created_at.value);
    b.setAuthor(3);
    b.setCommunity(7);
    b.setId(kj::arrayPtr(want.id.b.data(), want.id.b.size()));
    const bytes builder_form = as_bytes(capnp::canonicalize(b.asReader()));
    BOOST_REQUIRE(!decode_body(builder_form).ok());  // not our form: the note is null
    auto one = canonical_body(builder_form);
    BOOST_REQUIRE_MESSAGE(one.ok(), (one.ok() ? "" : one.err().message));
    BOOST_CHECK(*one == encode_body(want));
    BOOST_CHECK(decode_body(*one).ok());
    // Canonical bytes are their own canonical form.
    auto again = canonical_body(*one);
    BOOST_REQUIRE(again.ok());
    BOOST_CHECK(*again == *one);
}

BOOST_AUTO_TEST_CASE(a_body_breaking_a_bound_has_no_canonical_form) {
    auto bad = a_claim("x");
    bad.seq = sequence{0};
    auto r = canonical_body(encode_body(bad));
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::bad_event);
    auto garbage = canonical_body(bytes(16, 0xff));
    BOOST_REQUIRE(!garbage.ok());
    BOOST_CHECK_EQUAL(garbage.err().code, errc::bad_event);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(verified_event_)

BOOST_AUTO_TEST_CASE(a_verified_event_carries_the_body_the_signer_and_both_digests) {
    auto key = signing_key::generate().value();
    const auto body = a_claim("ramen gelapt");
    auto decoded = read_event(stored_envelope::encode(key.seal(body)));
    BOOST_REQUIRE(decoded.ok());
    key_cache keys;
    auto v = verified_event::verify(std::move(*decoded), keys);
    BOOST_REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.err().message));
    BOOST_CHECK(v->body().id == body.id);
    BOOST_CHECK(encode_body(v->body()) == encode_body(body));
    BOOST_CHECK(v->signer() == key.public_bytes());
    BOOST_CHECK(v->body_digest() == sha256({v->envelope().body()}));
    BOOST_CHECK(v->leaf() == merkle_leaf_hash(v->stored()));
}

BOOST_AUTO_TEST_CASE(another_signer_a_changed_signature_or_a_changed_body_does_not_verify) {
    auto key = signing_key::generate().value();
    auto other = signing_key::generate().value();
    key_cache keys;
    envelope parts = key.seal(a_claim("eten koken"));

    auto claimed_by_other = parts;
    claimed_by_other.signer = other.public_bytes();
    auto r =
        verified_event::verify(read_event(stored_envelope::encode(claimed_by_other)).value(), keys);
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::bad_signature);

    auto bent = parts;
    bent.sig.b[10] ^= 1;
    r = verified_event::verify(read_event(stored_envelope::encode(bent)).value(), keys);
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::bad_signature);

    // Another body under the first body's signature.
    auto swapped = parts;
    swapped.body = encode_body(a_claim("eten koken!"));
    r = verified_event::verify(read_event(stored_envelope::encode(swapped)).value(), keys);
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::bad_signature);
}

BOOST_AUTO_TEST_CASE(a_body_not_in_its_one_form_is_refused_before_any_signature_check) {
    auto key = signing_key::generate().value();
    bytes body = encode_body(a_claim("x"));
    body.insert(body.end(), 8, 0);  // a signature over these bytes would verify
    auto r =
        read_event(stored_envelope::encode(body, key.public_bytes(), key.sign_event_body(body)));
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::bad_event);
}

// from_own_log trusts, and says so: it is for records this node verified before appending.
BOOST_AUTO_TEST_CASE(from_own_log_checks_no_signature_which_is_why_only_a_rebuild_uses_it) {
    auto key = signing_key::generate().value();
    envelope parts = key.seal(a_claim("x"));
    parts.sig.b[0] ^= 1;
    auto decoded = read_event(stored_envelope::encode(parts), form_check::trusted);
    BOOST_REQUIRE(decoded.ok());
    const auto v = verified_event::from_own_log(std::move(*decoded));
    BOOST_CHECK(v.leaf() == merkle_leaf_hash(encode_envelope(parts)));
    key_cache keys;
    BOOST_CHECK(!keys.verify_signed_body(v.signer(), v.envelope().body(), v.envelope().sig()));
}

BOOST_AUTO_TEST_SUITE_END()
