#include "api/http/error_status.h"

#include "ledger/core/base.h"

namespace uurwerk {

unsigned http_status_for(errc code) {
    // No default: a new code without a status is a -Wswitch warning (an error in CI).
    switch (code) {
        // The request is malformed, or an input of a program is.
        case errc::bad_request:
        case errc::bad_json:
        case errc::unknown_field:
        case errc::ambiguous_kind:
        case errc::bad_hex:
        case errc::bad_base64:
        case errc::bad_event:
        case errc::bad_envelope:
        case errc::bad_signature:
        case errc::bad_key:
        case errc::bad_record:
        case errc::bad_address:
        case errc::bad_argument:
        case errc::missing_argument:
        case errc::bad_url:
        case errc::bad_key_file:
        case errc::bad_reply:
        case errc::bad_export:
        case errc::bad_certificate:
        case errc::bad_checkpoint:
        case errc::personal_data_mismatch:
        case errc::bad_report_range:
        case errc::bad_report_format:
            return 400;
        // The signer may not write.
        case errc::unknown_signer:
        case errc::signer_revoked:
        case errc::member_suspended:
        case errc::founding_not_allowed:
        case errc::forbidden:
        case errc::impact_not_public:
            return 403;
        // A read without a session, or with one that does not (or no longer) authenticate.
        case errc::unauthenticated:
            return 401;
        // Nothing by that name (or no checkpoint yet).
        case errc::not_found:
        case errc::unknown_community:
        case errc::unknown_member:
        case errc::not_a_leaf:
        case errc::no_checkpoint:
        case errc::unknown_report:
            return 404;
        case errc::method_not_allowed:
            return 405;
        // An invitation: none by that id and code (one answer for both), redeemed, expired.
        case errc::invitation_unknown:
            return 404;
        case errc::invitation_used:
            return 409;
        case errc::invitation_expired:
            return 410;
        // The request is sound but the state does not allow it (yet).
        case errc::post_not_open:
        case errc::not_yet_checkpointed:
        case errc::beyond_tree:
        case errc::node_key_not_announced:
        case errc::checkpoint_rejected:
        case errc::note_unavailable:
            return 409;
        case errc::event_too_large:
        case errc::body_too_large:
            return 413;
        // The server failed, or (for the CLI's and the tools' own codes) no answer of a server.
        case errc::internal_error:
        case errc::bad_founders_file:  // the operator's file, not the client's request
        case errc::stopped:
        case errc::corrupt_log:
        case errc::topic_mismatch:
        case errc::store_ahead_of_log:
        case errc::old_store:
        case errc::data_mismatch:
        case errc::no_randomness:
        case errc::listen_failed:
        case errc::key_file_exists:
        case errc::server_unreachable:
        case errc::server_timeout:
        case errc::server_closed:
        case errc::server_refused:
        case errc::rejected:
        case errc::untrusted_checkpoint:
        case errc::fork:
        case errc::audit_failed:
        case errc::certificate_failed:
        case errc::bench_failed:
            return 500;
        // Unavailable for now: the log, the disk, the store, or the node's capacity.
        case errc::log_full:
        case errc::log_unavailable:
        case errc::log_closed:
        case errc::io_error:
        case errc::disk_full:
        case errc::store_error:
        case errc::store_corrupt:
        case errc::projector_failed:
        case errc::too_many_connections:
        case errc::too_many_waiting:
        case errc::no_node_key:
        case errc::no_matcher:
            return 503;
        case errc::apply_timeout:
            return 504;
        // Over a rate quota (api/http/quota.h): this client only, and for a moment.
        case errc::rate_limited:
            return 429;
    }
    UURWERK_ASSERT(false, static_cast<int>(code));  // not an enumerator
    return 500;
}

}  // namespace uurwerk
