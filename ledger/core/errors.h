#pragma once
// The error vocabulary of uurwerk: every code an expected failure (`error`, ledger/core/base.h)
// can carry, and its one name. The names are stable snake_case words that clients read in JSON
// answers ({"error": {"code": NAME, ...}}) and people read in the CLI's output: never rename one.
// What each code means and its HTTP status: api/README.md, "Errors" (the statuses themselves live
// in api/http/error_status.h, as nothing below api/http knows HTTP).
//
// A code is for what the outside world can cause: bad input, a refusal, a missing thing, the
// disk, the network, a peer. A "can't happen" is a bug: UURWERK_ASSERT, not a code.
//
// Header-only and constant: safe from any thread.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

namespace uurwerk {

enum class errc : std::uint8_t {
    // What a client sent: its form, its size, its signature.
    bad_request,
    bad_json,
    unknown_field,
    ambiguous_kind,
    bad_hex,
    bad_base64,
    bad_event,
    bad_envelope,
    bad_signature,
    bad_key,
    bad_record,
    personal_data_mismatch,
    event_too_large,
    body_too_large,
    method_not_allowed,
    // A report's parameters (ledger/core/report.h).
    unknown_report,
    bad_report_range,
    bad_report_format,
    impact_not_public,
    // Who may write, and who may read.
    unknown_signer,
    signer_revoked,
    member_suspended,
    founding_not_allowed,
    // A new key's invitation (before the log: projections/query.h, before_the_log).
    invitation_unknown,  // no such invitation, or not this code: one answer, so guessing learns
                         // nothing
    invitation_used,
    invitation_expired,
    unauthenticated,
    forbidden,
    // What is not there, or not there yet.
    not_found,
    unknown_community,
    unknown_member,
    not_a_leaf,
    post_not_open,
    no_checkpoint,
    not_yet_checkpointed,
    beyond_tree,
    node_key_not_announced,
    checkpoint_rejected,
    note_unavailable,
    // The node: its capacity, its services, its shutdown.
    apply_timeout,
    too_many_connections,
    too_many_waiting,
    rate_limited,
    no_node_key,
    no_matcher,
    projector_failed,
    stopped,
    internal_error,
    // The log.
    log_full,
    log_unavailable,
    log_closed,
    corrupt_log,
    topic_mismatch,
    // The disk, the projection store, the machine.
    io_error,
    disk_full,
    store_error,
    store_corrupt,
    store_ahead_of_log,
    old_store,
    data_mismatch,
    no_randomness,
    listen_failed,
    bad_address,
    // The programs' arguments and files.
    bad_argument,
    missing_argument,
    bad_url,
    bad_key_file,
    key_file_exists,
    bad_founders_file,
    // The CLI talking to a server.
    server_unreachable,
    server_timeout,
    server_closed,
    bad_reply,
    server_refused,
    rejected,
    // The auditor's offline checks, and the benchmarks.
    bad_export,
    bad_certificate,
    bad_checkpoint,
    untrusted_checkpoint,
    fork,
    audit_failed,
    certificate_failed,
    bench_failed,  // the last one: errc_count counts to here
};

inline constexpr std::size_t errc_count = static_cast<std::size_t>(errc::bench_failed) + 1;

namespace detail {
struct errc_name {
    errc code;
    std::string_view name;
};
// In the order of the enumerators (checked below): name() indexes it.
inline constexpr std::array<errc_name, errc_count> errc_names{{
    {errc::bad_request, "bad_request"},
    {errc::bad_json, "bad_json"},
    {errc::unknown_field, "unknown_field"},
    {errc::ambiguous_kind, "ambiguous_kind"},
    {errc::bad_hex, "bad_hex"},
    {errc::bad_base64, "bad_base64"},
    {errc::bad_event, "bad_event"},
    {errc::bad_envelope, "bad_envelope"},
    {errc::bad_signature, "bad_signature"},
    {errc::bad_key, "bad_key"},
    {errc::bad_record, "bad_record"},
    {errc::personal_data_mismatch, "personal_data_mismatch"},
    {errc::event_too_large, "event_too_large"},
    {errc::body_too_large, "body_too_large"},
    {errc::method_not_allowed, "method_not_allowed"},
    {errc::unknown_report, "unknown_report"},
    {errc::bad_report_range, "bad_report_range"},
    {errc::bad_report_format, "bad_report_format"},
    {errc::impact_not_public, "impact_not_public"},
    {errc::unknown_signer, "unknown_signer"},
    {errc::signer_revoked, "signer_revoked"},
    {errc::member_suspended, "member_suspended"},
    {errc::founding_not_allowed, "founding_not_allowed"},
    {errc::invitation_unknown, "invitation_unknown"},
    {errc::invitation_used, "invitation_used"},
    {errc::invitation_expired, "invitation_expired"},
    {errc::unauthenticated, "unauthenticated"},
    {errc::forbidden, "forbidden"},
    {errc::not_found, "not_found"},
    {errc::unknown_community, "unknown_community"},
    {errc::unknown_member, "unknown_member"},
    {errc::not_a_leaf, "not_a_leaf"},
    {errc::post_not_open, "post_not_open"},
    {errc::no_checkpoint, "no_checkpoint"},
    {errc::not_yet_checkpointed, "not_yet_checkpointed"},
    {errc::beyond_tree, "beyond_tree"},
    {errc::node_key_not_announced, "node_key_not_announced"},
    {errc::checkpoint_rejected, "checkpoint_rejected"},
    {errc::note_unavailable, "note_unavailable"},
    {errc::apply_timeout, "apply_timeout"},
    {errc::too_many_connections, "too_many_connections"},
    {errc::too_many_waiting, "too_many_waiting"},
    {errc::rate_limited, "rate_limited"},
    {errc::no_node_key, "no_node_key"},
    {errc::no_matcher, "no_matcher"},
    {errc::projector_failed, "projector_failed"},
    {errc::stopped, "stopped"},
    {errc::internal_error, "internal_error"},
    {errc::log_full, "log_full"},
    {errc::log_unavailable, "log_unavailable"},
    {errc::log_closed, "log_closed"},
    {errc::corrupt_log, "corrupt_log"},
    {errc::topic_mismatch, "topic_mismatch"},
    {errc::io_error, "io_error"},
    {errc::disk_full, "disk_full"},
    {errc::store_error, "store_error"},
    {errc::store_corrupt, "store_corrupt"},
    {errc::store_ahead_of_log, "store_ahead_of_log"},
    {errc::old_store, "old_store"},
    {errc::data_mismatch, "data_mismatch"},
    {errc::no_randomness, "no_randomness"},
    {errc::listen_failed, "listen_failed"},
    {errc::bad_address, "bad_address"},
    {errc::bad_argument, "bad_argument"},
    {errc::missing_argument, "missing_argument"},
    {errc::bad_url, "bad_url"},
    {errc::bad_key_file, "bad_key_file"},
    {errc::key_file_exists, "key_file_exists"},
    {errc::bad_founders_file, "bad_founders_file"},
    {errc::server_unreachable, "server_unreachable"},
    {errc::server_timeout, "server_timeout"},
    {errc::server_closed, "server_closed"},
    {errc::bad_reply, "bad_reply"},
    {errc::server_refused, "server_refused"},
    {errc::rejected, "rejected"},
    {errc::bad_export, "bad_export"},
    {errc::bad_certificate, "bad_certificate"},
    {errc::bad_checkpoint, "bad_checkpoint"},
    {errc::untrusted_checkpoint, "untrusted_checkpoint"},
    {errc::fork, "fork"},
    {errc::audit_failed, "audit_failed"},
    {errc::certificate_failed, "certificate_failed"},
    {errc::bench_failed, "bench_failed"},
}};

constexpr bool errc_names_in_order() {
    for (std::size_t i = 0; i < errc_names.size(); ++i)
        if (static_cast<std::size_t>(errc_names[i].code) != i || errc_names[i].name.empty())
            return false;
    return true;
}
static_assert(errc_names_in_order(), "errc_names: one entry per enumerator, in their order");
}  // namespace detail

// The stable name of a code, as JSON answers and the CLI show it.
constexpr std::string_view name(errc c) {
    return detail::errc_names[static_cast<std::size_t>(c)].name;
}

inline std::ostream& operator<<(std::ostream& os, errc c) {
    return os << name(c);
}

}  // namespace uurwerk
