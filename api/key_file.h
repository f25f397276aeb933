#pragma once
// A member's key file: the Ed25519 private seed and public key, with the community and member
// it signs for. JSON, written with mode 0600 and never overwritten:
//   {"seed": "<64 hex>", "public": "<64 hex>", "community": "7", "member": "2"}
// community and member are "0" until known. Pure apart from the file access in read/write.

#include <filesystem>

#include "ledger/crypto.h"

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

}  // namespace uurwerk
