#pragma once
// Sending a message through the operator's SMTP relay (`serve --smtp URL`), with libcurl's SMTP.
//
//   smtp://HOST[:PORT]    plain SMTP (port 25 by default); with starttls::required the
//                         connection is upgraded to TLS (STARTTLS) or nothing is sent
//   smtps://HOST[:PORT]   TLS from the first byte (port 465 by default)
//
// With TLS the relay's certificate is checked against the system's CAs, or the file given.
// No user name or password in the URL (it would show in `ps`): refused.
//
// Threading: parse_smtp_url is pure. An smtp_transport is used by one thread at a time (the
// mailer's); each send is one connection, bounded by connect_timeout and send_timeout; cancel()
// and resume() may come from any other thread.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/core/base.h"

namespace uurwerk {

enum class starttls : std::uint8_t { off, required };

struct smtp_relay {
    std::string url;  // normalised: scheme://host:port
    std::string host;
    std::uint16_t port = 25;
    bool implicit_tls = false;  // smtps://
    starttls upgrade = starttls::off;
    std::string ca_file;  // "" = the system's CAs
};

// Errors: bad_url, saying what is wrong and what a good one looks like.
[[nodiscard]] result<smtp_relay> parse_smtp_url(std::string_view url);

// Where a message goes: what the mailer (api/mail/mailer.h) is given, so tests can count.
class mail_transport {
public:
    virtual ~mail_transport() = default;
    // Sends `message` (RFC 5322, CRLF lines) from `from` to `to`. Errors: server_unreachable
    // (no connection, a timeout, a TLS failure, a temporary 4xx: try again later),
    // server_refused (the relay's final 5xx for this message, e.g. a recipient it refuses).
    [[nodiscard]] virtual result<void> send(const std::string& from, const std::string& to,
                                            const std::string& message) = 0;
    // From any thread: a send under way gives up within about a second, and every send until
    // resume() fails at once (errc::stopped), so that a node stops without waiting out a hung
    // relay's timeout. What was not sent stays in the outbox (sent at least once: api/mail).
    virtual void cancel() {}
    virtual void resume() {}
};

struct smtp_timeouts {
    std::chrono::milliseconds connect{5'000};
    std::chrono::milliseconds send{30'000};
};

[[nodiscard]] std::unique_ptr<mail_transport> smtp_transport(smtp_relay relay,
                                                             smtp_timeouts timeouts = {});

}  // namespace uurwerk
