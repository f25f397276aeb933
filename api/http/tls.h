#pragma once
// TLS for the HTTP server and client (OpenSSL through Boost.Asio's ssl::context): the
// server's context from a PEM certificate chain and key, the client's from the system's CA
// store (or a given CA file), both TLS 1.2 and 1.3 only (1.3 whenever the peer has it), and for
// TLS 1.2 only ECDHE key exchange with AEAD ciphers (AES-GCM, ChaCha20-Poly1305).
//
// Ownership and threading: a context is made once and shared (std::shared_ptr) by every
// connection made from it; OpenSSL allows its use from any number of threads once it is made.

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "api/http/http_server.h"
#include "ledger/core/base.h"

namespace uurwerk {

// The server's context. Errors (errc::bad_argument, the message naming the file and what is
// wrong): a file that is missing or unreadable, a file that holds no PEM certificate or key, a
// key that is not the certificate's.
[[nodiscard]] result<std::shared_ptr<boost::asio::ssl::context>> tls_server_context(
    const tls_files& files);

// A client's context: peers are checked against the system's CA store, or, when `ca_file` is
// not empty, against the CA certificates of that PEM file only. Errors (errc::bad_argument): a
// CA file that is missing or holds no certificate.
[[nodiscard]] result<std::shared_ptr<boost::asio::ssl::context>> tls_client_context(
    const std::filesystem::path& ca_file);

// OpenSSL's last errors (its queue, emptied), as one line; "" when none.
std::string tls_error_text();

}  // namespace uurwerk
