// The event model through ledger/core/event.h: every kind survives encode and decode unchanged, the
// encoding is canonical, and decode refuses every malformed, non-canonical or out-of-bounds
// input. Also the hex and base64 helpers, text bounds and the kind names, and the keyed hash of
// ids.

#include "ledger/core/event.h"
#include "ledger/core/id_table.h"

#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <kj/encoding.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <unordered_set>

#include "schemas/event.capnp.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::key_counting_from;
namespace s = uurwerk::schema;

namespace {
constexpr std::string_view base64_digits_for_test =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

namespace {

event_id id_of(std::uint8_t first) {
    event_id id;
    for (std::size_t i = 0; i < id.b.size(); ++i) id.b[i] = static_cast<std::uint8_t>(first + i);
    return id;
}
digest digest_of(std::uint8_t first) {
    digest d;
    for (std::size_t i = 0; i < d.b.size(); ++i) d.b[i] = static_cast<std::uint8_t>(first + i);
    return d;
}

bytes text_bytes(std::string_view s) {
    return bytes(s.begin(), s.end());
}

std::string repeat(std::string_view piece, std::size_t times) {
    std::string out;
    for (std::size_t i = 0; i < times; ++i) out += piece;
    return out;
}

// One payload of every kind, in event_kind order, with every field away from its default.
std::vector<event_payload> one_of_each_kind() {
    return {
        community_founded{"Uurwerk Utrecht-Oost",
                          policy{minutes{120}, minutes{4000}, minutes{180}}},
        policy_changed{policy{minutes{300}, minutes{9000}, minutes{240}}},
        node_key_announced{key_counting_from(0x20)},
        member_admitted{member_id{77}, key_counting_from(0x30), role::coordinator, true,
                        digest_of(0x40)},
        key_added{member_id{78}, key_counting_from(0x50)},
        key_revoked{member_id{79}, key_counting_from(0x60)},
        delegation_granted{
            member_id{80},
            {event_kind::hours_confirmed, event_kind::offer_posted, event_kind::checkpoint},
            time_ms{1'800'000'000'000}},
        delegation_revoked{member_id{81}},
        member_suspended{member_id{82}, digest_of(0x90)},
        member_reinstated{member_id{83}},
        offer_posted{
            post_body{category::gardening, digest_of(0x91), intensity::regularly, "3581", 0b101}},
        request_posted{post_body{category::computer_help, digest_of(0x92), intensity::sometimes,
                                 "3572", (1u << 20) | 1u}},
        post_withdrawn{id_of(0x70)},
        post_hidden{id_of(0x71), digest_of(0x93)},
        match_proposed{id_of(0x72), id_of(0x73), member_id{84}, 3, 2},
        match_accepted{id_of(0x74)},
        match_declined{id_of(0x75)},
        match_ended{id_of(0x76)},
        hours_claimed{member_id{85}, minutes{90}, id_of(0x77), digest_of(0x94)},
        hours_confirmed{id_of(0x78)},
        hours_disputed{id_of(0x79), digest_of(0x95)},
        transfer{member_id{86}, minutes{45}, digest_of(0x96)},
        reversal{id_of(0x7a), digest_of(0x97)},
        endorsement{member_id{87}, id_of(0x7b), digest_of(0x98)},
        checkpoint{12345, digest_of(0x80), time_ms{1'700'000'500'000}},
        member_left{member_id{88}},
        profile_updated{member_id{89}, digest_of(0x99)},
        auditor_appointed{key_counting_from(0x70), time_ms{1'767'225'600'000}},
        invitation_issued{invitation_purpose::join, member_id{90}, role::coordinator, true,
                          digest_of(0x9a), time_ms{1'767'225'600'001}},
        invitation_redeemed{id_of(0x7c),
                            invitation_code{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
        member_verified{member_id{91}},
    };
}

event_body body_with(event_payload payload) {
    event_body b;
    b.id = id_of(0x10);
    b.community = community_id{7};
    b.author = member_id{42};
    b.seq = sequence{9};
    b.created_at = time_ms{1'700'000'000'123};
    b.on_behalf_of = member_id{43};
    // A redemption is a new key's first event, for itself (decode refuses anything else).
    if (std::holds_alternative<invitation_redeemed>(payload)) {
        b.seq = sequence{1};
        b.on_behalf_of = std::nullopt;
    }
    b.payload = std::move(payload);
    return b;
}

// Each payload's fields as a tuple of references, so two values compare field by field. A kind
// without an overload here does not compile in same_payload.
auto fields(const community_founded& x) {
    return std::tie(x.name, x.rules);
}
auto fields(const policy_changed& x) {
    return std::tie(x.rules);
}
auto fields(const node_key_announced& x) {
    return std::tie(x.key);
}
auto fields(const member_admitted& x) {
    return std::tie(x.member, x.key, x.member_role, x.verified, x.profile_digest);
}
auto fields(const key_added& x) {
    return std::tie(x.member, x.key);
}
auto fields(const key_revoked& x) {
    return std::tie(x.member, x.key);
}
auto fields(const delegation_granted& x) {
    return std::tie(x.delegate, x.kinds, x.until);
}
auto fields(const delegation_revoked& x) {
    return std::tie(x.delegate);
}
auto fields(const member_suspended& x) {
    return std::tie(x.member, x.reason_digest);
}
auto fields(const member_reinstated& x) {
    return std::tie(x.member);
}
auto fields(const member_verified& x) {
    return std::tie(x.member);
}
auto fields(const post_body& x) {
    return std::tie(x.what, x.text_digest, x.how_often, x.area, x.availability);
}
auto fields(const post_withdrawn& x) {
    return std::tie(x.post);
}
auto fields(const post_hidden& x) {
    return std::tie(x.post, x.reason_digest);
}
auto fields(const match_proposed& x) {
    return std::tie(x.request, x.offer, x.helper, x.round, x.rank);
}
auto fields(const match_accepted& x) {
    return std::tie(x.match);
}
auto fields(const match_declined& x) {
    return std::tie(x.match);
}
auto fields(const match_ended& x) {
    return std::tie(x.match);
}
auto fields(const hours_claimed& x) {
    return std::tie(x.receiver, x.amount, x.post, x.note_digest);
}
auto fields(const hours_confirmed& x) {
    return std::tie(x.claim);
}
auto fields(const hours_disputed& x) {
    return std::tie(x.claim, x.reason_digest);
}
auto fields(const transfer& x) {
    return std::tie(x.to, x.amount, x.note_digest);
}
auto fields(const reversal& x) {
    return std::tie(x.target, x.reason_digest);
}
auto fields(const endorsement& x) {
    return std::tie(x.member, x.claim, x.text_digest);
}
auto fields(const checkpoint& x) {
    return std::tie(x.tree_size, x.root, x.timestamp);
}
auto fields(const member_left& x) {
    return std::tie(x.member);
}
auto fields(const profile_updated& x) {
    return std::tie(x.member, x.profile_digest);
}
auto fields(const auditor_appointed& x) {
    return std::tie(x.key, x.until);
}
// Without the purpose: only a join (purpose 0) may set a role and the verified flag, so no one
// sample sets every field (invitation_purposes_round_trip covers the others).
auto fields(const invitation_issued& x) {
    return std::tie(x.member, x.member_role, x.verified, x.code_digest, x.until);
}
auto fields(const invitation_redeemed& x) {
    return std::tie(x.invitation, x.code);
}

bool same_payload(const event_payload& a, const event_payload& b) {
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            return fields(x) == fields(std::get<T>(b));
        },
        a);
}

bool same_body(const event_body& a, const event_body& b) {
    return a.id == b.id && a.community == b.community && a.author == b.author && a.seq == b.seq &&
           a.created_at == b.created_at && a.on_behalf_of == b.on_behalf_of &&
           same_payload(a.payload, b.payload);
}

// True when every field of `x` differs from the same field of a default-made value, so that a
// field the codec forgets cannot round-trip by luck.
template <typename T>
bool every_field_set(const T& x) {
    const T empty{};
    auto a = fields(x);
    auto b = fields(empty);
    return [&]<std::size_t... i>(std::index_sequence<i...>) {
        return ((std::get<i>(a) != std::get<i>(b)) && ...);
    }
    (std::make_index_sequence<std::tuple_size_v<decltype(a)>>{});
}

bytes to_bytes(kj::ArrayPtr<const capnp::word> words) {
    auto b = words.asBytes();
    return bytes(b.begin(), b.end());
}

// The canonical bytes of an EventBody built by hand: valid common fields, then `fill` sets the
// payload and may spoil anything.
template <typename Fill>
bytes build_body(Fill&& fill) {
    capnp::MallocMessageBuilder message;
    auto b = message.initRoot<s::EventBody>();
    auto id = id_of(0x10);
    b.setId(kj::arrayPtr(id.b.data(), id.b.size()));
    b.setCommunity(7);
    b.setAuthor(42);
    b.setSeq(9);
    b.setCreatedAtMs(1'700'000'000'123);
    fill(b);
    return to_bytes(capnp::canonicalize(b.asReader()));
}

// An hours claim built by hand with the given minutes.
bytes claim_bytes(std::int64_t claim_minutes) {
    return build_body([&](s::EventBody::Builder b) {
        auto c = b.initHoursClaimed();
        c.setReceiver(85);
        c.setMinutes(claim_minutes);
    });
}

// An offer built by hand with the given area (a text that stays in the log, bounded and UTF-8).
bytes area_bytes(const std::string& area) {
    return build_body([&](s::EventBody::Builder b) {
        b.initOfferPosted().setArea(capnp::Text::Reader(area.c_str(), area.size()));  // NUL kept
    });
}

// The error's message, or "" for a value (Boost evaluates a check's message even when it passes).
template <typename T>
std::string why(const result<T>& r) {
    return r.ok() ? "" : r.err().message;
}

void check_rejected(const result<event_body>& r, std::string_view mentions, std::string_view what) {
    BOOST_REQUIRE_MESSAGE(!r.ok(), what << ": was accepted");
    BOOST_CHECK_EQUAL(r.err().code, errc::bad_event);
    BOOST_CHECK_MESSAGE(
        r.err().message.find(mentions) != std::string::npos,
        what << ": message \"" << r.err().message << "\" should mention \"" << mentions << "\"");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(round_trips)

BOOST_AUTO_TEST_CASE(the_samples_cover_every_kind_in_order_with_every_field_set) {
    auto payloads = one_of_each_kind();
    BOOST_REQUIRE_EQUAL(payloads.size(), event_kind_count);
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        BOOST_CHECK_EQUAL(payloads[i].index(), i);
        BOOST_CHECK_MESSAGE(
            std::visit([](const auto& x) { return every_field_set(x); }, payloads[i]),
            kind_name(static_cast<event_kind>(i)) << " has a default field");
    }
}

BOOST_AUTO_TEST_CASE(every_kind_survives_encode_and_decode_field_by_field) {
    for (auto& payload : one_of_each_kind()) {
        const auto body = body_with(payload);
        const auto name = kind_name(body.kind());
        auto bytes = encode_body(body);
        BOOST_CHECK_EQUAL(bytes.size() % 8, 0u);
        BOOST_CHECK_LE(bytes.size(), envelope_bytes_max);
        auto decoded = decode_body(bytes);
        BOOST_REQUIRE_MESSAGE(decoded.ok(), name << ": " << why(decoded));
        BOOST_CHECK_MESSAGE(decoded->kind() == body.kind(), name);
        BOOST_CHECK_MESSAGE(same_body(*decoded, body), name << " changed in the round trip");
        BOOST_CHECK_MESSAGE(validate_body(body).ok(), name);
    }
}

BOOST_AUTO_TEST_CASE(every_kind_re_encodes_to_the_very_same_bytes) {
    std::set<bytes> seen;
    for (auto& payload : one_of_each_kind()) {
        auto bytes = encode_body(body_with(payload));
        auto decoded = decode_body(bytes);
        BOOST_REQUIRE(decoded.ok());
        BOOST_CHECK_MESSAGE(encode_body(*decoded) == bytes, kind_name(decoded->kind()));
        BOOST_CHECK(encode_body(body_with(payload)) == bytes);  // deterministic
        seen.insert(bytes);
    }
    BOOST_CHECK_EQUAL(seen.size(), event_kind_count);  // no two kinds encode alike
}

BOOST_AUTO_TEST_CASE(optional_fields_left_empty_round_trip_as_empty) {
    auto body = body_with(hours_claimed{member_id{85}, minutes{1}, std::nullopt, std::nullopt});
    body.on_behalf_of.reset();
    auto decoded = decode_body(encode_body(body));
    BOOST_REQUIRE(decoded.ok());
    BOOST_CHECK(same_body(*decoded, body));
    BOOST_CHECK(!decoded->on_behalf_of.has_value());
    BOOST_CHECK(decoded->actor() == member_id{42});
    BOOST_CHECK(!std::get<hours_claimed>(decoded->payload).post.has_value());

    auto admitted =
        body_with(member_admitted{member_id{5}, key_counting_from(1), role::member, false, {}});
    auto decoded_admitted = decode_body(encode_body(admitted));
    BOOST_REQUIRE(decoded_admitted.ok());
    BOOST_CHECK(same_body(*decoded_admitted, admitted));
    BOOST_CHECK(!std::get<member_admitted>(decoded_admitted->payload).profile_digest);
    BOOST_CHECK(decoded_admitted->actor() == member_id{43});
}

BOOST_AUTO_TEST_CASE(invitation_purposes_round_trip) {
    for (auto purpose : {invitation_purpose::join, invitation_purpose::add_device,
                         invitation_purpose::replace_keys}) {
        const auto body = body_with(invitation_issued{purpose, member_id{90}, role::member, false,
                                                      digest_of(0x9a), time_ms{1'000}});
        auto decoded = decode_body(encode_body(body));
        BOOST_REQUIRE_MESSAGE(decoded.ok(), why(decoded));
        BOOST_CHECK(std::get<invitation_issued>(decoded->payload).purpose == purpose);
        BOOST_CHECK_EQUAL(
            purpose_from_name(purpose_name(purpose)).value_or(invitation_purpose::join) == purpose,
            true);
    }
    BOOST_CHECK(!purpose_from_name("addDevice"));
}

BOOST_AUTO_TEST_CASE(a_transfer_to_the_community_fund_round_trips) {
    auto body = body_with(transfer{community_fund, minutes{10080}, std::nullopt});
    auto decoded = decode_body(encode_body(body));
    BOOST_REQUIRE(decoded.ok());
    BOOST_CHECK(same_body(*decoded, body));
}

BOOST_AUTO_TEST_CASE(an_envelope_round_trips_through_its_stored_form) {
    envelope e{encode_body(body_with(one_of_each_kind()[18])), key_counting_from(0x90),
               signature{}};
    for (std::size_t i = 0; i < e.sig.b.size(); ++i)
        e.sig.b[i] = static_cast<std::uint8_t>(200 - i);
    auto stored = encode_envelope(e);
    BOOST_CHECK_EQUAL(stored.size() % 8, 0u);
    auto back = decode_envelope(stored);
    BOOST_REQUIRE_MESSAGE(back.ok(), why(back));
    BOOST_CHECK(back->body == e.body);
    BOOST_CHECK(back->signer == e.signer);
    BOOST_CHECK(back->sig == e.sig);
    BOOST_CHECK(encode_envelope(*back) == stored);
}

// Decoding reads aligned bytes in place and copies the others: both give the same answers.
BOOST_AUTO_TEST_CASE(bytes_at_any_alignment_decode_alike) {
    const auto body = encode_body(body_with(one_of_each_kind()[18]));
    const auto stored = encode_envelope(envelope{body, key_counting_from(0x90), signature{}});
    auto zero_word_after = body;
    zero_word_after.insert(zero_word_after.end(), 8, 0);
    for (std::size_t shift = 0; shift < 8; ++shift) {
        std::vector<std::uint8_t> room(shift + stored.size() + 8);
        auto at = [&](const bytes& b) {
            std::copy(b.begin(), b.end(), room.begin() + static_cast<std::ptrdiff_t>(shift));
            return byte_view(room.data() + shift, b.size());
        };
        auto env = decode_envelope(at(stored));
        BOOST_REQUIRE_MESSAGE(env.ok(), "shift " << shift << ": " << why(env));
        BOOST_CHECK(env->body == body);
        auto b = decode_body(at(body));
        BOOST_REQUIRE_MESSAGE(b.ok(), "shift " << shift << ": " << why(b));
        BOOST_CHECK(encode_body(*b) == body);
        check_rejected(decode_body(at(zero_word_after)), "canonical", "zero word appended");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(decode_refuses)

BOOST_AUTO_TEST_CASE(empty_input) {
    check_rejected(decode_body({}), "multiple of 8", "empty");
}

BOOST_AUTO_TEST_CASE(input_whose_length_is_not_a_multiple_of_eight) {
    auto good = encode_body(body_with(one_of_each_kind()[0]));
    for (std::size_t n : {1u, 7u, 9u, 12u, 15u}) {
        bytes b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        check_rejected(decode_body(b), "multiple of 8", std::to_string(n) + " bytes");
    }
    bytes longer = good;
    longer.push_back(0);
    check_rejected(decode_body(longer), "multiple of 8", "one byte added");
}

BOOST_AUTO_TEST_CASE(input_larger_than_an_envelope_may_be) {
    bytes big(envelope_bytes_max + 8, 0);
    check_rejected(decode_body(big), "at most", "too large");
}

BOOST_AUTO_TEST_CASE(garbage_bytes) {
    for (std::uint8_t fill : {0x00, 0xab, 0xff, 0x01}) {
        bytes b(64, fill);
        BOOST_CHECK_MESSAGE(!decode_body(b).ok(), "64 bytes of " << int(fill));
    }
    std::mt19937 rng(4711);
    for (int trial = 0; trial < 500; ++trial) {
        bytes b(8 * (1 + rng() % 40));
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        BOOST_CHECK_MESSAGE(!decode_body(b).ok(), "random trial " << trial);
    }
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_valid_body) {
    for (auto& payload : one_of_each_kind()) {
        auto good = encode_body(body_with(payload));
        for (std::size_t n = 8; n < good.size(); n += 8) {
            bytes b(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
            BOOST_CHECK_MESSAGE(!decode_body(b).ok(),
                                kind_name(static_cast<event_kind>(payload.index()))
                                    << " cut to " << n);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_canonical_body_with_a_zero_word_appended) {
    auto b = encode_body(body_with(one_of_each_kind()[18]));
    b.insert(b.end(), 8, 0);
    check_rejected(decode_body(b), "canonical", "zero word appended");
}

BOOST_AUTO_TEST_CASE(a_body_laid_out_in_builder_order_rather_than_canonical_order) {
    // The payload is allocated before the id, so the id's bytes follow the payload's: valid
    // Cap'n Proto, but not the canonical layout.
    capnp::MallocMessageBuilder message;
    auto b = message.initRoot<s::EventBody>();
    auto c = b.initHoursClaimed();
    c.setReceiver(85);
    c.setMinutes(60);
    c.setNoteDigest(kj::heapArray<kj::byte>(32).asPtr());
    auto id = id_of(0x10);
    b.setId(kj::arrayPtr(id.b.data(), id.b.size()));
    b.setCommunity(7);
    b.setSeq(9);
    auto segments = message.getSegmentsForOutput();
    BOOST_REQUIRE_EQUAL(segments.size(), 1u);
    auto as_built = to_bytes(segments[0]);
    auto canonical = to_bytes(capnp::canonicalize(b.asReader()));
    BOOST_REQUIRE(as_built != canonical);
    BOOST_CHECK(decode_body(canonical).ok());  // the same content, laid out canonically
    check_rejected(decode_body(as_built), "canonical", "builder layout");
}

BOOST_AUTO_TEST_CASE(an_id_of_fifteen_or_seventeen_bytes) {
    for (std::size_t n : {0u, 15u, 17u}) {
        auto b = build_body([&](s::EventBody::Builder b) {
            std::vector<std::uint8_t> id(n, 0x33);
            b.setId(kj::arrayPtr(id.data(), id.size()));
            b.initMatchEnded().setMatch(kj::arrayPtr(id_of(1).b.data(), 16));
        });
        check_rejected(decode_body(b), "id must be 16 bytes", std::to_string(n) + "-byte id");
    }
}

BOOST_AUTO_TEST_CASE(referenced_ids_keys_and_digests_of_the_wrong_length) {
    std::vector<std::uint8_t> fifteen(15, 1), thirty_one(31, 2), empty;
    auto ptr = [](const std::vector<std::uint8_t>& v) { return kj::arrayPtr(v.data(), v.size()); };
    check_rejected(decode_body(build_body([&](s::EventBody::Builder b) {
                       b.initHoursConfirmed().setClaim(ptr(fifteen));
                   })),
                   "claim", "15-byte claim");
    check_rejected(decode_body(build_body([&](s::EventBody::Builder b) {
                       b.initMatchAccepted().setMatch(ptr(empty));
                   })),
                   "match", "empty match");
    check_rejected(decode_body(build_body([&](s::EventBody::Builder b) {
                       auto k = b.initKeyAdded();
                       k.setMember(3);
                       k.setKey(ptr(thirty_one));
                   })),
                   "key", "31-byte key");
    check_rejected(decode_body(build_body([&](s::EventBody::Builder b) {
                       auto c = b.initCheckpoint();
                       c.setTreeSize(1);
                       c.setRootHash(ptr(thirty_one));
                   })),
                   "rootHash", "31-byte root");
    check_rejected(decode_body(build_body([&](s::EventBody::Builder b) {
                       auto c = b.initHoursClaimed();
                       c.setReceiver(85);
                       c.setMinutes(5);
                       c.setPost(ptr(fifteen));
                       c.setNote("");
                   })),
                   "post", "15-byte post in a claim");
}

BOOST_AUTO_TEST_CASE(a_free_text_in_the_log_is_refused_in_every_kind_that_had_one) {
    // Format 12: the text fields of before must be empty; the text travels beside the event
    // and the body holds its commitment (ledger/core/personal.h).
    const std::string text = "Jan de Vries, Kerkstraat 12, 06-12345678";
    const std::vector<std::pair<std::string, std::function<void(s::EventBody::Builder)>>> kinds{
        {"reason",
         [&](s::EventBody::Builder b) {
             auto x = b.initMemberSuspended();
             x.setMember(5);
             x.setReason(text);
         }},
        {"text", [&](s::EventBody::Builder b) { b.initOfferPosted().setText(text); }},
        {"text", [&](s::EventBody::Builder b) { b.initRequestPosted().setText(text); }},
        {"reason",
         [&](s::EventBody::Builder b) {
             auto x = b.initPostHidden();
             x.setPost(kj::heapArray<kj::byte>(16).asPtr());
             x.setReason(text);
         }},
        {"note",
         [&](s::EventBody::Builder b) {
             auto x = b.initHoursClaimed();
             x.setReceiver(85);
             x.setMinutes(60);
             x.setNote(text);
         }},
        {"reason",
         [&](s::EventBody::Builder b) {
             auto x = b.initHoursDisputed();
             x.setClaim(kj::heapArray<kj::byte>(16).asPtr());
             x.setReason(text);
         }},
        {"note",
         [&](s::EventBody::Builder b) {
             auto x = b.initTransfer();
             x.setMinutes(60);
             x.setNote(text);
         }},
        {"reason",
         [&](s::EventBody::Builder b) {
             auto x = b.initReversal();
             x.setTarget(kj::heapArray<kj::byte>(16).asPtr());
             x.setReason(text);
         }},
        {"text",
         [&](s::EventBody::Builder b) {
             auto x = b.initEndorsement();
             x.setMember(5);
             x.setClaim(kj::heapArray<kj::byte>(16).asPtr());
             x.setText(text);
         }},
    };
    for (const auto& [field, fill] : kinds) {
        auto r = decode_body(build_body(fill));
        check_rejected(r, "not kept in the log", field);
        if (!r.ok())
            BOOST_CHECK_MESSAGE(r.err().message.starts_with(field + " must be empty"),
                                r.err().message);
    }
}

BOOST_AUTO_TEST_CASE(a_commitment_of_the_wrong_length_is_refused) {
    for (std::size_t n : {1u, 31u, 33u}) {
        auto r = decode_body(build_body([&](s::EventBody::Builder b) {
            auto x = b.initHoursClaimed();
            x.setReceiver(85);
            x.setMinutes(60);
            x.setNoteDigest(kj::heapArray<kj::byte>(n).asPtr());
        }));
        check_rejected(r, "noteDigest", std::to_string(n) + " bytes");
    }
}

BOOST_AUTO_TEST_CASE(names_and_areas_over_their_own_bounds) {
    auto founded = [](const std::string& name) {
        return build_body([&](s::EventBody::Builder b) {
            auto f = b.initCommunityFounded();
            f.setName(name);
            auto p = f.initPolicy();
            p.setCreditLimitMinutes(600);
            p.setBalanceMaxMinutes(6000);
            p.setClaimMinutesMax(1440);
        });
    };
    BOOST_CHECK(decode_body(founded(repeat("n", community_name_chars_max))).ok());
    check_rejected(decode_body(founded(repeat("n", community_name_chars_max + 1))), "name",
                   "81-character name");
    auto offer = [](const std::string& area) {
        return build_body([&](s::EventBody::Builder b) {
            auto p = b.initOfferPosted();
            p.setArea(area);
        });
    };
    BOOST_CHECK(decode_body(offer(repeat("9", area_chars_max))).ok());
    check_rejected(decode_body(offer(repeat("9", area_chars_max + 1))), "area", "33-char area");
}

BOOST_AUTO_TEST_CASE(text_that_is_not_valid_utf8) {
    for (std::string bad : {
             std::string("\xff"),              // never in UTF-8
             std::string("ab\xc3"),            // cut short
             std::string("\x80xyz"),           // a continuation byte first
             std::string("\xe2\x82"),          // three-byte form cut short
             std::string("a\0b", 3),           // NUL
             std::string("\xc0\xaf"),          // overlong '/'
             std::string("\xe0\x80\xaf"),      // overlong '/' in three bytes
             std::string("\xed\xa0\x80"),      // UTF-16 surrogate U+D800
             std::string("\xf4\x90\x80\x80"),  // U+110000, past Unicode
             std::string("\xf8\x88\x80\x80\x80"),
         }) {
        check_rejected(decode_body(area_bytes(bad)), "UTF-8", "bytes " + to_hex(text_bytes(bad)));
    }
}

BOOST_AUTO_TEST_CASE(a_text_with_an_embedded_nul_is_kept_by_encode_and_refused) {
    // encode_body must not cut the area at the NUL (which would sign "a" for a body saying
    // "a\0b"); the whole text is encoded, and decode and validate_body refuse it.
    auto body = body_with(offer_posted{
        post_body{category::other, std::nullopt, intensity::once, std::string("a\0b", 3), 0}});
    auto encoded = encode_body(body);
    const std::string tail = "\0b";
    BOOST_CHECK(std::search(encoded.begin(), encoded.end(), tail.begin(), tail.end()) !=
                encoded.end());
    check_rejected(decode_body(encoded), "UTF-8", "area with a NUL");
    BOOST_CHECK(!validate_body(body).ok());
}

BOOST_AUTO_TEST_CASE(community_zero_and_seq_zero) {
    check_rejected(decode_body(build_body([](s::EventBody::Builder b) {
                       b.setCommunity(0);
                       b.initMemberReinstated().setMember(3);
                   })),
                   "community", "community 0");
    check_rejected(decode_body(build_body([](s::EventBody::Builder b) {
                       b.setSeq(0);
                       b.initMemberReinstated().setMember(3);
                   })),
                   "seq", "seq 0");
    BOOST_CHECK(decode_body(build_body([](s::EventBody::Builder b) {
                    b.initMemberReinstated().setMember(3);
                })).ok());
}

BOOST_AUTO_TEST_CASE(a_device_invitation_that_names_a_role_or_verifies) {
    // Only a newcomer is given a role: a device invitation can never make anyone a coordinator.
    for (auto purpose : {s::InvitationPurpose::ADD_DEVICE, s::InvitationPurpose::REPLACE_KEYS}) {
        for (bool coordinator : {true, false}) {
            auto bytes = build_body([&](s::EventBody::Builder b) {
                auto x = b.initInvitationIssued();
                x.setPurpose(purpose);
                x.setMember(90);
                x.setRole(coordinator ? s::Role::COORDINATOR : s::Role::MEMBER);
                x.setVerified(!coordinator);
                auto d = digest_of(1);
                x.setCodeDigest(kj::arrayPtr(d.b.data(), d.b.size()));
                x.setUntilMs(1'000);
            });
            check_rejected(decode_body(bytes), "join invitation only", "device invitation");
        }
    }
}

BOOST_AUTO_TEST_CASE(a_redemption_that_is_not_a_new_keys_first_event_for_itself) {
    auto redeem = [](std::uint64_t seq, std::uint64_t on_behalf_of, std::size_t code_bytes) {
        return build_body([&](s::EventBody::Builder b) {
            b.setSeq(seq);
            b.setOnBehalfOf(on_behalf_of);
            auto x = b.initInvitationRedeemed();
            auto id = id_of(3);
            x.setInvitation(kj::arrayPtr(id.b.data(), id.b.size()));
            std::vector<std::uint8_t> code(code_bytes, 7);
            x.setCode(kj::arrayPtr(code.data(), code.size()));
        });
    };
    BOOST_CHECK(decode_body(redeem(1, 0, 16)).ok());
    check_rejected(decode_body(redeem(2, 0, 16)), "seq 1", "second sequence number");
    check_rejected(decode_body(redeem(1, 43, 16)), "onBehalfOf 0", "for someone else");
    check_rejected(decode_body(redeem(1, 0, 15)), "code must be 16 bytes", "short code");
    check_rejected(decode_body(redeem(1, 0, 0)), "code must be 16 bytes", "no code");
}

BOOST_AUTO_TEST_CASE(claims_of_zero_negative_or_too_many_minutes) {
    for (std::int64_t m : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{-60},
                           minutes_per_event_max + 1, std::numeric_limits<std::int64_t>::min()})
        check_rejected(decode_body(claim_bytes(m)), "minutes", std::to_string(m) + " min");
    BOOST_CHECK(decode_body(claim_bytes(1)).ok());
    BOOST_CHECK(decode_body(claim_bytes(minutes_per_event_max)).ok());
    check_rejected(decode_body(build_body([](s::EventBody::Builder b) {
                       auto t = b.initTransfer();
                       t.setTo(3);
                       t.setMinutes(0);
                       t.setNote("");
                   })),
                   "minutes", "transfer of 0");
}

BOOST_AUTO_TEST_CASE(member_id_zero_where_a_member_is_named) {
    check_rejected(decode_body(build_body(
                       [](s::EventBody::Builder b) { b.initHoursClaimed().setMinutes(5); })),
                   "receiver", "receiver 0");
    check_rejected(decode_body(build_body([](s::EventBody::Builder b) {
                       auto m = b.initMemberAdmitted();
                       auto k = key_counting_from(1);
                       m.setKey(kj::arrayPtr(k.b.data(), k.b.size()));
                   })),
                   "member", "admitted member 0");
}

BOOST_AUTO_TEST_CASE(enum_values_the_schema_does_not_know) {
    check_rejected(decode_body(build_body([](s::EventBody::Builder b) {
                       auto p = b.initOfferPosted();
                       p.setCategory(static_cast<s::Category>(category_count));
                       p.setArea("");
                   })),
                   "category", "category 10");
    check_rejected(decode_body(build_body([](s::EventBody::Builder b) {
                       auto p = b.initRequestPosted();
                       p.setIntensity(static_cast<s::Intensity>(3));
                       p.setArea("");
                   })),
                   "intensity", "intensity 3");
    check_rejected(decode_body(build_body([](s::EventBody::Builder b) {
                       auto m = b.initMemberAdmitted();
                       m.setMember(5);
                       auto k = key_counting_from(1);
                       m.setKey(kj::arrayPtr(k.b.data(), k.b.size()));
                       m.setRole(static_cast<s::Role>(2));
                   })),
                   "role", "role 2");
    check_rejected(decode_body(build_body([](s::EventBody::Builder b) {
                       auto g = b.initDelegationGranted();
                       g.setDelegate(5);
                       auto kinds = g.initKinds(2);
                       kinds.set(0, s::EventKind::TRANSFER);
                       kinds.set(1, static_cast<s::EventKind>(event_kind_count));
                   })),
                   "kinds", "kind 25 in a delegation");
}

BOOST_AUTO_TEST_CASE(a_union_member_the_schema_does_not_know) {
    // Patch the union's discriminant (found through the schema) from hoursClaimed to 31, as a
    // future schema might write: still canonical Cap'n Proto, but no kind this code knows.
    auto b = encode_body(body_with(one_of_each_kind()[18]));
    auto offset =
        capnp::Schema::from<s::EventBody>().getProto().getStruct().getDiscriminantOffset();
    std::size_t at = 8 + 2 * std::size_t{offset};  // root pointer, then the data section
    BOOST_REQUIRE_LT(at + 1, b.size());
    BOOST_REQUIRE_EQUAL(b[at] | b[at + 1] << 8, static_cast<int>(event_kind::hours_claimed));
    b[at] = 31;
    check_rejected(decode_body(b), "unknown event kind", "discriminant 31");
}

BOOST_AUTO_TEST_CASE(policies_out_of_bounds) {
    auto changed = [](std::int64_t credit, std::int64_t balance_max, std::int64_t claim_max) {
        return build_body([&](s::EventBody::Builder b) {
            auto p = b.initPolicyChanged().initPolicy();
            p.setCreditLimitMinutes(credit);
            p.setBalanceMaxMinutes(balance_max);
            p.setClaimMinutesMax(claim_max);
        });
    };
    BOOST_CHECK(decode_body(changed(0, 1, 1)).ok());
    check_rejected(decode_body(changed(-1, 6000, 60)), "creditLimitMinutes", "negative credit");
    check_rejected(decode_body(changed(600, 0, 60)), "balanceMaxMinutes", "zero balance max");
    check_rejected(decode_body(changed(600, 6000, 0)), "claimMinutesMax", "zero claim max");
    check_rejected(decode_body(changed(600, 6000, minutes_per_event_max + 1)), "claimMinutesMax",
                   "claim max over a week");
    // A policyChanged body with the three limits in range and `set` applied to its policy.
    auto with_policy = [](const std::function<void(s::Policy::Builder)>& set) {
        return build_body([&](s::EventBody::Builder b) {
            auto p = b.initPolicyChanged().initPolicy();
            p.setCreditLimitMinutes(600);
            p.setBalanceMaxMinutes(6000);
            p.setClaimMinutesMax(60);
            set(p);
        });
    };
    // The knobs in days: 0 (the default) or 1 to their maximum, kept through a round trip; past
    // it refused, naming the field. The contact window (30 days, at most 365) and the retention
    // period of closed posts' and settled claims' texts (730 days, at most 3650).
    struct days_knob {
        std::string field;
        void (s::Policy::Builder::*set)(std::uint32_t);
        std::uint32_t (*of)(const policy&);
        std::uint32_t default_days;
        std::uint32_t max_days;
    };
    for (const days_knob& k :
         {days_knob{"contactWindowDays", &s::Policy::Builder::setContactWindowDays,
                    &contact_window_days_of, 30, 365},
          days_knob{"retentionDays", &s::Policy::Builder::setRetentionDays, &retention_days_of, 730,
                    3650}}) {
        BOOST_TEST_CONTEXT(k.field) {
            auto with = [&](std::uint32_t days) {
                return with_policy([&](s::Policy::Builder p) { (p.*k.set)(days); });
            };
            for (std::uint32_t days : {0u, 1u, k.max_days}) {
                auto ok = decode_body(with(days));
                BOOST_REQUIRE(ok.ok());
                const auto& rules = std::get<policy_changed>(ok->payload).rules;
                BOOST_CHECK_EQUAL(k.of(rules), days == 0 ? k.default_days : days);
                auto again = decode_body(encode_body(*ok));
                BOOST_REQUIRE(again.ok());
                BOOST_CHECK(std::get<policy_changed>(again->payload).rules == rules);
            }
            check_rejected(decode_body(with(k.max_days + 1)), k.field, "a day past the maximum");
            check_rejected(decode_body(with(0xffffffffu)), k.field, "the largest UInt32");
        }
    }
    // The public impact page: closed unless the signed policy says so, and kept through a round
    // trip either way.
    for (const bool open : {false, true}) {
        auto ok = decode_body(with_policy([&](s::Policy::Builder p) { p.setPublicImpact(open); }));
        BOOST_REQUIRE(ok.ok());
        const auto& rules = std::get<policy_changed>(ok->payload).rules;
        BOOST_CHECK(rules.public_impact == (open ? impact_page::open : impact_page::closed));
        auto again = decode_body(encode_body(*ok));
        BOOST_REQUIRE(again.ok());
        BOOST_CHECK(std::get<policy_changed>(again->payload).rules == rules);
    }
}

BOOST_AUTO_TEST_CASE(bytes_that_are_canonical_capnp_but_not_what_encode_writes) {
    // Cap'n Proto calls a null text pointer canonical, and it reads as "". encode_body always
    // writes a post's area, so these bytes are a second encoding of one value; a signed format
    // must have only one.
    auto without_area = build_body([](s::EventBody::Builder b) { b.initOfferPosted(); });
    check_rejected(decode_body(without_area), "canonical", "an offer without its area pointer");
    auto without_post = build_body([](s::EventBody::Builder b) { b.initOfferPosted(); });
    check_rejected(decode_body(without_post), "canonical", "an offer without its texts");
}

BOOST_AUTO_TEST_CASE(a_trusted_decode_skips_only_the_exact_form_check) {
    // What a rebuild reads from this node's own log: bytes that passed the exact check before
    // they were appended. It decodes every kind to the same value, and still refuses what Cap'n
    // Proto does not call canonical; only the second encoding of one value gets through.
    for (auto& payload : one_of_each_kind()) {
        const auto body = body_with(payload);
        const auto b = encode_body(body);
        auto exact = decode_body(b);
        auto trusted = decode_body(b, form_check::trusted);
        BOOST_REQUIRE(exact.ok() && trusted.ok());
        BOOST_CHECK(encode_body(*trusted) == b);
        envelope e{b, public_key{}, signature{}};
        e.signer.b[0] = 7;
        const auto stored = encode_envelope(e);
        auto env = decode_envelope(stored, form_check::trusted);
        BOOST_REQUIRE(env.ok());
        BOOST_CHECK(env->body == b && env->signer == e.signer);
    }
    auto without_area = build_body([](s::EventBody::Builder b) { b.initOfferPosted(); });
    check_rejected(decode_body(without_area), "canonical", "exact: an offer without its area");
    BOOST_CHECK(decode_body(without_area, form_check::trusted).ok());
    // Not canonical at all (a word of padding after the message): refused either way.
    auto padded = encode_body(body_with(one_of_each_kind()[0]));
    padded.insert(padded.end(), 8, 0);
    check_rejected(decode_body(padded, form_check::trusted), "canonical", "trusted: padding");
    BOOST_CHECK(!decode_envelope(bytes{1, 2, 3}, form_check::trusted).ok());
}

BOOST_AUTO_TEST_CASE(set_bits_the_schema_does_not_use_or_fields_it_does_not_know) {
    auto good = encode_body(body_with(one_of_each_kind()[18]));
    auto offset =
        capnp::Schema::from<s::EventBody>().getProto().getStruct().getDiscriminantOffset();
    std::size_t at = 8 + 2 * std::size_t{offset};
    BOOST_REQUIRE_EQUAL(at % 8, 0u);  // the discriminant opens a word that nothing else uses
    for (std::size_t i = at + 2; i < at + 8; ++i) {
        auto b = good;
        b[i] = 1;
        check_rejected(decode_body(b), "canonical", "unused byte " + std::to_string(i));
    }
    // hoursClaimed -> hoursConfirmed: the claim's struct is read as a ClaimRef, whose schema knows
    // one pointer of the claim's two pointers and two data words.
    auto b = good;
    b[at] = static_cast<std::uint8_t>(event_kind::hours_confirmed);
    check_rejected(decode_body(b), "canonical", "a claim read as a confirmation");
}

BOOST_AUTO_TEST_CASE(nothing_that_decodes_re_encodes_differently_under_single_byte_changes) {
    // Flip each byte of each kind's encoding in turn: decode must never crash, and whatever it
    // accepts must be exactly what encode_body writes for the value it returns.
    std::size_t accepted = 0, different = 0;
    for (auto& payload : one_of_each_kind()) {
        auto good = encode_body(body_with(payload));
        for (std::size_t i = 0; i < good.size(); ++i)
            for (std::uint8_t mask : {0x01, 0x80, 0xff}) {
                auto b = good;
                b[i] ^= mask;
                auto r = decode_body(b);
                if (!r.ok()) continue;
                ++accepted;
                if (encode_body(*r) != b) ++different;
            }
    }
    BOOST_CHECK_GT(accepted, 0u);  // plain data bytes (seq, times) change the value, not the form
    BOOST_CHECK_EQUAL(different, 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(envelope_decoding)

namespace {
bytes envelope_bytes(std::size_t body_len, std::size_t signer_len, std::size_t sig_len) {
    capnp::MallocMessageBuilder message;
    auto e = message.initRoot<s::Envelope>();
    std::vector<std::uint8_t> body(body_len, 8), signer(signer_len, 3), sig(sig_len, 4);
    e.setBody(kj::arrayPtr(body.data(), body.size()));
    e.setSigner(kj::arrayPtr(signer.data(), signer.size()));
    e.setSignature(kj::arrayPtr(sig.data(), sig.size()));
    return to_bytes(capnp::canonicalize(e.asReader()));
}
}  // namespace

BOOST_AUTO_TEST_CASE(an_envelope_built_by_hand_with_exact_lengths_is_accepted) {
    auto r = decode_envelope(envelope_bytes(64, 32, 64));
    BOOST_REQUIRE(r.ok());
    BOOST_CHECK_EQUAL(r->body.size(), 64u);
    BOOST_CHECK(r->signer.b[0] == 3 && r->sig.b[63] == 4);
}

BOOST_AUTO_TEST_CASE(a_signer_of_31_bytes_is_refused) {
    auto r = decode_envelope(envelope_bytes(64, 31, 64));
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK(r.err().message.find("signer") != std::string::npos);
    BOOST_CHECK(!decode_envelope(envelope_bytes(64, 33, 64)).ok());
}

BOOST_AUTO_TEST_CASE(a_signature_of_63_bytes_is_refused) {
    auto r = decode_envelope(envelope_bytes(64, 32, 63));
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK(r.err().message.find("signature") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_envelope_over_its_size_bound_or_malformed_is_refused) {
    BOOST_CHECK(!decode_envelope(envelope_bytes(envelope_bytes_max, 32, 64)).ok());
    BOOST_CHECK(!decode_envelope({}).ok());
    bytes garbage(48, 0xab);
    BOOST_CHECK(!decode_envelope(garbage).ok());
    auto padded = envelope_bytes(64, 32, 64);
    padded.insert(padded.end(), 8, 0);
    BOOST_CHECK(!decode_envelope(padded).ok());
}

BOOST_AUTO_TEST_CASE(nothing_that_decodes_as_an_envelope_re_encodes_differently) {
    auto good = encode_envelope(
        envelope{encode_body(body_with(one_of_each_kind()[5])), key_counting_from(1), signature{}});
    std::size_t accepted = 0, different = 0;
    for (std::size_t i = 0; i < good.size(); ++i)
        for (std::uint8_t mask : {0x01, 0x80, 0xff}) {
            auto b = good;
            b[i] ^= mask;
            auto r = decode_envelope(b);
            if (!r.ok()) continue;
            ++accepted;
            if (encode_envelope(*r) != b) ++different;
        }
    BOOST_CHECK_GT(accepted, 0u);  // bytes inside body, signer and signature are just data
    BOOST_CHECK_EQUAL(different, 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text_helpers)

BOOST_AUTO_TEST_CASE(hex_round_trips_every_byte_value) {
    bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
    auto text = to_hex(all);
    BOOST_CHECK_EQUAL(text.size(), 512u);
    BOOST_CHECK_EQUAL(text.substr(0, 8), "00010203");
    BOOST_CHECK_EQUAL(text.substr(504), "fcfdfeff");
    auto back = from_hex(text);
    BOOST_REQUIRE(back.ok());
    BOOST_CHECK(*back == all);
    BOOST_CHECK_EQUAL(to_hex({}), "");
    BOOST_CHECK(from_hex("")->empty());
    auto upper = from_hex("ABCDEF");
    BOOST_REQUIRE(upper.ok());
    BOOST_CHECK_EQUAL(to_hex(*upper), "abcdef");
}

BOOST_AUTO_TEST_CASE(hex_with_an_odd_length_or_a_non_hex_character_is_refused) {
    for (std::string_view bad : {"a", "abc", "zz", "0g", "g0", " 0", "0x00", "ab:cd"}) {
        auto r = from_hex(bad);
        BOOST_REQUIRE_MESSAGE(!r.ok(), bad);
        BOOST_CHECK_EQUAL(r.err().code, errc::bad_hex);
    }
    BOOST_CHECK(!from_hex(std::string_view("\0\0", 2)).ok());
    BOOST_CHECK(!(fixed_from_hex<4>("001122", "x").ok()));
    BOOST_CHECK(!(fixed_from_hex<4>("0011223344", "x").ok()));
    auto four = fixed_from_hex<4>("deadbeef", "x");
    BOOST_REQUIRE(four.ok());
    BOOST_CHECK((*four == std::array<std::uint8_t, 4>{0xde, 0xad, 0xbe, 0xef}));
}

BOOST_AUTO_TEST_CASE(base64_matches_the_rfc_4648_vectors_both_ways) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (auto [plain, encoded] : vectors) {
        bytes p(plain.begin(), plain.end());
        BOOST_CHECK_EQUAL(to_base64(p), encoded);
        auto back = from_base64(encoded);
        BOOST_REQUIRE_MESSAGE(back.ok(), encoded);
        BOOST_CHECK_MESSAGE(*back == p, encoded);
    }
}

BOOST_AUTO_TEST_CASE(base64_round_trips_every_length_and_byte_value) {
    std::mt19937 rng(99);
    for (std::size_t len = 0; len < 70; ++len) {
        bytes b(len);
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        auto back = from_base64(to_base64(b));
        BOOST_REQUIRE(back.ok());
        BOOST_CHECK(*back == b);
    }
    bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
    BOOST_CHECK(*from_base64(to_base64(all)) == all);
}

BOOST_AUTO_TEST_CASE(base64_with_bad_characters_padding_or_length_is_refused) {
    for (std::string_view bad : {
             "Zg=",        // not a multiple of 4
             "Zg",         // unpadded
             "Zm9vY",      // not a multiple of 4
             "Z===",       // too much padding
             "====",       // only padding
             "Zg=a",       // data after padding
             "Zm=v",       // padding in the middle of a group
             "Zg==Zg==",   // padding before the end
             "Zm9v!A==",   // not in the alphabet
             "Zm9v-_==",   // the URL-safe alphabet
             "Zm9\nv===",  // a line break
             "Zm 9",       // a space
         }) {
        auto r = from_base64(bad);
        BOOST_REQUIRE_MESSAGE(!r.ok(), "accepted \"" << bad << "\"");
        BOOST_CHECK_EQUAL(r.err().code, errc::bad_base64);
    }
    BOOST_CHECK(!from_base64(std::string_view("Zm\0v", 4)).ok());
}

BOOST_AUTO_TEST_CASE(text_within_counts_code_points_and_wants_valid_utf8) {
    BOOST_CHECK(text_within("", 0));
    BOOST_CHECK(text_within("abc", 3));
    BOOST_CHECK(!text_within("abcd", 3));
    BOOST_CHECK(text_within("één", 3));  // 5 bytes, 3 characters
    BOOST_CHECK(!text_within("één", 2));
    BOOST_CHECK(text_within("€😀", 2));                // 3 + 4 bytes
    BOOST_CHECK(text_within("\xf4\x8f\xbf\xbf", 1));  // U+10FFFF, the last code point
    BOOST_CHECK(text_within("\xee\x80\x80", 1));      // U+E000, just past the surrogates
    BOOST_CHECK(text_within("\xc2\x80", 1));          // U+0080, the first two-byte one
    BOOST_CHECK(!text_within(std::string_view("a\0", 2), 10));
    BOOST_CHECK(!text_within("\xc3", 10));
    BOOST_CHECK(!text_within("\xbf", 10));
    BOOST_CHECK(!text_within("\xc1\xbf", 10));          // overlong
    BOOST_CHECK(!text_within("\xe0\x9f\xbf", 10));      // overlong
    BOOST_CHECK(!text_within("\xf0\x8f\xbf\xbf", 10));  // overlong
    BOOST_CHECK(!text_within("\xed\xbf\xbf", 10));      // surrogate U+DFFF
    BOOST_CHECK(!text_within("\xf5\x80\x80\x80", 10));  // past U+10FFFF
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(names)

BOOST_AUTO_TEST_CASE(every_kind_name_maps_back_to_its_kind_and_matches_the_schema) {
    auto kinds_enum = capnp::Schema::from<s::EventKind>().getEnumerants();
    auto union_fields = capnp::Schema::from<s::EventBody>().getUnionFields();
    BOOST_REQUIRE_EQUAL(kinds_enum.size(), event_kind_count);
    BOOST_REQUIRE_EQUAL(union_fields.size(), event_kind_count);
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < event_kind_count; ++i) {
        auto k = static_cast<event_kind>(i);
        auto name = kind_name(k);
        names.insert(name);
        BOOST_CHECK(kind_from_name(name) == k);
        BOOST_CHECK_EQUAL(name, kinds_enum[static_cast<unsigned>(i)].getProto().getName().cStr());
        BOOST_CHECK_EQUAL(name, union_fields[static_cast<unsigned>(i)].getProto().getName().cStr());
    }
    BOOST_CHECK_EQUAL(names.size(), event_kind_count);
    BOOST_CHECK_EQUAL(kind_name(event_kind::hours_claimed), "hoursClaimed");
    for (std::string_view unknown : {"", "HoursClaimed", "hours_claimed", "transfers", "x"})
        BOOST_CHECK(!kind_from_name(unknown).has_value());
}

BOOST_AUTO_TEST_CASE(every_category_name_maps_back_and_matches_the_schema) {
    auto enumerants = capnp::Schema::from<s::Category>().getEnumerants();
    BOOST_REQUIRE_EQUAL(enumerants.size(), category_count);
    for (std::size_t i = 0; i < category_count; ++i) {
        auto c = static_cast<category>(i);
        BOOST_CHECK(category_from_name(category_name(c)) == c);
        BOOST_CHECK_EQUAL(category_name(c),
                          enumerants[static_cast<unsigned>(i)].getProto().getName().cStr());
    }
    BOOST_CHECK(!category_from_name("dog_walking").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(base64_with_bits_beyond_the_last_byte_is_refused) {
    BOOST_CHECK(from_base64("Zg==").ok());
    BOOST_CHECK(!from_base64("Zh==").ok());
    BOOST_CHECK(from_base64("Zm8=").ok());
    BOOST_CHECK(!from_base64("Zm9=").ok());
}

// The hand-written codecs against kj's (kj/encoding.h), which they replaced: the same text for
// every byte string, and, for random texts over the alphabets and their neighbours, the same
// bytes exactly where kj reads the text and writes it back the same (the canonical form).
BOOST_AUTO_TEST_CASE(hex_and_base64_agree_with_kj_on_random_bytes_and_texts) {
    std::mt19937_64 rng(2026'12'07);
    auto as_bytes = [](const auto& a) { return bytes(a.begin(), a.end()); };
    for (std::size_t n = 0; n < 2000; ++n) {
        bytes b(n % 67);
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        const auto kb = kj::arrayPtr(b.data(), b.size());
        const auto kj_hex = kj::encodeHex(kb);
        const auto kj_base64 = kj::encodeBase64(kb);
        BOOST_REQUIRE_EQUAL(to_hex(b), std::string(kj_hex.begin(), kj_hex.end()));
        BOOST_REQUIRE_EQUAL(to_base64(b), std::string(kj_base64.begin(), kj_base64.end()));
    }
    const std::string base64_chars = "AQZagz09+/=-_ \n";
    const std::string hex_chars = "09afAFgG ";
    std::size_t base64_read = 0, hex_read = 0;
    for (std::size_t n = 0; n < 200'000; ++n) {
        std::string t(4 * (1 + n % 3), ' ');
        // Mostly valid digits, so that many texts decode and the padding rules are reached.
        for (auto& c : t)
            c = rng() % 8 ? base64_digits_for_test[rng() % 64]
                          : base64_chars[rng() % base64_chars.size()];
        if (n % 2) t.replace(t.size() - 1 - n % 4 / 2, 1 + n % 4 / 2, 1 + n % 4 / 2, '=');
        auto ours = from_base64(t);
        auto theirs = kj::decodeBase64(kj::arrayPtr(t.data(), t.size()));
        const auto again = kj::encodeBase64(theirs);
        const bool kj_canonical =
            !theirs.hadErrors && std::string_view(again.begin(), again.size()) == t;
        BOOST_REQUIRE_MESSAGE(ours.ok() == kj_canonical, "base64 '" << t << "'");
        if (ours.ok()) {
            ++base64_read;
            BOOST_REQUIRE(*ours == as_bytes(theirs));
        }
        std::string h(2 * (n % 5), ' ');
        for (auto& c : h)
            c = rng() % 16 ? "0123456789abcdefABCDEF"[rng() % 22]
                           : hex_chars[rng() % hex_chars.size()];
        auto ours_hex = from_hex(h);
        auto theirs_hex = kj::decodeHex(kj::arrayPtr(h.data(), h.size()));
        BOOST_REQUIRE_MESSAGE(ours_hex.ok() == !theirs_hex.hadErrors, "hex '" << h << "'");
        if (ours_hex.ok()) {
            ++hex_read;
            BOOST_REQUIRE(*ours_hex == as_bytes(theirs_hex));
        }
    }
    // Both outcomes were reached often.
    BOOST_CHECK_GT(base64_read, 10'000u);
    BOOST_CHECK_LT(base64_read, 190'000u);
    BOOST_CHECK_GT(hex_read, 10'000u);
    BOOST_CHECK_LT(hex_read, 190'000u);
}

namespace {

// The hash event ids had before it was keyed: MurmurHash3's finalizer on each half.
std::uint64_t murmur_mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
std::uint64_t inverse_mod_2_64(std::uint64_t a) {  // a odd; Newton's iteration
    std::uint64_t x = a;
    for (int i = 0; i < 6; ++i) x *= 2 - a * x;
    return x;
}
std::uint64_t murmur_unmix(std::uint64_t x) {  // x ^= x >> 33 is its own inverse
    x ^= x >> 33;
    x *= inverse_mod_2_64(0xc4ceb9fe1a85ec53ULL);
    x ^= x >> 33;
    x *= inverse_mod_2_64(0xff51afd7ed558ccdULL);
    x ^= x >> 33;
    return x;
}
constexpr std::uint64_t golden = 0x9e3779b97f4a7c15ULL;
std::uint64_t former_hash(const event_id& id) {
    std::uint64_t lo, hi;
    std::memcpy(&lo, id.b.data(), 8);
    std::memcpy(&hi, id.b.data() + 8, 8);
    return murmur_mix(lo) ^ murmur_mix(hi + golden);
}

}  // namespace

// A member who crafts ids that all collide under a fixed hash (here the former one, computed
// offline by inverting it) gets ids that spread like random ones under the keyed hash.
BOOST_AUTO_TEST_CASE(ids_crafted_to_collide_spread_under_the_keyed_hash) {
    constexpr std::size_t n = 20'000;
    constexpr std::uint64_t target = 0x0123456789abcdefULL;
    std::unordered_set<event_id> ids;
    for (std::uint64_t hi = 1; hi <= n; ++hi) {
        const std::uint64_t lo = murmur_unmix(target ^ murmur_mix(hi + golden));
        event_id id;
        std::memcpy(id.b.data(), &lo, 8);
        std::memcpy(id.b.data() + 8, &hi, 8);
        BOOST_REQUIRE_EQUAL(former_hash(id), target);  // a real attack on the former hash
        ids.insert(id);
    }
    BOOST_REQUIRE_EQUAL(ids.size(), n);
    std::size_t largest = 0;
    for (std::size_t b = 0; b < ids.bucket_count(); ++b)
        largest = std::max(largest, ids.bucket_size(b));
    // 20,000 random ids in as many buckets: the fullest holds about 7.
    BOOST_CHECK_LE(largest, 12u);
    // The key is the process's: the same id hashes the same every time.
    const auto some = *ids.begin();
    BOOST_CHECK_EQUAL(std::hash<event_id>{}(some), std::hash<event_id>{}(some));
}

// ---------------------------------------------------------------------------------------------
// id_table (ledger/core/id_table.h), against std::map as the model.

BOOST_AUTO_TEST_CASE(id_table_finds_what_was_put_in_and_nothing_else) {
    id_table<std::uint64_t> t;
    std::map<event_id, std::uint64_t> model;
    BOOST_CHECK(t.find(event_id{}) == t.end());
    BOOST_CHECK(!t.contains(event_id{}));
    std::mt19937_64 rng(7);
    std::vector<event_id> order;
    for (std::uint64_t n = 0; n < 100'000; ++n) {
        event_id id;
        if (n % 3 == 0) {
            // Ids counted from one prefix, as a client may choose them: only the last bytes move.
            id.b.fill(0xab);
            std::memcpy(id.b.data() + 8, &n, sizeof n);
        } else {
            const std::uint64_t r[2] = {rng(), rng()};
            std::memcpy(id.b.data(), r, sizeof r);
        }
        auto [it, fresh] = t.emplace(id, n);
        BOOST_REQUIRE(fresh);
        BOOST_REQUIRE(it->first == id && it->second == n);
        model.emplace(id, n);
        order.push_back(id);
        if (n % 1000 == 0) {  // the same id again keeps its first value
            auto [again, made] = t.try_emplace(id);
            BOOST_REQUIRE(!made);
            BOOST_REQUIRE_EQUAL(again->second, n);
        }
    }
    BOOST_CHECK_EQUAL(t.size(), model.size());
    for (const auto& [id, v] : model) {
        BOOST_REQUIRE(t.contains(id));
        BOOST_REQUIRE_EQUAL(t.at(id), v);
        BOOST_REQUIRE_EQUAL(t.find(id)->second, v);
        event_id near = id;
        near.b[15] ^= 0x80;  // one bit away
        BOOST_REQUIRE_EQUAL(t.contains(near), model.contains(near));
    }
    // Iteration is in insertion order.
    std::size_t i = 0;
    for (const auto& [id, v] : t) BOOST_REQUIRE(id == order[i++]);
    BOOST_CHECK_EQUAL(i, order.size());
}

BOOST_AUTO_TEST_CASE(id_table_keeps_its_entries_through_reserve_and_clear) {
    id_table<int> t;
    t.reserve(1000);
    event_id a, b;
    a.b.fill(1);
    b.b.fill(2);
    auto [it, fresh] = t.try_emplace(a);
    BOOST_CHECK(fresh);
    it->second = 5;      // a made entry holds the default value until it is filled
    t.reserve(100'000);  // re-indexes: the entry stays
    BOOST_CHECK_EQUAL(t.at(a), 5);
    BOOST_CHECK(!t.contains(b));
    t.clear();
    BOOST_CHECK(t.empty());
    BOOST_CHECK(!t.contains(a));
    BOOST_CHECK(t.emplace(a, 6).second);
    BOOST_CHECK_EQUAL(t.at(a), 6);
}
