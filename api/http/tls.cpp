#include "api/http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <system_error>

namespace uurwerk {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2's suites: ECDHE (forward secrecy) with an AEAD cipher only (Mozilla's "intermediate"
// list without DHE). TLS 1.3's suites are all AEAD and ECDHE: OpenSSL's defaults stay.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A file that must exist and be readable, or why not.
result<void> readable(const std::filesystem::path& path, const std::string& what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return make_error(errc::bad_argument,
                          what + " " + path.string() + " does not exist (or is not a file)");
    std::ifstream in(path);
    if (!in) return make_error(errc::bad_argument, what + " " + path.string() + " cannot be read");
    return ok_value;
}

// The protocol floor and the suites, on a context of either side.
result<void> modern_only(SSL_CTX* ctx) {
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1)
        return make_error(errc::internal_error, "cannot set the TLS versions: " + tls_error_text());
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    return ok_value;
}

}  // namespace

std::string tls_error_text() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

result<std::shared_ptr<ssl::context>> tls_server_context(const tls_files& files) {
    ERR_clear_error();
    if (auto r = readable(files.cert_file, "the TLS certificate file (--tls-cert)"); !r)
        return r.err();
    if (auto r = readable(files.key_file, "the TLS key file (--tls-key)"); !r) return r.err();
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* c = ctx->native_handle();
    if (auto r = modern_only(c); !r) return r.err();
    SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(c, files.cert_file.c_str()) != 1)
        return make_error(errc::bad_argument, "the TLS certificate file (--tls-cert) " +
                                                  files.cert_file.string() +
                                                  " holds no PEM certificate: " + tls_error_text());
    if (SSL_CTX_use_PrivateKey_file(c, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        const auto why = tls_error_text();
        // OpenSSL checks the key against the certificate as it loads it.
        if (why.find("key values mismatch") != std::string::npos)
            return make_error(errc::bad_argument, "the TLS key file (--tls-key) " +
                                                      files.key_file.string() +
                                                      " is not the key of the certificate in " +
                                                      files.cert_file.string());
        return make_error(errc::bad_argument, "the TLS key file (--tls-key) " +
                                                  files.key_file.string() +
                                                  " holds no PEM private key: " + why);
    }
    if (SSL_CTX_check_private_key(c) != 1)
        return make_error(errc::bad_argument,
                          "the TLS key file (--tls-key) " + files.key_file.string() +
                              " is not the key of the certificate in " + files.cert_file.string());
    return ctx;
}

result<std::shared_ptr<ssl::context>> tls_client_context(const std::filesystem::path& ca_file) {
    ERR_clear_error();
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX* c = ctx->native_handle();
    if (auto r = modern_only(c); !r) return r.err();
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    if (ca_file.empty()) {
        if (SSL_CTX_set_default_verify_paths(c) != 1)
            return make_error(errc::internal_error,
                              "cannot read the system's CA certificates: " + tls_error_text());
        return ctx;
    }
    if (auto r = readable(ca_file, "the CA file (--ca-file)"); !r) return r.err();
    if (SSL_CTX_load_verify_locations(c, ca_file.c_str(), nullptr) != 1)
        return make_error(errc::bad_argument, "the CA file (--ca-file) " + ca_file.string() +
                                                  " holds no PEM certificate: " + tls_error_text());
    return ctx;
}

}  // namespace uurwerk
