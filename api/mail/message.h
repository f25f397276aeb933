#pragma once
// The e-mail messages of the outbox (projections/outbox.h), composed: what each purpose says in
// the recipient's language (nl by default, en), the link that opens the web app at the right
// screen (a hash route of api/web/public/js/app.js; it only opens the app: every action there
// still asks the member to sign in with their own key), the one-click way to stop such mail,
// and the RFC 5322 form the relay is given (UTF-8 text, CRLF lines, List-Unsubscribe and
// List-Unsubscribe-Post per RFC 8058, a Message-ID derived from the outbox item, so the same
// item always makes the same Message-ID).
//
// Pure functions; safe from any thread.

#include <optional>
#include <string>
#include <string_view>

#include "ledger/core/event.h"
#include "ledger/core/profile.h"
#include "projections/outbox.h"

namespace uurwerk {

enum class mail_language : std::uint8_t { nl, en };

// The first of the profile's languages that the messages exist in; nl without one.
[[nodiscard]] mail_language language_of(const std::optional<member_profile>& p);
[[nodiscard]] std::string_view language_code(mail_language l);

// How often a member wants mail (kept in the mail store beside the profile, never in the log).
enum class mail_frequency : std::uint8_t { at_once = 0, daily, weekly, never };
[[nodiscard]] std::string_view frequency_name(mail_frequency f);
[[nodiscard]] std::optional<mail_frequency> parse_frequency(std::string_view name);

// Everything one message says.
struct mail_facts {
    mail_purpose purpose = mail_purpose::proposal_to_answer;
    mail_language language = mail_language::nl;
    std::string recipient_name;           // "" when the recipient set no profile
    std::optional<std::string> for_name;  // a proxy's copy: the member it is about
    std::string other_name;               // the other person's display name ("" = unknown)
    // The other person's contact details, only when the access rules let the one the message is
    // about see them (query::matched); none otherwise.
    std::optional<member_profile> other_contact;
    std::string app_url;          // the web app's address, without a trailing '/'
    std::string unsubscribe_url;  // the one-click link (api/mail/mailer.h)
};

struct mail_text {
    std::string subject;  // ASCII
    std::string body;     // UTF-8, lines ending in "\r\n"
    std::string link;     // the app at the right screen
};
[[nodiscard]] mail_text compose(const mail_facts& f);

// The digest of a daily or weekly reader: a line for each notification held since their last
// one, then the open requests that fit their offers (`fitting`: a line each, e.g. "shopping,
// 3512", best first), each part left out when empty.
[[nodiscard]] mail_text compose_digest(mail_language l, std::string_view recipient_name,
                                       const std::vector<mail_text>& items,
                                       const std::vector<std::string>& fitting,
                                       std::string_view app_url, std::string_view unsubscribe_url);

// An invitation to join (or to add a device, or new keys): the link that opens the app's join
// screen with the invitation's code, where the invitee makes their key; nothing happens until
// they do. No stop link: the invitee is no member, and the message is a one-off.
[[nodiscard]] mail_text compose_invitation(mail_language l, std::string_view community_name,
                                           std::string_view link);

struct mail_envelope {
    std::string from;        // the node's sender address
    std::string to;          // the recipient's address
    std::string message_id;  // without <>: derived from the outbox item
    std::string date;        // RFC 5322 date
    mail_language language = mail_language::nl;
    std::string unsubscribe_url;  // "" = no List-Unsubscribe (an invitation)
};
// The message as the relay is given it.
[[nodiscard]] std::string rfc5322(const mail_envelope& e, const mail_text& t);
// An RFC 5322 date of `t` (UTC).
[[nodiscard]] std::string rfc5322_date(time_ms t);

// Whether `address` may go into a header and an SMTP RCPT as it is: local@domain of the
// characters of RFC 5322's dot-atom, at most 254. Profiles allow more (profile.h); a message
// is not sent to an address that fails this.
[[nodiscard]] bool sendable_address(std::string_view address);

// HMAC-SHA-256 (RFC 2104) of `message` under `key`: the unsubscribe token's maths.
[[nodiscard]] digest hmac_sha256(byte_view key, byte_view message);

}  // namespace uurwerk
