// JSON at the HTTP edge (api/json/json.h): request bodies are decoded strictly against the schema
// (unknown fields, ambiguous kinds, bad hex and base64, wrong types and ranges are refused with
// a code and the JSON path), a valid body gives exactly the canonical bytes encode_body gives,
// body_to_json reads back into the same bytes, and the writer escapes what JSON needs escaped.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "api/json/json.h"
#include "ledger/core/crypto.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;
using uurwerk::testing::key_counting_from;

namespace {

const std::string id_hex = "000102030405060708090a0b0c0d0e0f";

event_id test_id() {
    event_id id;
    for (std::size_t i = 0; i < id.b.size(); ++i) id.b[i] = static_cast<std::uint8_t>(i);
    return id;
}

// A requestPosted body in JSON, with `post` as the requestPosted object's fields and `extra`
// added to the top-level object.
std::string request_json(const std::string& post, const std::string& extra = "") {
    return R"({"id":")" + id_hex +
           R"(","community":"7","author":"2","seq":"3","createdAtMs":"1700000000000",)" + extra +
           R"("requestPosted":{)" + post + "}}";
}

const std::string good_post =
    R"("category":"shopping","textDigest":"abababababababababababababababababababababababababababababababab","intensity":"regularly",)"
    R"("area":"3512","availability":7)";

// The commitment good_post carries (0xab 32 times).
digest text_digest() {
    digest d;
    d.b.fill(0xab);
    return d;
}

event_body good_body() {
    event_body b;
    b.id = test_id();
    b.community = community_id{7};
    b.author = member_id{2};
    b.seq = sequence{3};
    b.created_at = time_ms{1'700'000'000'000};
    b.payload =
        request_posted{{category::shopping, text_digest(), intensity::regularly, "3512", 7}};
    return b;
}

// Decodes `json` and requires the error `code`; returns the message.
std::string refused(const std::string& json, errc code) {
    auto r = canonical_body_from_json(json);
    BOOST_REQUIRE_MESSAGE(!r.ok(), "accepted: " + json);
    BOOST_CHECK_MESSAGE(r.err().code == code, "code " + std::string(name(r.err().code)) +
                                                  " (wanted " + std::string(name(code)) +
                                                  "): " + r.err().message);
    return r.err().message;
}

template <typename T>
std::string why(const result<T>& r) {
    return r.ok() ? std::string() : std::string(name(r.err().code)) + ": " + r.err().message;
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_suite)

BOOST_AUTO_TEST_CASE(a_valid_body_gives_the_same_canonical_bytes_as_encode_body) {
    auto r = canonical_body_from_json(request_json(good_post));
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_CHECK(*r == encode_body(good_body()));

    // Keys in any order, white space: the same.
    const std::string spaced =
        " {\n\t\"requestPosted\" : { \"availability\" : 7, \"area\":\"3512\", "
        "\"intensity\":\"regularly\", "
        "\"textDigest\":\"ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB\", "
        "\"category\":\"shopping\" },\"seq\":\"3\", \"author\":\"2\",\"community\":\"7\","
        "\"createdAtMs\":\"1700000000000\", \"id\":\"" +
        id_hex + "\" }\r\n";
    auto again = canonical_body_from_json(spaced);
    BOOST_REQUIRE_MESSAGE(again.ok(), why(again));
    BOOST_CHECK(*again == *r);
}

BOOST_AUTO_TEST_CASE(every_kind_of_field_decodes_like_encode_body) {
    // Upper-case hex is read as hex; lists of enums; booleans; a signed 64-bit number.
    event_body b = good_body();
    b.on_behalf_of = member_id{5};
    b.payload = member_admitted{member_id{9}, key_counting_from(0xa0), role::coordinator, true,
                                std::nullopt};
    std::string key_hex = key_counting_from(0xa0).hex();
    for (auto& c : key_hex) c = static_cast<char>(std::toupper(c));
    auto admitted = canonical_body_from_json(
        R"({"id":")" + id_hex +
        R"(","community":"7","author":"2","seq":"3",)"
        R"("createdAtMs":"1700000000000","onBehalfOf":"5","memberAdmitted":{"member":"9","key":")" +
        key_hex + R"(","role":"coordinator","verified":true}})");
    BOOST_REQUIRE_MESSAGE(admitted.ok(), why(admitted));
    BOOST_CHECK(*admitted == encode_body(b));

    b.on_behalf_of.reset();
    b.created_at = time_ms{-5};
    b.payload = delegation_granted{
        member_id{4}, {event_kind::request_posted, event_kind::hours_confirmed}, time_ms{0}};
    auto delegated = canonical_body_from_json(
        R"({"id":")" + id_hex +
        R"(","community":"7","author":"2","seq":"3","createdAtMs":"-5",)"
        R"("delegationGranted":{"delegate":"4","kinds":["requestPosted","hoursConfirmed"]}})");
    BOOST_REQUIRE_MESSAGE(delegated.ok(), why(delegated));
    BOOST_CHECK(*delegated == encode_body(b));
}

BOOST_AUTO_TEST_CASE(a_text_left_out_is_empty_and_an_empty_optional_id_is_absent) {
    event_body b = good_body();
    b.payload = hours_claimed{member_id{1}, minutes{90}, std::nullopt, std::nullopt};
    const auto expected = encode_body(b);
    const std::string head =
        R"({"id":")" + id_hex +
        R"(","community":"7","author":"2","seq":"3","createdAtMs":"1700000000000",)";
    for (const std::string claim :
         {R"("hoursClaimed":{"receiver":"1","minutes":"90"})",
          R"("hoursClaimed":{"receiver":"1","minutes":"90","post":""})",
          R"("hoursClaimed":{"receiver":"1","minutes":"90","note":""})"}) {
        auto r = canonical_body_from_json(head + claim + "}");
        BOOST_REQUIRE_MESSAGE(r.ok(), claim + ": " + why(r));
        BOOST_CHECK_MESSAGE(*r == expected, claim);
    }
}

