#include "api/mail/smtp.h"

#include <curl/curl.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace uurwerk {

namespace {

error bad_smtp_url(std::string_view url, std::string_view why) {
    return make_error(errc::bad_url, "--smtp '" + std::string(url) + "' " + std::string(why) +
                                         ": it must look like smtp://relay.example.nl:587 or "
                                         "smtps://relay.example.nl (port 1 to 65535)");
}

struct reader {
    const std::string* text;
    std::size_t at = 0;
};

std::size_t read_message(char* out, std::size_t size, std::size_t n, void* user) {
    auto* r = static_cast<reader*>(user);
    const std::size_t room = size * n;
    const std::size_t left = r->text->size() - r->at;
    const std::size_t take = left < room ? left : room;
    std::memcpy(out, r->text->data() + r->at, take);
    r->at += take;
    return take;
}

// libcurl's progress callback (about once a second while idle, more often while moving bytes):
// non-zero aborts the transfer.
int abort_if_cancelled(void* cancelled, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(cancelled)->load() ? 1 : 0;
}

class curl_smtp final : public mail_transport {
public:
    curl_smtp(smtp_relay relay, smtp_timeouts timeouts)
        : relay_(std::move(relay)), timeouts_(timeouts) {
        // libcurl asks for one global initialisation before any other call, from one thread:
        // the first transport made does it (curl_global_init is not thread-safe).
        static std::once_flag once;
        std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    }

    result<void> send(const std::string& from, const std::string& to,
                      const std::string& message) override {
        if (cancelled_.load())
            return make_error(errc::stopped, "the mailer is stopping: not sent now");
        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
        if (!c) return make_error(errc::internal_error, "libcurl: no handle");
        reader r{&message};
        curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
        std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_owner(
            rcpt, &curl_slist_free_all);
        const std::string mail_from = "<" + from + ">";
        char why[CURL_ERROR_SIZE] = {0};
        CURL* h = c.get();
        curl_easy_setopt(h, CURLOPT_URL, relay_.url.c_str());
        curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
        curl_easy_setopt(h, CURLOPT_READDATA, &r);
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, why);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(timeouts_.connect.count()));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts_.send.count()));
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_if_cancelled);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &cancelled_);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        if (relay_.implicit_tls || relay_.upgrade == starttls::required)
            curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
        if (!relay_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, relay_.ca_file.c_str());
        const CURLcode rc = curl_easy_perform(h);
        if (rc == CURLE_OK) return ok_value;
        if (rc == CURLE_ABORTED_BY_CALLBACK)
            return make_error(errc::stopped, "the mailer is stopping: the send to the SMTP relay " +
                                                 relay_.url + " was given up (sent again later)");
        const std::string what = "the SMTP relay " + relay_.url + ": " +
                                 (why[0] ? std::string(why) : curl_easy_strerror(rc));
        // The relay's last answer: a 5xx is its final word on this message (a recipient it
        // refuses); anything else (no answer, a 4xx, a TLS failure) may pass: try again later.
        long reply = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
        return make_error(reply >= 500 ? errc::server_refused : errc::server_unreachable,
                          what + " (reply " + std::to_string(reply) + ")");
    }

    void cancel() override { cancelled_.store(true); }
    void resume() override { cancelled_.store(false); }

private:
    smtp_relay relay_;
    smtp_timeouts timeouts_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace

result<smtp_relay> parse_smtp_url(std::string_view url) {
    smtp_relay r;
    std::string_view rest;
    if (url.starts_with("smtp://")) {
        rest = url.substr(7);
    } else if (url.starts_with("smtps://")) {
        rest = url.substr(8);
        r.implicit_tls = true;
        r.port = 465;
    } else {
        return bad_smtp_url(url, "has no smtp:// or smtps:// scheme");
    }
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find_first_of("/?#") != std::string_view::npos)
        return bad_smtp_url(url, "has a path or a query");
    if (rest.find('@') != std::string_view::npos)
        return bad_smtp_url(url, "names a user (no credentials on the command line)");
    std::string_view host = rest, port;
    if (rest.starts_with("[")) {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return bad_smtp_url(url, "has an unclosed '['");
        host = rest.substr(0, close + 1);
        port = rest.substr(close + 1);
        if (!port.empty() && !port.starts_with(":"))
            return bad_smtp_url(url, "has something after the address");
        if (!port.empty()) port.remove_prefix(1);
    } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        if (port.empty()) return bad_smtp_url(url, "has an empty port");
    }
    if (host.empty()) return bad_smtp_url(url, "has no host");
    for (char c : host)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '[' || c == ']' || c == ':'))
            return bad_smtp_url(url, "has a host that is no name or address");
    if (!port.empty()) {
        std::uint32_t p = 0;
        for (char c : port) {
            if (c < '0' || c > '9' || p > 65535)
                return bad_smtp_url(url, "has no port from 1 to 65535");
            p = p * 10 + static_cast<std::uint32_t>(c - '0');
        }
        if (p < 1 || p > 65535 || port.size() > 5)
            return bad_smtp_url(url, "has no port from 1 to 65535");
        r.port = static_cast<std::uint16_t>(p);
    }
    r.host = std::string(host);
    r.url = std::string(r.implicit_tls ? "smtps://" : "smtp://") + r.host + ":" +
            std::to_string(r.port);
    return r;
}

std::unique_ptr<mail_transport> smtp_transport(smtp_relay relay, smtp_timeouts timeouts) {
    return std::make_unique<curl_smtp>(std::move(relay), timeouts);
}

}  // namespace uurwerk
