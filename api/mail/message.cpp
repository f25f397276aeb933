#include "api/mail/message.h"

#include <array>
#include <ctime>

#include "ledger/core/crypto.h"

namespace uurwerk {

namespace {

constexpr std::string_view crlf = "\r\n";

struct wording {
    std::string_view greeting, greeting_anonymous, proxy_note, subject[3], lead[3], open,
        contact_intro, phone, email, no_contact, stop, digest_subject, digest_lead, fitting_lead;
};

// Index of a purpose in the tables below.
std::size_t slot(mail_purpose p) {
    return static_cast<std::size_t>(p) - 1;
}

const wording& words(mail_language l) {
    static const wording nl{
        "Hallo ",
        "Hallo,",
        "Je krijgt dit bericht als gemachtigde van ",
        {"Een voorstel om te beantwoorden", "Uren om te bevestigen", "Een match is geaccepteerd"},
        {"Er is een voorstel voor een match met ", "Uren geschreven door ",
         "De match is geaccepteerd met "},
        "Open de app om het te bekijken (je logt in met je eigen sleutel):",
        "Contactgegevens van ",
        "telefoon: ",
        "e-mail: ",
        "Contactgegevens zie je in de app zodra de match loopt.",
        "Geen e-mail meer van deze tijdbank? Met een klik uit:",
        "Nieuws uit je tijdbank",
        "Dit is er gebeurd sinds je laatste bericht:",
        "Open vragen die passen bij wat je aanbiedt:"};
    static const wording en{
        "Hello ",
        "Hello,",
        "You receive this as the proxy of ",
        {"A proposal to answer", "Hours to confirm", "A match was accepted"},
        {"A match was proposed with ", "Hours claimed by ", "The match was accepted with "},
        "Open the app to see it (you sign in with your own key):",
        "Contact details of ",
        "phone: ",
        "e-mail: ",
        "You see contact details in the app once the match runs.",
        "No more e-mail from this time bank? One click stops it:",
        "News from your time bank",
        "This happened since your last message:",
        "Open requests that fit your offers:"};
    return l == mail_language::en ? en : nl;
}

std::string greeting(const wording& w, std::string_view name) {
    return name.empty() ? std::string(w.greeting_anonymous)
                        : std::string(w.greeting) + std::string(name) + ",";
}

// Every message's end: the link into the app, then the signature with the stop link.
std::string closing(const wording& w, std::string_view link, std::string_view unsubscribe) {
    std::string b(w.open);
    b += crlf;
    b += link;
    b += crlf;
    b += crlf;
    b += "-- ";
    b += crlf;
    b += w.stop;
    b += crlf;
    b += unsubscribe;
    b += crlf;
    return b;
}

std::string someone(mail_language l, std::string_view name) {
    if (!name.empty()) return std::string(name);
    return l == mail_language::en ? "another member" : "een ander lid";
}

}  // namespace

mail_language language_of(const std::optional<member_profile>& p) {
    if (p)
        for (const auto& l : p->languages) {
            if (l == "nl") return mail_language::nl;
            if (l == "en") return mail_language::en;
        }
    return mail_language::nl;
}

std::string_view language_code(mail_language l) {
    return l == mail_language::en ? "en" : "nl";
}

std::string_view frequency_name(mail_frequency f) {
    switch (f) {
        case mail_frequency::at_once:
            return "at_once";
        case mail_frequency::daily:
            return "daily";
        case mail_frequency::weekly:
            return "weekly";
        case mail_frequency::never:
            return "never";
    }
    return "at_once";
}

std::optional<mail_frequency> parse_frequency(std::string_view name) {
    for (auto f : {mail_frequency::at_once, mail_frequency::daily, mail_frequency::weekly,
                   mail_frequency::never})
        if (frequency_name(f) == name) return f;
    return std::nullopt;
}

mail_text compose(const mail_facts& f) {
    const wording& w = words(f.language);
    mail_text t;
    t.subject = std::string(w.subject[slot(f.purpose)]);
    t.link = f.app_url + "/#home";
    std::string& b = t.body;
    b += greeting(w, f.recipient_name);
    b += crlf;
    b += crlf;
    if (f.for_name) {
        b += std::string(w.proxy_note) + someone(f.language, *f.for_name) + ".";
        b += crlf;
        b += crlf;
    }
    b += std::string(w.lead[slot(f.purpose)]) + someone(f.language, f.other_name) + ".";
    b += crlf;
    if (f.purpose == mail_purpose::match_accepted) {
        b += crlf;
        if (f.other_contact &&
            (!f.other_contact->phone.empty() || !f.other_contact->email.empty())) {
            b += std::string(w.contact_intro) + someone(f.language, f.other_name) + ":";
            b += crlf;
            if (!f.other_contact->phone.empty())
                b += std::string(w.phone) + f.other_contact->phone + std::string(crlf);
            if (!f.other_contact->email.empty())
                b += std::string(w.email) + f.other_contact->email + std::string(crlf);
        } else {
            b += std::string(w.no_contact);
            b += crlf;
        }
    }
    b += crlf;
    b += closing(w, t.link, f.unsubscribe_url);
    return t;
}

mail_text compose_digest(mail_language l, std::string_view recipient_name,
                         const std::vector<mail_text>& items,
                         const std::vector<std::string>& fitting, std::string_view app_url,
                         std::string_view unsubscribe_url) {
    const wording& w = words(l);
    mail_text t;
    t.subject = std::string(w.digest_subject);
    t.link = std::string(app_url) + "/#home";
    std::string& b = t.body;
    b += greeting(w, recipient_name) + std::string(crlf) + std::string(crlf);
    if (!items.empty()) {
        b += std::string(w.digest_lead) + std::string(crlf) + std::string(crlf);
        for (const auto& i : items) b += "- " + i.subject + std::string(crlf);
        b += crlf;
    }
    if (!fitting.empty()) {
        b += std::string(w.fitting_lead) + std::string(crlf) + std::string(crlf);
        for (const auto& f : fitting) b += "- " + f + std::string(crlf);
        b += crlf;
    }
    b += closing(w, t.link, unsubscribe_url);
    return t;
}

mail_text compose_invitation(mail_language l, std::string_view community_name,
                             std::string_view link) {
    mail_text t;
    t.link = std::string(link);
    const bool en = l == mail_language::en;
    t.subject = en ? "An invitation to the time bank" : "Een uitnodiging voor de tijdbank";
    std::string& b = t.body;
    b += en ? "Hello," : "Hallo,";
    b += crlf;
    b += crlf;
    b += en ? "You are invited to " : "Je bent uitgenodigd voor ";
    b += community_name;
    b += ".";
    b += crlf;
    b += en ? "Open this link on your own phone or computer; there you make your own key:"
            : "Open deze link op je eigen telefoon of computer; daar maak je je eigen sleutel:";
    b += crlf;
    b += link;
    b += crlf;
    b += crlf;
    b += en ? "The link works once. Did you not expect it? Then do nothing."
            : "De link werkt een keer. Verwachtte je dit niet? Doe dan niets.";
    b += crlf;
    return t;
}

std::string rfc5322_date(time_ms t) {
    const std::time_t s = static_cast<std::time_t>(t.value / 1000);
    std::tm tm{};
    gmtime_r(&s, &tm);
    static constexpr std::array<const char*, 7> days = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char out[64];
    std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return out;
}

std::string rfc5322(const mail_envelope& e, const mail_text& t) {
    std::string m;
    auto header = [&](std::string_view name, std::string_view value) {
        m += name;
        m += ": ";
        m += value;
        m += crlf;
    };
    header("From", "uurwerk <" + e.from + ">");
    header("To", "<" + e.to + ">");
    header("Subject", t.subject);
    header("Date", e.date);
    header("Message-ID", "<" + e.message_id + ">");
    header("MIME-Version", "1.0");
    header("Content-Type", "text/plain; charset=utf-8");
    header("Content-Transfer-Encoding", "8bit");
    header("Content-Language", language_code(e.language));
    header("Auto-Submitted", "auto-generated");
    if (!e.unsubscribe_url.empty()) {
        header("List-Unsubscribe", "<" + e.unsubscribe_url + ">");
        header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    }
    m += crlf;
    m += t.body;
    return m;
}

bool sendable_address(std::string_view a) {
    if (a.size() < 3 || a.size() > email_chars_max) return false;
    const auto at = a.find('@');
    if (at == 0 || at == std::string_view::npos || at + 1 == a.size() ||
        a.find('@', at + 1) != std::string_view::npos)
        return false;
    for (char c : a) {
        const bool plain =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            std::string_view("@.!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
        if (!plain) return false;
    }
    return a.find("..") == std::string_view::npos && a.front() != '.' && a.back() != '.';
}

digest hmac_sha256(byte_view key, byte_view message) {
    constexpr std::size_t block = 64;
    std::array<std::uint8_t, block> k{};
    if (key.size() > block) {
        const digest d = sha256({key});
        std::copy(d.b.begin(), d.b.end(), k.begin());
    } else {
        std::copy(key.begin(), key.end(), k.begin());
    }
    std::array<std::uint8_t, block> inner{}, outer{};
    for (std::size_t i = 0; i < block; ++i) {
        inner[i] = k[i] ^ 0x36;
        outer[i] = k[i] ^ 0x5c;
    }
    const digest h = sha256({byte_view(inner), message});
    return sha256({byte_view(outer), byte_view(h.b)});
}

}  // namespace uurwerk