BOOST_AUTO_TEST_CASE(body_to_json_reads_back_into_the_same_bytes) {
    std::vector<event_payload> payloads = {
        community_founded{"Buurtkring Oost", policy{minutes{120}, minutes{4000}, minutes{180}}},
        member_admitted{member_id{9}, key_counting_from(1), role::member, false, std::nullopt},
        delegation_granted{member_id{4}, {event_kind::offer_posted}, time_ms{99}},
        request_posted{{category::dog_walking, std::nullopt, intensity::sometimes, "3512", 5}},
        hours_claimed{member_id{1}, minutes{90}, test_id(), std::nullopt},
        transfer{member_id{0}, minutes{30}, std::nullopt},
        checkpoint{12, digest{}, time_ms{1'700'000'000'000}},
    };
    for (const auto& p : payloads) {
        event_body b = good_body();
        b.payload = p;
        const auto canonical = encode_body(b);
        auto json = body_to_json(canonical);
        BOOST_REQUIRE(json.ok());
        auto back = canonical_body_from_json(*json);
        BOOST_REQUIRE_MESSAGE(back.ok(), *json + ": " + why(back));
        BOOST_CHECK_MESSAGE(*back == canonical, *json);
    }
    BOOST_CHECK_EQUAL(body_to_json(bytes{1, 2, 3}).err().code, errc::bad_event);
    BOOST_CHECK_EQUAL(body_to_json(bytes(16, 0xff)).err().code, errc::bad_event);
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_refused_with_their_path) {
    auto top = refused(request_json(good_post, R"("colour":"red",)"), errc::unknown_field);
    BOOST_CHECK_MESSAGE(contains(top, "\"colour\"") && contains(top, "the body"), top);
    auto nested = refused(request_json(good_post + R"(,"price":3)"), errc::unknown_field);
    BOOST_CHECK_MESSAGE(contains(nested, "\"price\"") && contains(nested, "requestPosted"), nested);
}

BOOST_AUTO_TEST_CASE(two_kinds_or_none_are_ambiguous) {
    auto two = refused(request_json(good_post, R"("offerPosted":{},)"), errc::ambiguous_kind);
    BOOST_CHECK_MESSAGE(contains(two, "offerPosted") && contains(two, "requestPosted"), two);
    auto none = refused(R"({"id":")" + id_hex + R"(","community":"7","author":"2","seq":"3"})",
                        errc::ambiguous_kind);
    BOOST_CHECK_MESSAGE(contains(none, "name exactly one kind"), none);
}

BOOST_AUTO_TEST_CASE(hex_must_be_hex_of_even_length) {
    auto zz = refused(R"({"id":"zz","community":"7","author":"2","seq":"3",)"
                      R"("postWithdrawn":{"post":")" +
                          id_hex + "\"}}",
                      errc::bad_hex);
    BOOST_CHECK_MESSAGE(contains(zz, "id"), zz);
    auto odd = refused(R"({"id":")" + id_hex +
                           R"(","community":"7","author":"2","seq":"3",)"
                           R"("postWithdrawn":{"post":"abc"}})",
                       errc::bad_hex);
    BOOST_CHECK_MESSAGE(contains(odd, "postWithdrawn.post") && contains(odd, "odd"), odd);
    // Hex of the wrong length is well-formed hex: the event's bounds refuse it.
    refused(R"({"id":"abcd","community":"7","author":"2","seq":"3","postWithdrawn":{"post":")" +
                id_hex + "\"}}",
            errc::bad_event);
}

BOOST_AUTO_TEST_CASE(base64_must_be_standard_base64) {
    const std::string good_tail = R"(","signer":")" + std::string(64, 'a') + R"(","signature":")" +
                                  std::string(128, 'b') + "\"}";
    for (const char* bad : {"!!!!", "abc", "ab=c", "YWJj\nZA=="}) {
        auto r = envelope_from_json(std::string(R"({"body":")") + bad + good_tail);
        BOOST_REQUIRE_MESSAGE(!r.ok(), bad);
        BOOST_CHECK_MESSAGE(r.err().code == errc::bad_base64 || r.err().code == errc::bad_json,
                            std::string(bad) + ": " + std::string(name(r.err().code)));
    }
    auto ok = envelope_from_json(R"({"body":"AAAAAAAAAAA=)" + good_tail);
    BOOST_REQUIRE_MESSAGE(ok.ok(), why(ok));
    BOOST_CHECK_EQUAL(ok->body().size(), 8u);
    BOOST_CHECK_EQUAL(ok->signer().b[0], 0xaa);
    BOOST_CHECK_EQUAL(ok->sig().b[63], 0xbb);
}

BOOST_AUTO_TEST_CASE(an_envelope_needs_parts_of_the_right_length) {
    auto short_signer = envelope_from_json(
        R"({"body":"AAAAAAAAAAA=","signer":"abcd","signature":")" + std::string(128, 'b') + "\"}");
    BOOST_REQUIRE(!short_signer.ok());
    BOOST_CHECK_EQUAL(short_signer.err().code, errc::bad_envelope);
    auto no_body = envelope_from_json(R"({"signer":")" + std::string(64, 'a') +
                                      R"(","signature":")" + std::string(128, 'b') + "\"}");
    BOOST_REQUIRE(!no_body.ok());
    BOOST_CHECK_EQUAL(no_body.err().code, errc::bad_envelope);
    auto extra =
        envelope_from_json(R"({"body":"AAAAAAAAAAA=","signer":")" + std::string(64, 'a') +
                           R"(","signature":")" + std::string(128, 'b') + R"(","sig":"00"})");
    BOOST_REQUIRE(!extra.ok());
    BOOST_CHECK_EQUAL(extra.err().code, errc::unknown_field);
}

