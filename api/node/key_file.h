#pragma once
// A member's key file: the Ed25519 private seed and public key, with the community and member
// it signs for. JSON, written with mode 0600 and never overwritten:
//   {"seed": "<64 hex>", "public": "<64 hex>", "community": "7", "member": "2"}
// community and member are "0" until known. Beside it, FILE.pub holds the same without the
// seed (mode 0644): what a member hands to their coordinator, who never sees a private key.
// Pure apart from the file access in read/write.

#include <filesystem>

#include "ledger/core/crypto.h"

namespace uurwerk {

struct key_file {
    std::array<std::uint8_t, 32> seed{};
    public_key pub;
    community_id community{0};
    member_id member{0};
};

// Errors: "key_file_exists" (never overwrites), "io_error".
[[nodiscard]] result<void> write_key_file(const std::filesystem::path& path, const key_file& k);
// Errors: "io_error", "bad_key_file" (says what is wrong, e.g. a public key that does not
// belong to the seed).
[[nodiscard]] result<key_file> read_key_file(const std::filesystem::path& path);

// The public half, FILE.pub: {"public": "<64 hex>", "community": "7", "member": "2"}.
// Errors as above; a private key file given where a public one is asked is "bad_key_file".
[[nodiscard]] std::filesystem::path public_key_path(const std::filesystem::path& key_path);
[[nodiscard]] result<void> write_public_key_file(const std::filesystem::path& path,
                                                 const key_file& k);
[[nodiscard]] result<public_key> read_public_key_file(const std::filesystem::path& path);

}  // namespace uurwerk
