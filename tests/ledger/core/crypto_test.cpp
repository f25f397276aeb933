// Ed25519 signing and verification (against RFC 8032), the key cache under concurrent use,
// SHA-256, CRC-32C and randomness, through ledger/core/crypto.h.

#include "ledger/core/crypto.h"

#include <openssl/bn.h>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <latch>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace uurwerk;

namespace {

bytes hex(std::string_view s) {
    auto b = from_hex(s);
    BOOST_REQUIRE_MESSAGE(b.ok(), "bad hex in the test: " << s);
    return *b;
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_array(std::string_view s) {
    auto b = fixed_from_hex<N>(s, "test value");
    BOOST_REQUIRE_MESSAGE(b.ok(), "bad hex in the test: " << s);
    return *b;
}

bytes text_bytes(std::string_view s) {
    return bytes(s.begin(), s.end());
}

// One RFC 8032 vector from the shared test data.
struct rfc8032_vector {
    std::string name;
    public_key key;
    bytes message;
    signature sig;
};

// The string values of every `"field": "..."` in `json`, in order. The file is small and flat,
// and its strings hold no escapes, so a search is a sufficient parser.
std::vector<std::string> string_values(const std::string& json, std::string_view field) {
    std::vector<std::string> out;
    const std::string quoted = "\"" + std::string(field) + "\"";
    for (auto at = json.find(quoted); at != std::string::npos; at = json.find(quoted, at + 1)) {
        auto colon = json.find_first_not_of(" \t\r\n", at + quoted.size());
        BOOST_REQUIRE(colon != std::string::npos && json[colon] == ':');
        auto open = json.find_first_not_of(" \t\r\n", colon + 1);
        BOOST_REQUIRE(open != std::string::npos && json[open] == '"');
        auto close = json.find('"', open + 1);
        BOOST_REQUIRE(close != std::string::npos);
        auto value = json.substr(open + 1, close - open - 1);
        BOOST_REQUIRE(value.find('\\') == std::string::npos);
        out.push_back(std::move(value));
    }
    return out;
}

std::vector<rfc8032_vector> load_rfc8032_vectors() {
    std::ifstream in(UURWERK_TESTDATA_DIR "/rfc8032-ed25519-vectors.json");
    BOOST_REQUIRE_MESSAGE(in, "cannot open " UURWERK_TESTDATA_DIR "/rfc8032-ed25519-vectors.json");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string json = ss.str();
    auto names = string_values(json, "name");
    auto keys = string_values(json, "public_hex");
    auto messages = string_values(json, "message_hex");
    auto sigs = string_values(json, "signature_hex");
    BOOST_REQUIRE_GE(names.size(), 2u);
    BOOST_REQUIRE_EQUAL(keys.size(), names.size());
    BOOST_REQUIRE_EQUAL(messages.size(), names.size());
    BOOST_REQUIRE_EQUAL(sigs.size(), names.size());
    std::vector<rfc8032_vector> out;
    for (std::size_t i = 0; i < names.size(); ++i)
        out.push_back({names[i], public_key{hex_array<public_key_bytes>(keys[i])}, hex(messages[i]),
                       signature{hex_array<signature_bytes>(sigs[i])}});
    return out;
}

signing_key key_from_seed_byte(std::uint8_t fill) {
    std::array<std::uint8_t, 32> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(fill + i);
    auto k = signing_key::from_seed(seed);
    BOOST_REQUIRE(k.ok());
    return std::move(k).value();
}

signature flipped(signature s, std::size_t bit) {
    s.b[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    return s;
}

event_body sample_event() {
    event_body e;
    e.id = event_id{hex_array<event_id_bytes>("00112233445566778899aabbccddeeff")};
    e.community = community_id{7};
    e.author = member_id{42};
    e.seq = sequence{3};
    e.created_at = time_ms{1'700'000'000'000};
    e.payload = hours_claimed{member_id{43}, minutes{90}, std::nullopt, std::nullopt};
    return e;
}

// Whether the 32 bytes are the encoding of a point on edwards25519 (RFC 8032 5.1.3), computed
// independently of the code under test with OpenSSL's big numbers: y < p, and
// x^2 = (y^2 - 1) / (d y^2 + 1) has a root (and x = 0 only with the sign bit clear).
bool is_curve_point(const std::array<std::uint8_t, 32>& encoded) {
    auto le = encoded;
    const bool sign = (le[31] & 0x80) != 0;
    le[31] &= 0x7f;
    std::array<std::uint8_t, 32> be{};
    std::reverse_copy(le.begin(), le.end(), be.begin());
    BN_CTX* ctx = BN_CTX_new();
    BN_CTX_start(ctx);
    BIGNUM* p = BN_CTX_get(ctx);
    BIGNUM* y = BN_CTX_get(ctx);
    BIGNUM* d = BN_CTX_get(ctx);
    BIGNUM* t = BN_CTX_get(ctx);
    BIGNUM* u = BN_CTX_get(ctx);
    BIGNUM* v = BN_CTX_get(ctx);
    BOOST_REQUIRE(v != nullptr);
    BN_set_bit(p, 255);
    BN_sub_word(p, 19);
    BN_bin2bn(be.data(), static_cast<int>(be.size()), y);
    bool point = false;
    if (BN_cmp(y, p) < 0) {
        // d = -121665 / 121666 mod p
        BN_set_word(t, 121666);
        BN_mod_inverse(d, t, p, ctx);
        BN_set_word(t, 121665);
        BN_mod_mul(d, d, t, p, ctx);
        BN_sub(d, p, d);
        BN_mod_sqr(t, y, p, ctx);  // t = y^2
        BN_copy(u, t);
        BN_sub_word(u, 1);  // u = y^2 - 1 (y^2 >= 1 unless y = 0)
        BN_nnmod(u, u, p, ctx);
        BN_mod_mul(v, d, t, p, ctx);
        BN_add_word(v, 1);  // v = d y^2 + 1
        BN_mod_inverse(v, v, p, ctx);
        BN_mod_mul(t, u, v, p, ctx);  // x^2
        if (BN_is_zero(t)) {
            point = !sign;
        } else {
            point = BN_kronecker(t, p, ctx) == 1;
        }
    }
    BN_CTX_end(ctx);
    BN_CTX_free(ctx);
    return point;
}

// CRC-32C one bit at a time, straight from the definition, to check the sliced tables against.
std::uint32_t crc32c_bitwise(byte_view data, std::uint32_t crc) {
    std::uint32_t c = ~crc;
    for (auto byte : data) {
        c ^= byte;
        for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ed25519)

BOOST_AUTO_TEST_CASE(every_rfc8032_vector_verifies) {
    key_cache cache;
    for (const auto& v : load_rfc8032_vectors())
        BOOST_CHECK_MESSAGE(cache.verify_raw(v.key, v.message, v.sig), v.name);
}

BOOST_AUTO_TEST_CASE(an_rfc8032_signature_with_any_one_bit_flipped_is_refused) {
    key_cache cache;
    for (const auto& v : load_rfc8032_vectors())
        for (std::size_t bit = 0; bit < signature_bytes * 8; ++bit)
            BOOST_CHECK_MESSAGE(!cache.verify_raw(v.key, v.message, flipped(v.sig, bit)),
                                v.name << " bit " << bit);
}

BOOST_AUTO_TEST_CASE(an_rfc8032_message_with_any_one_bit_flipped_or_a_byte_added_is_refused) {
    key_cache cache;
    std::size_t flips = 0;
    for (const auto& v : load_rfc8032_vectors()) {
        for (std::size_t bit = 0; bit < v.message.size() * 8; ++bit, ++flips) {
            bytes m = v.message;
            m[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            BOOST_CHECK_MESSAGE(!cache.verify_raw(v.key, m, v.sig), v.name << " bit " << bit);
        }
        bytes longer = v.message;
        longer.push_back(0);
        BOOST_CHECK_MESSAGE(!cache.verify_raw(v.key, longer, v.sig), v.name);
    }
    BOOST_CHECK_GT(flips, 0u);  // at least one vector has a message to flip bits in
}

BOOST_AUTO_TEST_CASE(an_rfc8032_signature_checked_against_another_public_key_is_refused) {
    key_cache cache;
    for (const auto& v : load_rfc8032_vectors())
        for (std::size_t bit = 0; bit < public_key_bytes * 8; ++bit) {
            public_key k = v.key;
            k.b[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            BOOST_CHECK_MESSAGE(!cache.verify_raw(k, v.message, v.sig), v.name << " bit " << bit);
        }
}

BOOST_AUTO_TEST_CASE(the_rfc8032_test_1_seed_gives_its_public_key_and_signature) {
    auto seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    auto key = signing_key::from_seed(seed);
    BOOST_REQUIRE(key.ok());
    BOOST_CHECK_EQUAL(key->public_bytes().hex(),
                      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    BOOST_CHECK(std::equal(seed.begin(), seed.end(), key->seed().begin(), key->seed().end()));
    auto vectors = load_rfc8032_vectors();
    BOOST_REQUIRE_EQUAL(vectors[0].name, "TEST 1");
    BOOST_CHECK(vectors[0].key == key->public_bytes());
    BOOST_CHECK(vectors[0].message.empty());
    BOOST_CHECK(key->sign_raw({}) == vectors[0].sig);
}

BOOST_AUTO_TEST_CASE(the_rfc8032_test_2_seed_gives_its_public_key_and_signature) {
    auto key = signing_key::from_seed(
        hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
    BOOST_REQUIRE(key.ok());
    auto vectors = load_rfc8032_vectors();
    BOOST_REQUIRE_EQUAL(vectors[1].name, "TEST 2");
    BOOST_CHECK(vectors[1].key == key->public_bytes());
    BOOST_CHECK(key->sign_raw(vectors[1].message) == vectors[1].sig);
}

BOOST_AUTO_TEST_CASE(a_seed_of_the_wrong_length_is_refused) {
    bytes short_seed(31, 1), long_seed(33, 1);
    auto a = signing_key::from_seed(short_seed);
    auto b = signing_key::from_seed(long_seed);
    auto c = signing_key::from_seed({});
    BOOST_REQUIRE(!a.ok());
    BOOST_CHECK_EQUAL(a.err().code, errc::bad_key);
    BOOST_CHECK(!b.ok());
    BOOST_CHECK(!c.ok());
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_key_and_the_same_signatures) {
    auto a = key_from_seed_byte(5);
    auto b = key_from_seed_byte(5);
    auto other = key_from_seed_byte(6);
    BOOST_CHECK(a.public_bytes() == b.public_bytes());
    BOOST_CHECK(a.public_bytes() != other.public_bytes());
    auto m = text_bytes("een uur tuinieren");
    BOOST_CHECK(a.sign_raw(m) == b.sign_raw(m));
    BOOST_CHECK(a.sign_raw(m) == a.sign_raw(m));
    BOOST_CHECK(a.sign_raw(m) != other.sign_raw(m));
    BOOST_CHECK(a.sign_event_body(m) == b.sign_event_body(m));
}

BOOST_AUTO_TEST_CASE(generated_keys_are_distinct_and_reproducible_from_their_seed) {
    auto a = signing_key::generate();
    auto b = signing_key::generate();
    BOOST_REQUIRE(a.ok());
    BOOST_REQUIRE(b.ok());
    BOOST_CHECK(a->public_bytes() != b->public_bytes());
    BOOST_CHECK(a->seed() != b->seed());
    auto again = signing_key::from_seed(a->seed());
    BOOST_REQUIRE(again.ok());
    BOOST_CHECK(again->public_bytes() == a->public_bytes());
    auto m = text_bytes("hallo");
    BOOST_CHECK(again->sign_raw(m) == a->sign_raw(m));
}

BOOST_AUTO_TEST_CASE(a_signature_verifies_for_its_message_and_key_only) {
    auto key = key_from_seed_byte(1);
    auto other = key_from_seed_byte(2);
    key_cache cache;
    auto m = text_bytes("ik heb twee uur geholpen met verhuizen");
    auto sig = key.sign_raw(m);
    BOOST_CHECK(cache.verify_raw(key.public_bytes(), m, sig));
    BOOST_CHECK(cache.verify_raw(key.public_bytes(), m, sig));  // again, from the cache
    BOOST_CHECK(!cache.verify_raw(other.public_bytes(), m, sig));
    BOOST_CHECK(!cache.verify_raw(key.public_bytes(), text_bytes("ik heb drie uur geholpen"), sig));
    BOOST_CHECK(!cache.verify_raw(key.public_bytes(), m, signature{}));
    auto empty_sig = key.sign_raw({});
    BOOST_CHECK(cache.verify_raw(key.public_bytes(), {}, empty_sig));
    BOOST_CHECK(!cache.verify_raw(key.public_bytes(), m, empty_sig));
}

BOOST_AUTO_TEST_CASE(a_signature_over_another_body_is_refused) {
    auto key = key_from_seed_byte(3);
    key_cache cache;
    auto body_a = encode_body(sample_event());
    auto e = sample_event();
    e.seq = sequence{4};
    auto body_b = encode_body(e);
    BOOST_REQUIRE(body_a != body_b);
    auto sig_a = key.sign_event_body(body_a);
    BOOST_CHECK(cache.verify_envelope(envelope{body_a, key.public_bytes(), sig_a}));
    BOOST_CHECK(!cache.verify_envelope(envelope{body_b, key.public_bytes(), sig_a}));
}

BOOST_AUTO_TEST_CASE(an_event_signature_covers_the_domain_tag_and_the_body) {
    auto key = key_from_seed_byte(4);
    key_cache cache;
    auto body = encode_body(sample_event());
    auto sig = key.sign_event_body(body);
    BOOST_CHECK(sig != key.sign_raw(body));
    BOOST_CHECK(!cache.verify_raw(key.public_bytes(), body, sig));
    bytes tagged(event_domain_tag.begin(), event_domain_tag.end());
    tagged.insert(tagged.end(), body.begin(), body.end());
    BOOST_CHECK_EQUAL(std::string(event_domain_tag), "uurwerk/event/v1");
    BOOST_CHECK(cache.verify_raw(key.public_bytes(), tagged, sig));
    BOOST_CHECK(sig == key.sign_raw(tagged));
}

BOOST_AUTO_TEST_CASE(public_key_bytes_that_are_not_a_curve_point_verify_as_false) {
    // Small y values whose x^2 has no square root mod p, found and proved by is_curve_point; and
    // y >= p, which is no canonical encoding.
    std::vector<public_key> bad;
    for (std::uint8_t y = 2; bad.size() < 4; ++y) {
        public_key k{};
        k.b[0] = y;
        if (!is_curve_point(k.b)) bad.push_back(k);
        BOOST_REQUIRE_LT(y, 200);
    }
    public_key all_ones{};
    all_ones.b.fill(0xff);
    BOOST_REQUIRE(!is_curve_point(all_ones.b));
    bad.push_back(all_ones);

    // is_curve_point agrees with real keys.
    auto key = key_from_seed_byte(9);
    BOOST_REQUIRE(is_curve_point(key.public_bytes().b));
    for (const auto& v : load_rfc8032_vectors()) BOOST_REQUIRE(is_curve_point(v.key.b));

    key_cache cache;
    auto m = text_bytes("bericht");
    auto sig = key.sign_raw(m);
    for (const auto& k : bad) {
        BOOST_CHECK_MESSAGE(!cache.verify_raw(k, m, sig), k.hex());
        BOOST_CHECK_MESSAGE(!cache.verify_raw(k, m, sig), k.hex());  // cached or not, still false
        BOOST_CHECK(!cache.verify_envelope(envelope{m, k, sig}));
    }
    BOOST_CHECK(cache.verify_raw(key.public_bytes(), m, sig));  // the cache still works
}

BOOST_AUTO_TEST_CASE(a_moved_signing_key_still_signs) {
    auto a = key_from_seed_byte(7);
    auto m = text_bytes("x");
    auto expected = a.sign_raw(m);
    signing_key b = std::move(a);
    BOOST_CHECK(b.sign_raw(m) == expected);
    auto c = key_from_seed_byte(8);
    c = std::move(b);
    BOOST_CHECK(c.sign_raw(m) == expected);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(envelopes)

BOOST_AUTO_TEST_CASE(a_sealed_event_verifies_and_decodes_to_the_same_event) {
    auto key = key_from_seed_byte(11);
    key_cache cache;
    auto e = key.seal(sample_event());
    BOOST_CHECK(e.signer == key.public_bytes());
    BOOST_CHECK(e.body == encode_body(sample_event()));
    BOOST_CHECK(e.sig == key.sign_event_body(e.body));
    BOOST_CHECK(cache.verify_envelope(e));
    auto decoded = decode_body(e.body);
    BOOST_REQUIRE(decoded.ok());
    BOOST_CHECK(encode_body(*decoded) == e.body);

    auto stored = decode_envelope(encode_envelope(e));
    BOOST_REQUIRE(stored.ok());
    BOOST_CHECK(cache.verify_envelope(*stored));
}

BOOST_AUTO_TEST_CASE(changing_any_one_byte_of_a_sealed_body_breaks_the_signature) {
    auto key = key_from_seed_byte(12);
    key_cache cache;
    const auto e = key.seal(sample_event());
    BOOST_REQUIRE(cache.verify_envelope(e));
    for (std::size_t i = 0; i < e.body.size(); ++i) {
        auto changed = e;
        changed.body[i] ^= 0x01;
        BOOST_CHECK_MESSAGE(!cache.verify_envelope(changed), "byte " << i);
    }
    auto shorter = e;
    shorter.body.pop_back();
    BOOST_CHECK(!cache.verify_envelope(shorter));
    auto other_signer = e;
    other_signer.signer = key_from_seed_byte(13).public_bytes();
    BOOST_CHECK(!cache.verify_envelope(other_signer));
    auto other_sig = e;
    other_sig.sig.b[63] ^= 0x40;
    BOOST_CHECK(!cache.verify_envelope(other_sig));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(key_cache_use)

namespace {

struct job {
    std::size_t key;
    bytes message;
    signature sig;
    bool valid;
};

// `threads` threads each verify their own list of jobs against one cache at the same moment;
// returns, per thread, what verify_raw answered.
std::vector<std::vector<char>> verify_concurrently(key_cache& cache,
                                                   const std::vector<signing_key>& keys,
                                                   const std::vector<std::vector<job>>& jobs) {
    std::vector<std::vector<char>> answers(jobs.size());
    std::latch start(static_cast<std::ptrdiff_t>(jobs.size()));
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < jobs.size(); ++t)
        threads.emplace_back([&, t] {
            start.arrive_and_wait();
            for (const auto& j : jobs[t])
                answers[t].push_back(
                    cache.verify_raw(keys[j.key].public_bytes(), j.message, j.sig) ? 1 : 0);
        });
    for (auto& th : threads) th.join();
    return answers;
}

std::vector<std::vector<job>> make_jobs(const std::vector<signing_key>& keys, std::size_t threads,
                                        std::size_t per_thread, std::size_t bad_every) {
    std::vector<std::vector<job>> jobs(threads);
    for (std::size_t t = 0; t < threads; ++t)
        for (std::size_t i = 0; i < per_thread; ++i) {
            job j;
            j.key = (t * 7 + i) % keys.size();
            auto text = "thread " + std::to_string(t) + " message " + std::to_string(i);
            j.message = bytes(text.begin(), text.end());
            j.sig = keys[j.key].sign_raw(j.message);
            j.valid = bad_every == 0 || (t * per_thread + i) % bad_every != 0;
            if (!j.valid) j.sig.b[(i * 13) % signature_bytes] ^= 0x10;
            jobs[t].push_back(std::move(j));
        }
    return jobs;
}

std::vector<signing_key> make_keys(std::size_t n) {
    std::vector<signing_key> keys;
    for (std::size_t i = 0; i < n; ++i)
        keys.push_back(key_from_seed_byte(static_cast<std::uint8_t>(100 + 3 * i)));
    return keys;
}

void check_answers(const std::vector<std::vector<job>>& jobs,
                   const std::vector<std::vector<char>>& answers, std::size_t expect_false) {
    std::size_t falses = 0, wrong = 0;
    for (std::size_t t = 0; t < jobs.size(); ++t) {
        BOOST_REQUIRE_EQUAL(answers[t].size(), jobs[t].size());
        for (std::size_t i = 0; i < jobs[t].size(); ++i) {
            if (!answers[t][i]) ++falses;
            if ((answers[t][i] != 0) != jobs[t][i].valid) ++wrong;
        }
    }
    BOOST_CHECK_EQUAL(wrong, 0u);
    BOOST_CHECK_EQUAL(falses, expect_false);
}

}  // namespace

BOOST_AUTO_TEST_CASE(four_threads_verifying_through_one_cache_all_succeed) {
    auto keys = make_keys(5);
    auto jobs = make_jobs(keys, 4, 200, 0);
    key_cache cache;
    check_answers(jobs, verify_concurrently(cache, keys, jobs), 0);
}

BOOST_AUTO_TEST_CASE(bad_signatures_mixed_into_concurrent_verification_are_exactly_the_false_ones) {
    auto keys = make_keys(5);
    auto jobs = make_jobs(keys, 4, 200, 9);  // 800 jobs, every 9th bad: 89 bad
    key_cache cache;
    check_answers(jobs, verify_concurrently(cache, keys, jobs), 89);
}

BOOST_AUTO_TEST_CASE(a_cache_smaller_than_the_key_set_evicts_and_still_verifies_correctly) {
    auto keys = make_keys(40);
    for (std::size_t keys_max : {1u, 2u, 5u, 17u}) {
        key_cache cache(keys_max);
        auto jobs = make_jobs(keys, 4, 100, 11);  // 400 jobs, every 11th bad: 37 bad
        check_answers(jobs, verify_concurrently(cache, keys, jobs), 37);
    }
}

BOOST_AUTO_TEST_CASE(one_signing_key_signs_from_several_threads_at_once) {
    auto key = key_from_seed_byte(50);
    std::vector<bytes> messages;
    std::vector<signature> expected;
    for (int i = 0; i < 50; ++i) {
        messages.push_back(text_bytes("bericht " + std::to_string(i)));
        expected.push_back(key.sign_raw(messages.back()));
    }
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (std::size_t i = 0; i < messages.size(); ++i)
                if (key.sign_raw(messages[i]) != expected[i]) ++mismatches;
        });
    for (auto& th : threads) th.join();
    BOOST_CHECK_EQUAL(mismatches.load(), 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hashes)

BOOST_AUTO_TEST_CASE(sha256_matches_the_fips_180_examples) {
    BOOST_CHECK_EQUAL(sha256({text_bytes("abc")}).hex(),
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_CHECK_EQUAL(sha256({}).hex(),
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_CHECK_EQUAL(sha256({byte_view{}}).hex(),
                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_CHECK_EQUAL(
        sha256({text_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")}).hex(),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

BOOST_AUTO_TEST_CASE(sha256_of_parts_is_sha256_of_their_concatenation) {
    auto a = text_bytes("ab"), b = text_bytes(""), c = text_bytes("c");
    BOOST_CHECK(sha256({a, b, c}) == sha256({text_bytes("abc")}));
    BOOST_CHECK(sha256({a, c}) != sha256({c, a}));
}

BOOST_AUTO_TEST_CASE(crc32c_gives_the_standard_check_value) {
    BOOST_CHECK_EQUAL(crc32c(text_bytes("123456789")), 0xE3069283u);
    BOOST_CHECK_EQUAL(crc32c({}), 0u);
}

BOOST_AUTO_TEST_CASE(crc32c_matches_the_rfc_3720_iscsi_examples) {
    bytes zeros(32, 0), ones(32, 0xff), up(32), down(32);
    for (std::size_t i = 0; i < 32; ++i) {
        up[i] = static_cast<std::uint8_t>(i);
        down[i] = static_cast<std::uint8_t>(31 - i);
    }
    BOOST_CHECK_EQUAL(crc32c(zeros), 0x8A9136AAu);
    BOOST_CHECK_EQUAL(crc32c(ones), 0x62A8AB43u);
    BOOST_CHECK_EQUAL(crc32c(up), 0x46DD794Eu);
    BOOST_CHECK_EQUAL(crc32c(down), 0x113FDB5Cu);
}

BOOST_AUTO_TEST_CASE(crc32c_continues_a_running_crc_at_every_split) {
    auto all = text_bytes("123456789");
    for (std::size_t split = 0; split <= all.size(); ++split) {
        byte_view whole(all);
        BOOST_CHECK_EQUAL(crc32c(whole.subspan(split), crc32c(whole.first(split))), 0xE3069283u);
    }
    BOOST_CHECK_EQUAL(crc32c({}, 0xE3069283u), 0xE3069283u);
}

BOOST_AUTO_TEST_CASE(crc32c_agrees_with_a_bitwise_crc_at_every_length_and_alignment) {
    std::mt19937 rng(20240601);
    bytes data(300);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    std::size_t mismatches = 0;
    for (std::size_t start = 0; start < 9; ++start)
        for (std::size_t len = 0; start + len <= 140; ++len) {
            byte_view part = byte_view(data).subspan(start, len);
            if (crc32c(part, 0x12345678u) != crc32c_bitwise(part, 0x12345678u)) ++mismatches;
            if (crc32c(part) != crc32c_bitwise(part, 0)) ++mismatches;
        }
    BOOST_CHECK_EQUAL(mismatches, 0u);
    BOOST_CHECK_EQUAL(crc32c(data), crc32c_bitwise(data, 0));
    // Split the long buffer at every point: the running CRC is the same.
    for (std::size_t split = 0; split <= data.size(); ++split) {
        byte_view whole(data);
        if (crc32c(whole.subspan(split), crc32c(whole.first(split))) != crc32c(data)) ++mismatches;
    }
    BOOST_CHECK_EQUAL(mismatches, 0u);
}

BOOST_AUTO_TEST_CASE(random_bytes_fill_the_buffer_and_differ_each_time) {
    std::array<std::uint8_t, 32> a{}, b{};
    random_bytes(a);
    random_bytes(b);
    BOOST_CHECK(a != b);
    BOOST_CHECK((a != std::array<std::uint8_t, 32>{}));
    random_bytes({});  // nothing to fill is fine

    auto id1 = random_event_id(), id2 = random_event_id();
    BOOST_CHECK(!id1.is_zero());
    BOOST_CHECK(id1 != id2);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(the_hardware_and_the_table_crc32c_agree_at_every_length_and_offset) {
    std::vector<std::uint8_t> data(300);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 131 + 7);
    for (std::size_t from = 0; from < 9; ++from)
        for (std::size_t len = 0; from + len <= data.size(); len += 7) {
            uurwerk::byte_view v(data.data() + from, len);
            BOOST_REQUIRE_EQUAL(uurwerk::crc32c(v), uurwerk::crc32c_portable(v));
            BOOST_REQUIRE_EQUAL(uurwerk::crc32c(v, 0x12345678u),
                                uurwerk::crc32c_portable(v, 0x12345678u));
        }
}