BOOST_AUTO_TEST_CASE(wrong_json_types_are_bad_requests) {
    auto community = refused(R"({"id":")" + id_hex +
                                 R"(","community":true,"author":"2","seq":"3",)"
                                 R"("postWithdrawn":{"post":")" +
                                 id_hex + "\"}}",
                             errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(community, "community"), community);
    auto text = refused(request_json(R"("category":"shopping","text":5)"), errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(text, "requestPosted.text") && contains(text, "string"), text);
    auto category = refused(request_json(R"("category":3)"), errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(category, "requestPosted.category"), category);
    auto unknown_name = refused(request_json(R"("category":"knitting")"), errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(unknown_name, "knitting") && contains(unknown_name, "shopping"),
                        unknown_name);
    refused(request_json(R"("category":"shopping","intensity":null)"), errc::bad_request);
    refused(request_json(good_post, R"("seq":"4",)"), errc::bad_request);  // seq named twice
    refused(R"(["not", "an", "object"])", errc::bad_request);
    refused(request_json(R"("availability":1.5)"), errc::bad_request);
    refused(request_json(R"("availability":"0x10")"), errc::bad_request);
    refused(request_json(R"("availability":" 7")"), errc::bad_request);
}

BOOST_AUTO_TEST_CASE(each_integer_has_one_form_64_bits_as_decimal_strings) {
    // A 64-bit integer as a JSON number (a client's double may already have rounded it): 400,
    // naming the field and the form to use.
    auto number = refused(
        R"({"id":")" + id_hex +
            R"(","community":7,"author":"2","seq":"3","postWithdrawn":{"post":")" + id_hex + "\"}}",
        errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(number, "community") && contains(number, "decimal string"),
                        number);
    auto minutes = refused(R"({"id":")" + id_hex +
                               R"(","community":"7","author":"2","seq":"3",)"
                               R"("hoursClaimed":{"receiver":"1","minutes":90}})",
                           errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(minutes, "hoursClaimed.minutes"), minutes);
    // A narrower integer as a string: 400 too (Cap'n Proto's JSON writes it as a number).
    auto availability =
        refused(request_json(R"("category":"shopping","text":"Boodschappen","intensity":"once",)"
                             R"("area":"3512","availability":"7")"),
                errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(availability, "JSON number"), availability);
}

BOOST_AUTO_TEST_CASE(numbers_out_of_range_are_refused) {
    auto big = refused(request_json(R"("availability":4294967296)"), errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(big, "requestPosted.availability") && contains(big, "range"), big);
    refused(request_json(R"("availability":-1)"), errc::bad_request);
    auto u64 = refused(R"({"id":")" + id_hex +
                           R"(","community":"18446744073709551616",)"
                           R"("author":"2","seq":"3","postWithdrawn":{"post":")" +
                           id_hex + "\"}}",
                       errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(u64, "community"), u64);
    refused(R"({"id":")" + id_hex +
                R"(","community":"-1","author":"2","seq":"3",)"
                R"("postWithdrawn":{"post":")" +
                id_hex + "\"}}",
            errc::bad_request);
    refused(R"({"id":")" + id_hex +
                R"(","community":"7","author":"2","seq":"3",)"
                R"("createdAtMs":"-9223372036854775809","postWithdrawn":{"post":")" +
                id_hex + "\"}}",
            errc::bad_request);
    // The extremes themselves are fine.
    auto max = canonical_body_from_json(
        R"({"id":")" + id_hex +
        R"(","community":"18446744073709551615","author":"2","seq":"3",)"
        R"("createdAtMs":"-9223372036854775808","postWithdrawn":{"post":")" +
        id_hex + "\"}}");
    BOOST_CHECK_MESSAGE(max.ok(), why(max));
}

BOOST_AUTO_TEST_CASE(a_free_text_in_the_body_is_refused_only_its_commitment_is_taken) {
    auto m = refused(request_json(R"("category":"shopping","text":"Jan, Kerkstraat 12")"),
                     errc::bad_event);
    BOOST_CHECK_MESSAGE(contains(m, "text must be empty") && contains(m, "textDigest"), m);
    auto short_digest =
        refused(request_json(R"("category":"shopping","textDigest":"abcd")"), errc::bad_event);
    BOOST_CHECK_MESSAGE(contains(short_digest, "textDigest"), short_digest);
}

