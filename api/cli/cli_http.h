#pragma once
// How the command-line program talks to a server: the --server option (or $UURWERK_SERVER),
// http:// or https:// (the server's certificate checked against the system's CA store, or
// --ca-file's, or $UURWERK_CA_FILE's), one HTTP call with a JSON reply, and the API's error
// turned into an error value.

#include <string>

#include "api/args/cli_args.h"
#include "api/http/http_client.h"
#include "api/json/json_read.h"
#include "ledger/core/event.h"

namespace uurwerk::cli {

inline constexpr const char* default_server = "http://127.0.0.1:8080";

struct server_address : http_address {
    std::string ca_file;  // https: the CA certificates to trust ("" = the system's)
};
[[nodiscard]] result<server_address> server_of(const parsed_args& a);
// The --ca-file option, beside every --server.
option_spec ca_file_option();

// An HTTP call whose JSON reply is parsed; errors of the API become errors with its message.
struct reply {
    unsigned status = 0;
    json_doc doc;
    std::string body;  // as the server sent it (for answers saved to a file: my-data)
};
// `authorization` is the Authorization header (a session: session_of), "" for none.
[[nodiscard]] result<reply> call(const server_address& s, std::string_view method,
                                 const std::string& target, std::string_view body = {},
                                 const std::string& authorization = {});

// A GET whose answer is not JSON when it succeeds (a certificate to keep as it came, a report's
// CSV): the body of a 200 as the server sent it; another status is the API's error (as
// api_error), or server_refused when its body is not JSON either.
[[nodiscard]] result<std::string> get_body(const server_address& s, const std::string& target,
                                           const std::string& authorization);

// Signing in to read (api/README.md, "Sessions"): "Bearer TOKEN", a session statement of the
// key file's member in community `c`, signed with its key, for session_minutes; of member 0 (an
// auditor's session) for a key file that names no member. Errors: missing_argument (no --key),
// bad_key_file.
inline constexpr int session_minutes = 60;
[[nodiscard]] result<std::string> session_of(const parsed_args& a, community_id c);
// The API's {"error": {"code", "message"}} as an error value: errc::server_refused, with the
// server's code (as text) and message as its message, "CODE: MESSAGE".
[[nodiscard]] error api_error(const reply& r);

}  // namespace uurwerk::cli
