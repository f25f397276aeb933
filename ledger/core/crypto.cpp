#include "ledger/core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <pthread.h>
#include <algorithm>
#include <climits>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace uurwerk {
namespace {

struct pkey_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

struct md_ctx_free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;

md_ctx_ptr new_md_ctx() {
    md_ctx_ptr ctx(EVP_MD_CTX_new());
    UURWERK_ASSERT(ctx != nullptr, "EVP_MD_CTX_new");
    return ctx;
}

// OpenSSL wants a non-null pointer even for an empty message; this is what an empty span gets.
const unsigned char* data_or_empty(byte_view b) {
    static constexpr unsigned char empty[1] = {0};
    return b.empty() ? empty : b.data();
}

// event_domain_tag ++ body: Ed25519 is one-shot, so the signed message is one buffer.
bytes tagged(byte_view body) {
    // Sized once and filled with memcpy: GCC 12 warns falsely (stringop-overflow) on two
    // vector::insert calls here.
    bytes m(event_domain_tag.size() + body.size());
    std::memcpy(m.data(), event_domain_tag.data(), event_domain_tag.size());
    if (!body.empty()) std::memcpy(m.data() + event_domain_tag.size(), body.data(), body.size());
    return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// signing_key

struct signing_key::impl {
    pkey_ptr key;
};

signing_key::signing_key(signing_key&&) noexcept = default;
signing_key& signing_key::operator=(signing_key&&) noexcept = default;
signing_key::~signing_key() {
    OPENSSL_cleanse(seed_.data(), seed_.size());
}

result<signing_key> signing_key::generate() {
    std::array<std::uint8_t, 32> seed{};
    if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1)
        return make_error(errc::no_randomness,
                          "OpenSSL's random generator gave no bytes for a key");
    auto key = from_seed(seed);
    OPENSSL_cleanse(seed.data(), seed.size());
    return key;
}

result<signing_key> signing_key::from_seed(std::span<const std::uint8_t> seed32) {
    if (seed32.size() != 32)
        return make_error(errc::bad_key,
                          "an Ed25519 seed must be 32 bytes, not " + std::to_string(seed32.size()));
    pkey_ptr key(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed32.data(), seed32.size()));
    if (!key) return make_error(errc::bad_key, "OpenSSL refused the Ed25519 seed");
    signing_key k;
    std::size_t public_len = k.public_.b.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), k.public_.b.data(), &public_len) != 1 ||
        public_len != public_key_bytes)
        return make_error(errc::bad_key, "OpenSSL could not derive the Ed25519 public key");
    std::copy(seed32.begin(), seed32.end(), k.seed_.begin());
    k.impl_ = std::make_unique<impl>(impl{std::move(key)});
    return k;
}

signature signing_key::sign_raw(byte_view message) const {
    UURWERK_ASSERT(impl_ != nullptr, "sign with a moved-from signing_key");
    auto ctx = new_md_ctx();
    int ok = EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get());
    UURWERK_ASSERT(ok == 1, "EVP_DigestSignInit", ok);
    signature sig;
    std::size_t sig_len = sig.b.size();
    ok = EVP_DigestSign(ctx.get(), sig.b.data(), &sig_len, data_or_empty(message), message.size());
    UURWERK_ASSERT(ok == 1 && sig_len == signature_bytes, "EVP_DigestSign", ok, sig_len);
    return sig;
}

signature signing_key::sign_event_body(byte_view body) const {
    return sign_raw(tagged(body));
}

envelope signing_key::seal(const event_body& body) const {
    envelope e;
    e.body = encode_body(body);
    e.signer = public_;
    e.sig = sign_event_body(e.body);
    return e;
}

// ---------------------------------------------------------------------------------------------
// key_cache
//
// Sixteen shards, each a mutex and a map from raw key to a shared EVP_PKEY. A verifier copies the
// shared_ptr under the shard's lock and verifies without any lock, so eviction (a full shard is
// cleared) never frees a key another thread is using: the last owner frees it. (A shared_ptr
// rather than EVP_PKEY_up_ref: its acquire/release ordering is C++'s own and visible to
// ThreadSanitizer, which cannot see OpenSSL's reference counts.)

struct key_cache::impl {
    static constexpr std::size_t shard_count = 16;
    struct shard {
        std::mutex mutex;
        std::unordered_map<public_key, std::shared_ptr<EVP_PKEY>> keys;
    };

    explicit impl(std::size_t keys_max)
        : shards_used(std::min(shard_count, keys_max)), shard_keys_max(keys_max / shards_used) {}

    shard& shard_for(const public_key& key) {
        // Byte 8 is not part of std::hash<public_key> (bytes 0..7), so the map buckets within a
        // shard stay spread.
        return shards[key.b[8] % shards_used];
    }

    // `key`'s EVP_PKEY, shared with the cache; null when OpenSSL refuses the bytes.
    std::shared_ptr<EVP_PKEY> get(const public_key& key) {
        shard& s = shard_for(key);
        {
            std::lock_guard lock(s.mutex);
            if (auto it = s.keys.find(key); it != s.keys.end()) return it->second;
        }
        // Built outside the lock (~3 us); a racing thread may build the same key, and one wins.
        std::shared_ptr<EVP_PKEY> fresh(
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.b.data(), key.b.size()),
            pkey_free{});
        if (!fresh) return nullptr;
        std::lock_guard lock(s.mutex);
        if (auto it = s.keys.find(key); it != s.keys.end()) return it->second;
        if (s.keys.size() >= shard_keys_max) s.keys.clear();
        s.keys.emplace(key, fresh);
        return fresh;
    }

    const std::size_t shards_used;     // min(shard_count, keys_max), so the bound holds when small
    const std::size_t shard_keys_max;  // shards_used * shard_keys_max <= keys_max
    std::array<shard, shard_count> shards;
};