BOOST_AUTO_TEST_CASE(a_submission_carries_the_personal_text_beside_the_envelope) {
    const std::string head = R"({"body":"AAAAAAAAAAA=","signer":")" + std::string(64, 'a') +
                             R"(","signature":")" + std::string(128, 'b') + "\"";
    // No personal data: the envelope alone, as envelope_from_json reads it.
    auto plain = submission_from_json(head + "}");
    BOOST_REQUIRE_MESSAGE(plain.ok(), why(plain));
    BOOST_CHECK(!plain->personal);
    const auto alone = envelope_from_json(head + "}");
    BOOST_REQUIRE(alone.ok());
    BOOST_CHECK(std::ranges::equal(plain->envelope.stored(), alone->stored()));
    // 600 characters of two bytes each, escaped or not, and the salt as hex.
    std::string accents;
    for (int i = 0; i < 600; ++i) accents += (i % 2 ? "\xc3\xa9" : "\\u00e9");
    auto with = submission_from_json(head + R"(,"personal":{"salt":")" + std::string(32, 'c') +
                                     R"(","text":")" + accents + "\"}}");
    BOOST_REQUIRE_MESSAGE(with.ok(), why(with));
    BOOST_REQUIRE(with->personal);
    BOOST_CHECK_EQUAL(with->personal->text.size(), 1200u);
    BOOST_CHECK_EQUAL(with->personal->salt.b[0], 0xcc);
    // And back: submission_to_json writes what submission_from_json reads.
    envelope e;
    e.body = bytes(8, 0);
    e.signer.b.fill(0xaa);
    e.sig.b.fill(0xbb);
    auto again = submission_from_json(submission_to_json(e, with->personal));
    BOOST_REQUIRE_MESSAGE(again.ok(), why(again));
    BOOST_CHECK(again->personal == with->personal);
    // A salt of the wrong length, an unknown field, a text that is not a string.
    auto salt = submission_from_json(head + R"(,"personal":{"salt":"abcd","text":"x"}})");
    BOOST_REQUIRE(!salt.ok());
    BOOST_CHECK_EQUAL(salt.err().code, errc::personal_data_mismatch);
    BOOST_CHECK_MESSAGE(contains(salt.err().message, "16 bytes"), salt.err().message);
    BOOST_CHECK(!submission_from_json(head + R"(,"personal":{"salt":")" + std::string(32, 'c') +
                                      R"(","name":"x"}})")
                     .ok());
    BOOST_CHECK(!submission_from_json(head + R"(,"personal":{"salt":")" + std::string(32, 'c') +
                                      R"(","text":5}})")
                     .ok());
}

// Both ways of reading a submission give the same: the same envelope and text, or the same
// refusal; and where the one-pass reader reads a text, the tree walk reads it alike.
void read_alike(const std::string& json) {
    const auto tree = submission_from_json_tree(json);
    const auto either = submission_from_json(json);
    BOOST_REQUIRE_MESSAGE(either.ok() == tree.ok(), json);
    if (auto plain = plain_submission_from_json(json)) {
        BOOST_REQUIRE_MESSAGE(tree.ok(), json + ": read in one pass, refused by the tree walk");
        BOOST_CHECK_MESSAGE(std::ranges::equal(plain->envelope.stored(), tree->envelope.stored()),
                            json);
        BOOST_CHECK_MESSAGE(plain->personal == tree->personal, json);
    }
    if (tree.ok()) {
        BOOST_CHECK_MESSAGE(std::ranges::equal(either->envelope.stored(), tree->envelope.stored()),
                            json);
        BOOST_CHECK_MESSAGE(either->personal == tree->personal, json);
    } else {
        BOOST_CHECK_MESSAGE(either.err().code == tree.err().code, json);
        BOOST_CHECK_EQUAL(either.err().message, tree.err().message);
    }
}

