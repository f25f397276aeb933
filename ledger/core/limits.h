#pragma once
// Every bound the ledger enforces, named in one place. Crossing one is a clear rejection. The
// bounds of the HTTP API (body size, connections, page size) are api/http's.

#include <cstddef>
#include <cstdint>

namespace uurwerk {

inline constexpr std::size_t envelope_bytes_max = 4096;  // a whole signed event as stored
inline constexpr std::size_t text_chars_max = 600;       // post texts, notes, reasons
inline constexpr std::size_t community_name_chars_max = 80;
inline constexpr std::size_t area_chars_max = 32;
inline constexpr std::size_t delegation_kinds_max = 25;
inline constexpr std::size_t event_id_bytes = 16;
inline constexpr std::size_t public_key_bytes = 32;
inline constexpr std::size_t signature_bytes = 64;
inline constexpr std::size_t digest_bytes = 32;
inline constexpr std::int64_t minutes_per_event_max = 7 * 24 * 60;  // hard cap under any policy
inline constexpr std::int64_t balance_bound_minutes_max = 1'000'000'000;  // policy sanity bound
inline constexpr std::size_t pending_appends_max = 65536;  // back-pressure beyond this
// Partitions of a Kafka topic one node serves (each has its own producer, two consumers, a
// RocksDB and a projector thread pair).
inline constexpr std::uint32_t partitions_max = 256;
inline constexpr std::uint32_t round_proposals_max = 20;  // proposals for one request per round

}  // namespace uurwerk