key_cache::key_cache(std::size_t keys_max) {
    UURWERK_ASSERT(keys_max > 0, keys_max);
    impl_ = std::make_unique<impl>(keys_max);
}

key_cache::~key_cache() = default;

bool key_cache::verify_raw(const public_key& key, byte_view message, const signature& sig) {
    std::shared_ptr<EVP_PKEY> pkey = impl_->get(key);
    auto ctx = new_md_ctx();
    // 1 is a valid signature; 0 a wrong one; < 0 a key or signature OpenSSL cannot use (a public
    // key that is not a curve point ends in 0 or below, or in a null pkey).
    bool valid = pkey != nullptr &&
                 EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
                 EVP_DigestVerify(ctx.get(), sig.b.data(), sig.b.size(), data_or_empty(message),
                                  message.size()) == 1;
    // A refusal is an answer, not an error: leave nothing on this thread's OpenSSL error queue.
    if (!valid) ERR_clear_error();
    return valid;
}

bool key_cache::verify_signed_body(const public_key& signer, byte_view body, const signature& sig) {
    return verify_raw(signer, tagged(body), sig);
}

// ---------------------------------------------------------------------------------------------
// Hashes and randomness

digest invitation_code_digest(const invitation_code& code) {
    const std::uint8_t separator = 0;
    return sha256({byte_view(reinterpret_cast<const std::uint8_t*>(invitation_domain_tag.data()),
                             invitation_domain_tag.size()),
                   byte_view(&separator, 1), byte_view(code)});
}

digest sha256(std::initializer_list<byte_view> parts) {
    // Fetching the algorithm and allocating a context cost more than hashing a Merkle node:
    // fetch once, and keep one context per thread.
    static EVP_MD* const md = [] {
        EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        UURWERK_ASSERT(m != nullptr, "EVP_MD_fetch SHA256");
        return m;
    }();
    thread_local md_ctx_ptr ctx = new_md_ctx();
    int ok = EVP_DigestInit_ex2(ctx.get(), md, nullptr);
    UURWERK_ASSERT(ok == 1, "EVP_DigestInit_ex2", ok);
    for (byte_view part : parts) {
        ok = EVP_DigestUpdate(ctx.get(), data_or_empty(part), part.size());
        UURWERK_ASSERT(ok == 1, "EVP_DigestUpdate", ok);
    }
    digest d;
    unsigned int len = 0;
    ok = EVP_DigestFinal_ex(ctx.get(), d.b.data(), &len);
    UURWERK_ASSERT(ok == 1 && len == digest_bytes, "EVP_DigestFinal_ex", ok, len);
    return d;
}

void random_bytes(std::span<std::uint8_t> out) {
    UURWERK_ASSERT(out.size() <= INT_MAX, out.size());
    if (out.empty()) return;
    int ok = RAND_bytes(out.data(), static_cast<int>(out.size()));
    UURWERK_ASSERT(ok == 1, "RAND_bytes", ok);
}

event_id random_event_id() {
    event_id id;
    random_bytes(id.b);
    return id;
}

// ---------------------------------------------------------------------------------------------
// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, slicing-by-8 with tables built at
// compile time. table[0] is the classic byte-at-a-time table; table[k][i] is the CRC of byte i
// followed by k zero bytes.

namespace {

using crc_tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr crc_tables make_crc32c_tables() {
    crc_tables t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        t[0][i] = c;
    }
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t i = 0; i < 256; ++i)
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    return t;
}

constexpr crc_tables crc32c_tables = make_crc32c_tables();
static_assert(crc32c_tables[0][1] == 0xF26B8303u);  // the first entry of the published table

std::uint32_t load_le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
           std::uint32_t{p[3]} << 24;
}

}  // namespace

namespace {

// The SSE4.2 crc32 instruction computes exactly CRC-32C; ~10x the table's speed where present.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(byte_view data, std::uint32_t crc) {
    std::uint64_t c = ~crc;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
    }
    auto c32 = static_cast<std::uint32_t>(c);
    for (; n > 0; ++p, --n) c32 = __builtin_ia32_crc32qi(c32, *p);
    return ~c32;
}

const bool has_sse42 = __builtin_cpu_supports("sse4.2");

}  // namespace

std::uint32_t crc32c_portable(byte_view data, std::uint32_t crc) {
    const auto& t = crc32c_tables;
    std::uint32_t c = ~crc;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint32_t lo = load_le32(p) ^ c;
        std::uint32_t hi = load_le32(p + 4);
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    for (; n > 0; ++p, --n) c = (c >> 8) ^ t[0][(c ^ *p) & 0xff];
    return ~c;
}

std::uint32_t crc32c(byte_view data, std::uint32_t crc) {
    return has_sse42 ? crc32c_sse42(data, crc) : crc32c_portable(data, crc);
}

void name_this_thread(const char* name) {
    pthread_setname_np(pthread_self(), name);
}

}  // namespace uurwerk