BOOST_AUTO_TEST_CASE(a_submission_is_read_in_one_pass_exactly_as_through_the_tree) {
    envelope e;
    e.body = bytes(24, 0);
    for (std::size_t i = 0; i < e.body.size(); ++i) e.body[i] = static_cast<std::uint8_t>(i * 37);
    e.signer.b.fill(0xaa);
    e.sig.b.fill(0xbb);
    personal_text t;
    t.salt.b.fill(0xcc);
    t.text =
        "Ik kook graag voor twee, \"pot luck\" op vrijdag. We hebben het caf\xc3\xa9 geprobeerd";
    const std::string plain = submission_to_json(e, std::nullopt);
    const std::string with = submission_to_json(e, t);
    // What clients send is read in one pass, and as the tree walk reads it.
    for (const auto& json : {plain, with}) {
        auto one = plain_submission_from_json(json);
        BOOST_REQUIRE_MESSAGE(one.has_value(), json);
        read_alike(json);
    }
    BOOST_CHECK(plain_submission_from_json(with)->personal == t);
    const std::string salt = std::string(32, 'c');
    const std::string head = R"("body":")" + to_base64(e.body) + R"(","signer":")" +
                             std::string(64, 'a') + R"(","signature":")" + std::string(128, 'b') +
                             "\"";
    // Its variations: members in another order, spaces, every escape, UTF-8 of each length.
    const std::vector<std::string> variations = {
        std::string("{") + R"("personal":{"text":"x","salt":")" + salt + R"("},)" + head + "}",
        " {\t" + head + " ,\r\n\"personal\" : { \"salt\" : \"" + salt +
            "\" , \"text\" : \"y\" } }\n",
        "{" + head + R"(,"personal":{"salt":")" + salt +
            R"(","text":"\"\\\/\b\f\n\r\t\u00e9\u20ac\ud83d\ude00\u0041"}})",
        "{" + head + R"(,"personal":{"salt":")" + salt +
            "\",\"text\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"}}",
        "{" + head + R"(,"personal":{"salt":")" + salt + R"(","text":""}})",
    };
    for (const auto& json : variations) {
        BOOST_CHECK_MESSAGE(plain_submission_from_json(json).has_value(), json);
        read_alike(json);
    }
    // What the one-pass reader leaves to the tree walk: escapes outside the text, other types,
    // unknown and repeated members, a NUL, bad UTF-8, lone surrogates, text after the value.
    const std::vector<std::string> left = {
        "{\"\\u0062ody\"" + head.substr(6) + "}",
        "{" + head + R"(,"personal":null})",
        "{" + head + R"(,"personal":{"salt":")" + salt + R"(","text":5}})",
        "{" + head + R"(,"personal":{"salt":")" + salt + R"("}})",
        "{" + head + R"(,"personal":{"salt":")" + salt + R"(","text":"a","text":"b"}})",
        "{" + head + "," + head + "}",
        "{" + head + R"(,"extra":"1"})",
        "{" + head + R"(,"personal":{"salt":")" + salt + R"(","text":"a\u0000b"}})",
        "{" + head + R"(,"personal":{"salt":")" + salt + "\",\"text\":\"a\xc0\xafz\"}}",
        "{" + head + R"(,"personal":{"salt":")" + salt + "\",\"text\":\"a\xed\xa0\x80z\"}}",
        "{" + head + R"(,"personal":{"salt":")" + salt + R"(","text":"\ud83d"}})",
        "{" + head + R"(,"personal":{"salt":")" + salt + R"(","text":"\ude00"}})",
        "{" + head + R"(,"personal":{"salt":")" + salt + R"(","text":"\u00g9"}})",
        "{" + head + R"(,"personal":{"salt":"abcd","text":"x"}})",
        "{" + head + "}{}",
        "\xef\xbb\xbf{" + head + "}",
        "{" + head + "}" + std::string(1, '\0'),
    };
    for (const auto& json : left) {
        BOOST_CHECK_MESSAGE(!plain_submission_from_json(json).has_value(), json);
        read_alike(json);
    }
    // And every text one edit away from what clients send: each byte dropped, doubled, or
    // replaced by one that means something to JSON, hex or base64.
    const std::string specials = std::string("\"\\{}[]:, \t0aAfFgz=+/\x80\xc3\x7f") + '\0';
    for (const auto& json : {plain, with}) {
        for (std::size_t i = 0; i < json.size(); ++i) {
            read_alike(json.substr(0, i) + json.substr(i + 1));
            read_alike(json.substr(0, i + 1) + json.substr(i));
            for (const char c : specials) {
                std::string changed = json;
                changed[i] = c;
                read_alike(changed);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_json_is_bad_json) {
    for (const std::string& bad :
         {std::string(""), std::string("{"), std::string("{\"id\":}"), std::string("{'id':'00'}"),
          std::string("{\"id\":\"00\",}"), std::string("{\"a\":01}"), std::string("{\"a\":NaN}"),
          std::string("{} {}"), std::string("{\"a\":\"tab\there\"}"),
          std::string("{\"a\":\"\\x\"}"), std::string("{\"a\":\"\\ud800\"}"),
          std::string("{\"a\":\"\\udc00\"}"), std::string("{\"a\":\"\xff\"}"),
          std::string("{\"a\":1.}"), std::string("{\"a\":-}"), std::string("{\"a\":tru}")}) {
        auto r = canonical_body_from_json(bad);
        BOOST_REQUIRE_MESSAGE(!r.ok(), bad);
        BOOST_CHECK_MESSAGE(r.err().code == errc::bad_json,
                            bad + ": " + std::string(name(r.err().code)));
    }
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "[";
    BOOST_CHECK_EQUAL(canonical_body_from_json(deep).err().code, errc::bad_json);
    refused(request_json(R"("category":"shopping","text":"a\u0000b")"), errc::bad_request);
}

BOOST_AUTO_TEST_CASE(unicode_escapes_decode_as_json_says) {
    // Cap'n Proto 0.9.2's own parser would read \u00e9 as 'I' and not join surrogate pairs.
    auto r = canonical_body_from_json(
        request_json(R"("category":"shopping","textDigest":")" + std::string(64, 'a') +
                     R"(",)"
                     R"("intensity":"regularly","area":"caf\u00e9 \ud83d\ude00 \u00C9\/\"",)"
                     R"("availability":7)"));
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    event_body b = good_body();
    std::get<request_posted>(b.payload).text_digest->b.fill(0xaa);
    std::get<request_posted>(b.payload).area = "caf\xc3\xa9 \xf0\x9f\x98\x80 \xc3\x89/\"";
    BOOST_CHECK(*r == encode_body(b));
}

BOOST_AUTO_TEST_CASE(the_writer_escapes_and_nests) {
    json_writer w;
    w.begin_object();
    w.key("text").string("a\"b\\c\n\t\x01\x1f caf\xc3\xa9 \xf0\x9f\x98\x80 \xff!");
    w.key("list").begin_array().number(-3).decimal(18446744073709551615ull).boolean(true).null();
    w.begin_object().end_object().begin_array().end_array().end_array();
    w.key("raw").raw(R"({"x":1})");
    w.end_object();
    BOOST_CHECK_EQUAL(w.take(),
                      "{\"text\":\"a\\\"b\\\\c\\n\\t\\u0001\\u001f caf\xc3\xa9 \xf0\x9f\x98\x80 "
                      "\xef\xbf\xbd!\",\"list\":[-3,\"18446744073709551615\",true,null,{},[]],"
                      "\"raw\":{\"x\":1}}");
    // Plain runs are copied whole: around, between and after the bytes that are escaped.
    json_writer runs;
    runs.begin_array()
        .string(
            "\x7f"
            "plain text\"")
        .string("")
        .string("only plain")
        .end_array();
    BOOST_CHECK_EQUAL(runs.take(), R"(["\u007fplain text\"","","only plain"])");
    BOOST_CHECK_EQUAL(error_json(errc::bad_json, "not \"JSON\""),
                      R"({"error":{"code":"bad_json","message":"not \"JSON\""}})");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(replies_and_key_files_decode_unicode_escapes_correctly) {
    // Cap'n Proto 0.9.2's own parser read \u00e9 as "I"; json_doc uses the strict parser.
    auto doc = uurwerk::json_doc::parse(R"({"a": "caf\u00e9 \u001f", "n": 42, "l": [true, null]})");
    BOOST_REQUIRE(doc.ok());
    BOOST_CHECK_EQUAL(doc->string_at("a").value(), "caf\xc3\xa9 \x1f");
    BOOST_CHECK_EQUAL(doc->number_at("n").value(), 42.0);
    BOOST_CHECK_EQUAL(doc->root().at("l")->as_array()->size(), 2u);
    BOOST_CHECK(!uurwerk::json_doc::parse("{\"a\": }").ok());
}

