#pragma once
// Ed25519 through OpenSSL 3, and SHA-256. Keys are held as raw 32-byte values; turning one into
// an EVP_PKEY costs ~3 us and parsing DER ~60 us, so a verifier caches one EVP_PKEY per key.
//
// Threading: signing_key is immutable after creation and may sign from any thread.
// key_cache is thread-safe (a sharded lock); verify() may be called from every core at once.

#include <memory>
#include <string>

#include "ledger/core/event.h"

namespace uurwerk {

// The domain tag prefixed to a body before signing: "uurwerk/event/v1".
inline constexpr std::string_view event_domain_tag = "uurwerk/event/v1";

// A private key. Owns its OpenSSL object.
class signing_key {
public:
    // A new random key (OpenSSL's RNG).
    [[nodiscard]] static result<signing_key> generate();
    // From the 32-byte RFC 8032 private seed.
    [[nodiscard]] static result<signing_key> from_seed(std::span<const std::uint8_t> seed32);

    const public_key& public_bytes() const { return public_; }
    const std::array<std::uint8_t, 32>& seed() const { return seed_; }
    // Signature over `message` (the exact bytes; no tag added).
    [[nodiscard]] signature sign_raw(byte_view message) const;
    // Signature over event_domain_tag ++ body.
    [[nodiscard]] signature sign_event_body(byte_view body) const;
    // Builds the envelope for `body`: encode, sign, wrap.
    [[nodiscard]] envelope seal(const event_body& body) const;

    signing_key(signing_key&&) noexcept;
    signing_key& operator=(signing_key&&) noexcept;
    ~signing_key();

private:
    signing_key() = default;
    struct impl;
    std::unique_ptr<impl> impl_;
    public_key public_;
    std::array<std::uint8_t, 32> seed_{};
};

// Verifies signatures; caches one EVP_PKEY per public key (bounded; evicts when full).
class key_cache {
public:
    explicit key_cache(std::size_t keys_max = 1 << 16);
    ~key_cache();
    key_cache(const key_cache&) = delete;
    key_cache& operator=(const key_cache&) = delete;

    // True when `sig` is `key`'s valid signature over `message` (exact bytes, no tag).
    [[nodiscard]] bool verify_raw(const public_key& key, byte_view message, const signature& sig);
    // True when `e.sig` is `e.signer`'s signature over event_domain_tag ++ e.body.
    [[nodiscard]] bool verify_envelope(const envelope& e) {
        return verify_signed_body(e.signer, e.body, e.sig);
    }
    // The same for the parts of an envelope.
    [[nodiscard]] bool verify_signed_body(const public_key& signer, byte_view body,
                                          const signature& sig);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// SHA-256 of the concatenation of `parts`.
[[nodiscard]] digest sha256(std::initializer_list<byte_view> parts);

// The commitment an invitation makes to its one-time code (schemas/event.capnp,
// InvitationIssued.codeDigest): SHA-256("uurwerk/invitation/v1" || 0x00 || code).
inline constexpr std::string_view invitation_domain_tag = "uurwerk/invitation/v1";
[[nodiscard]] digest invitation_code_digest(const invitation_code& code);

// Fills `out` with random bytes from OpenSSL (for event ids).
void random_bytes(std::span<std::uint8_t> out);
[[nodiscard]] event_id random_event_id();

// CRC-32C (Castagnoli) of `data`, continuing from `crc` (0 to start): with the SSE4.2
// instruction where the CPU has it, else with tables (crc32c_portable, also used by tests).
[[nodiscard]] std::uint32_t crc32c(byte_view data, std::uint32_t crc = 0);
[[nodiscard]] std::uint32_t crc32c_portable(byte_view data, std::uint32_t crc = 0);

}  // namespace uurwerk