// The strictness points of the parser (nlohmann/json through api/json's SAX builder), each at
// its bound: what RFC 8259 refuses, and what it allows but the API does not.
BOOST_AUTO_TEST_SUITE(json_strictness)

BOOST_AUTO_TEST_CASE(a_name_twice_is_refused_at_any_depth) {
    auto nested = refused(request_json(good_post + R"(,"category":"lifts")"), errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(nested, "\"category\" appears twice in requestPosted"), nested);
    auto deep = parse_json_value(R"({"a":{"b":[1,{"c":1,"d":{},"c":2}]}})");
    BOOST_REQUIRE(!deep.ok());
    BOOST_CHECK_EQUAL(deep.err().code, errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(deep.err().message, "\"c\" appears twice in a.b[1]"),
                        deep.err().message);
    // The same name in two objects is two names.
    BOOST_CHECK(parse_json_value(R"({"a":{"x":1},"b":{"x":1},"x":[{"x":1},{"x":2}]})").ok());
    // Replies and key files are read as strictly.
    BOOST_CHECK(!json_doc::parse(R"({"seed":"00","seed":"11"})").ok());
}

BOOST_AUTO_TEST_CASE(nesting_is_refused_just_past_its_bound) {
    auto nested = [](std::size_t depth, bool objects) {
        std::string s;
        for (std::size_t i = 0; i < depth; ++i) s += objects ? R"({"a":)" : "[";
        s += "1";
        for (std::size_t i = 0; i < depth; ++i) s += objects ? "}" : "]";
        return s;
    };
    for (bool objects : {false, true}) {
        BOOST_CHECK_MESSAGE(parse_json_value(nested(json_nesting_max, objects)).ok(), objects);
        auto deeper = parse_json_value(nested(json_nesting_max + 1, objects));
        BOOST_REQUIRE(!deeper.ok());
        BOOST_CHECK_EQUAL(deeper.err().code, errc::bad_json);
        BOOST_CHECK_MESSAGE(contains(deeper.err().message, "nest deeper than 32"),
                            deeper.err().message);
    }
    // Before the schema is looked at, and however deep.
    BOOST_CHECK_EQUAL(canonical_body_from_json(nested(json_nesting_max + 1, true)).err().code,
                      errc::bad_json);
    BOOST_CHECK_EQUAL(canonical_body_from_json(std::string(100000, '[')).err().code,
                      errc::bad_request);  // too long before too deep
    BOOST_CHECK_EQUAL(parse_json_value(std::string(100000, '[')).err().code, errc::bad_json);
}

BOOST_AUTO_TEST_CASE(a_text_is_refused_one_byte_past_its_size_limit) {
    const std::string body = request_json(good_post);
    const std::string at_limit = body + std::string(json_text_bytes_max - body.size(), ' ');
    BOOST_REQUIRE_EQUAL(at_limit.size(), json_text_bytes_max);
    auto ok = canonical_body_from_json(at_limit);
    BOOST_CHECK_MESSAGE(ok.ok(), why(ok));
    auto over = refused(at_limit + " ", errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(over, "16385 bytes; at most 16384"), over);
    const std::string envelope = R"({"body":"AAAAAAAAAAA=","signer":")" + std::string(64, 'a') +
                                 R"(","signature":")" + std::string(128, 'b') + "\"}";
    BOOST_CHECK(
        envelope_from_json(envelope + std::string(json_text_bytes_max - envelope.size(), '\n'))
            .ok());
    BOOST_CHECK_EQUAL(
        envelope_from_json(envelope + std::string(json_text_bytes_max + 1 - envelope.size(), '\n'))
            .err()
            .code,
        errc::bad_request);
}

BOOST_AUTO_TEST_CASE(lone_surrogates_are_bad_json_in_values_and_names) {
    for (const std::string escaped :
         {R"(\ud800)", R"(\udbff)", R"(\udc00)", R"(\udfff)", R"(\ud800\u0041)", R"(\ud800\ud800)",
          R"(\udc00\ud800)", R"(\ud800x)", R"(\ud83d)"}) {
        const std::string in_value =
            request_json(R"("category":"shopping","text":"a)" + escaped + "\"");
        BOOST_CHECK_MESSAGE(canonical_body_from_json(in_value).err().code == errc::bad_json,
                            escaped);
        const std::string in_name = "{\"" + escaped + "\":1}";
        BOOST_CHECK_MESSAGE(parse_json_value(in_name).err().code == errc::bad_json, escaped);
    }
    // A pair is one character.
    auto pair = parse_json_value(R"({"\ud83d\ude00":"\udbff\udfff"})");
    BOOST_REQUIRE(pair.ok());
    BOOST_CHECK_EQUAL(pair->at("\xf0\x9f\x98\x80")->as_string().value(), "\xf4\x8f\xbf\xbf");
}

BOOST_AUTO_TEST_CASE(utf8_that_is_not_valid_is_bad_json_in_values_names_and_between) {
    for (const std::string& bad : {
             std::string("\xff"),              // never in UTF-8
             std::string("\x80"),              // a continuation byte alone
             std::string("\xc3"),              // cut short
             std::string("\xe2\x82"),          // cut short
             std::string("\xc3\x28"),          // a lead byte, then no continuation
             std::string("\xc0\xaf"),          // overlong '/'
             std::string("\xc1\xbf"),          // overlong
             std::string("\xe0\x80\xaf"),      // overlong '/'
             std::string("\xe0\x9f\xbf"),      // overlong
             std::string("\xf0\x80\x80\xaf"),  // overlong '/'
             std::string("\xf0\x8f\xbf\xbf"),  // overlong
             std::string("\xed\xa0\x80"),      // U+D800, a surrogate
             std::string("\xed\xbf\xbf"),      // U+DFFF
             std::string("\xf4\x90\x80\x80"),  // U+110000
             std::string("\xf5\x80\x80\x80"),  // past U+10FFFF
             std::string("\xf8\x88\x80\x80\x80"),
         }) {
        BOOST_TEST_CONTEXT("bytes " << to_hex(bytes(bad.begin(), bad.end()))) {
            const auto in_value = canonical_body_from_json(
                request_json(R"("category":"shopping","text":"a)" + bad + "\""));
            BOOST_CHECK_EQUAL(in_value.err().code, errc::bad_json);
            BOOST_CHECK_EQUAL(parse_json_value("{\"" + bad + "\":1}").err().code, errc::bad_json);
            BOOST_CHECK_EQUAL(parse_json_value("[1," + bad + "]").err().code, errc::bad_json);
        }
    }
    // The edges of valid UTF-8 pass, and are kept byte for byte.
    const std::string edges =
        "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80"
        "\xf4\x8f\xbf\xbf";
    auto r = parse_json_value("[\"" + edges + "\"]");
    BOOST_REQUIRE_MESSAGE(r.ok(), why(r));
    BOOST_CHECK(r->as_array()->at(0).as_string() == edges);
}

BOOST_AUTO_TEST_CASE(nul_is_refused_escaped_or_raw_and_a_byte_order_mark_too) {
    auto in_name = parse_json_value(R"({"a\u0000b":1})");
    BOOST_CHECK_EQUAL(in_name.err().code, errc::bad_request);
    auto in_value =
        refused(request_json(R"("category":"shopping","text":"a\u0000")"), errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(in_value, "requestPosted.text") && contains(in_value, "NUL"),
                        in_value);
    BOOST_CHECK_EQUAL(parse_json_value(std::string("[\"a\0b\"]", 7)).err().code, errc::bad_json);
    // A raw NUL between tokens too; nlohmann alone would take it for the end of the text.
    for (const std::string& raw : {std::string("[1]\0", 4), std::string("{}\0{", 4),
                                   std::string("[1,\0 2]", 7), std::string("\0[]", 3)}) {
        auto r = parse_json_value(raw);
        BOOST_REQUIRE_MESSAGE(!r.ok(), raw.size());
        BOOST_CHECK_EQUAL(r.err().code, errc::bad_json);
        BOOST_CHECK_MESSAGE(
            contains(r.err().message, "at byte " + std::to_string(raw.find('\0')) + ": NUL"),
            r.err().message);
    }
    // The first fault in the text is the one answered.
    BOOST_CHECK_EQUAL(parse_json_value(std::string("[\"\\u0000\"]\0", 11)).err().code,
                      errc::bad_request);
    BOOST_CHECK_EQUAL(canonical_body_from_json("\xef\xbb\xbf" + request_json(good_post)).err().code,
                      errc::bad_json);
    BOOST_CHECK_EQUAL(parse_json_value("\xef\xbb\xbf{}").err().code, errc::bad_json);
    BOOST_CHECK_EQUAL(parse_json_value("/* comment */ {}").err().code, errc::bad_json);
}

BOOST_AUTO_TEST_CASE(numbers_at_the_edges_of_what_a_parser_can_hold) {
    // Past a double's range: refused while parsing, as out of range.
    auto huge =
        refused(request_json(R"("category":"shopping","availability":1e400)"), errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(huge, "requestPosted.availability") && contains(huge, "1e400"),
                        huge);
    BOOST_CHECK_EQUAL(parse_json_value("[-1e400]").err().code, errc::bad_request);
    // Past 64 bits, or with a fraction or an exponent: not a whole number of the schema.
    for (const std::string n : {"18446744073709551616", "-9223372036854775809", "1e2", "7.0",
                                "1E+2", "-0.0", "0.1e-400"}) {
        refused(request_json(R"("category":"shopping","availability":)" + n), errc::bad_request);
        refused(R"({"id":")" + id_hex + R"(","community":)" + n +
                    R"(,"author":"2","seq":"3","postWithdrawn":{"post":")" + id_hex + "\"}}",
                errc::bad_request);
    }
    auto past_64_bits =
        refused(request_json(R"("availability":18446744073709551616)"), errc::bad_request);
    BOOST_CHECK_MESSAGE(contains(past_64_bits, "out of range"), past_64_bits);
    // -0 is 0, as a JSON number and as a decimal string.
    const auto zero = canonical_body_from_json(
        request_json(R"("category":"shopping","availability":0)", R"("onBehalfOf":"0",)"));
    BOOST_REQUIRE(zero.ok());
    const auto minus_zero = canonical_body_from_json(
        request_json(R"("category":"shopping","availability":-0)", R"("onBehalfOf":"-0",)"));
    BOOST_REQUIRE_MESSAGE(minus_zero.ok(), why(minus_zero));
    BOOST_CHECK(*zero == *minus_zero);
    // A reply's numbers, as the CLI reads them.
    auto doc = json_doc::parse(R"({"u":18446744073709551615,"i":-42,"f":1.5,"z":-0,"e":1e3})");
    BOOST_REQUIRE(doc.ok());
    BOOST_CHECK_EQUAL(doc->number_at("u").value(), 18446744073709551615.0);
    BOOST_CHECK_EQUAL(doc->string_at("i").value(), "-42");
    BOOST_CHECK_EQUAL(doc->number_at("f").value(), 1.5);
    BOOST_CHECK_EQUAL(doc->string_at("z").value(), "0");
    BOOST_CHECK_EQUAL(doc->string_at("e").value(), "1000");
}

BOOST_AUTO_TEST_CASE(the_first_fault_in_the_text_is_the_one_answered) {
    // A name twice, then broken JSON: the parser meets the name first.
    BOOST_CHECK_EQUAL(canonical_body_from_json(R"({"seq":"1","seq":"2",)").err().code,
                      errc::bad_request);
    // Broken JSON, then a name twice.
    BOOST_CHECK_EQUAL(canonical_body_from_json(R"({"seq":"1",,"seq":"2"})").err().code,
                      errc::bad_json);
    // The parser's faults before the schema's: a name twice after an unknown one.
    BOOST_CHECK_EQUAL(canonical_body_from_json(R"({"colour":1,"colour":2})").err().code,
                      errc::bad_request);
}

BOOST_AUTO_TEST_CASE(the_writer_keeps_utf8_and_replaces_what_is_not) {
    // Valid UTF-8, in names and values, unescaped; U+2028 and U+2029 too (JSON allows them).
    BOOST_CHECK_EQUAL(json_quote("caf\xc3\xa9 \xe2\x80\xa8\xe2\x80\xa9 \xf4\x8f\xbf\xbf"),
                      "\"caf\xc3\xa9 \xe2\x80\xa8\xe2\x80\xa9 \xf4\x8f\xbf\xbf\"");
    json_writer w;
    w.begin_object().key("na\xc3\xafve\xff").string("/</script>").end_object();
    BOOST_CHECK_EQUAL(w.take(), "{\"na\xc3\xafve\xef\xbf\xbd\":\"/</script>\"}");
    // Each piece that is not UTF-8 is one U+FFFD: a stray byte, an overlong or surrogate form
    // byte by byte (no valid sequence starts there), a sequence cut short as one.
    BOOST_CHECK_EQUAL(json_quote("\x80"), "\"\xef\xbf\xbd\"");
    BOOST_CHECK_EQUAL(json_quote("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    BOOST_CHECK_EQUAL(json_quote("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    BOOST_CHECK_EQUAL(json_quote("a\xe2\x82z"), "\"a\xef\xbf\xbdz\"");
    BOOST_CHECK_EQUAL(json_quote("a\xf0\x9f\x98"), "\"a\xef\xbf\xbd\"");
    // Every control character escaped, DEL too; nothing else.
    std::string controls;
    for (int c = 0; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
    controls += "\x7f !\"#\\/";
    BOOST_CHECK_EQUAL(json_quote(controls),
                      R"("\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r)"
                      R"(\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018)"
                      R"(\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f !\"#\\/")");
}

// Printable ASCII is copied as it is (the writer's fast path), but for the quote and the
// backslash; alone or beside bytes that take the slow path, the same answer.
BOOST_AUTO_TEST_CASE(printable_ascii_is_copied_but_for_the_quote_and_the_backslash) {
    std::string all;
    for (int c = 0x20; c < 0x7f; ++c) {
        const std::string one(1, static_cast<char>(c));
        const std::string want = c == '"' ? R"("\"")" : c == '\\' ? R"("\\")" : "\"" + one + "\"";
        BOOST_CHECK_EQUAL(json_quote(one), want);
        BOOST_CHECK_EQUAL(json_quote(one + "\n"), want.substr(0, want.size() - 1) + "\\n\"");
        if (c != '"' && c != '\\') all += one;
    }
    BOOST_CHECK_EQUAL(json_quote(all), "\"" + all + "\"");
    BOOST_CHECK_EQUAL(json_quote(all + "\x7f"), "\"" + all + "\\u007f\"");
    BOOST_CHECK_EQUAL(json_quote(""), "\"\"");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(envelope_json)

// What the CLI and the HTTP benchmark send reads back as the very envelope, in its stored form.
BOOST_AUTO_TEST_CASE(envelope_to_json_reads_back_into_the_same_stored_bytes) {
    auto key = signing_key::generate().value();
    event_body b{random_event_id(),
                 community_id{3},
                 member_id{2},
                 sequence{4},
                 time_ms{5},
                 std::nullopt,
                 transfer{member_id{1}, minutes{30}, std::nullopt}};
    const envelope e = key.seal(b);
    auto back = envelope_from_json(envelope_to_json(e));
    BOOST_REQUIRE(back.ok());
    BOOST_CHECK(bytes(back->stored().begin(), back->stored().end()) == encode_envelope(e));
}

BOOST_AUTO_TEST_SUITE_END()
