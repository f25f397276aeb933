#pragma once
// The mail sender: the adapter that turns the outbox projection (projections/outbox.h) into
// e-mail through the operator's relay (api/mail/smtp.h). It runs on a thread of its own
// ("uw-mail"), reads each partition's outbox from the projection store (never the projector's
// maps, never its lock for long: a member row and a profile per message, through the query
// layer), and keeps what it did in the mail store (projections/mail_store.h, `DIR/mail`). It
// never touches the ingest path: a relay that is down only makes messages wait.
//
// Delivery is AT LEAST ONCE. For each item, in log order: decide (the recipient's choice and
// address, the language, the contact details the access rules allow at the moment of sending),
// send, and only then record it as sent, synced, with the partition's cursor. A crash before
// the record sends the item again after the restart; so does a crash after the relay took the
// message but before the record: the only case that makes a second copy, and that copy has
// the same Message-ID (derived from the outbox key), so mail programs can recognise it. We
// chose this over at-most-once because a lost "hours to confirm" or "a match accepted" leaves
// a member waiting without knowing, while a rare duplicate costs a glance.
//
// What is never sent: items before the mail store's horizon (the projection's applied offset
// when the sender first ran on this data: turning mail on does not mail the past; a rebuild of
// the projection writes the same outbox keys, and those sent are known by key), items for a
// member who chose `never`, who left, or has no address that can go in a header.
//
// Each member chooses how often (mail_frequency, api/mail/message.h; kept here, not in the
// log): at_once, daily or weekly, or never. A daily or weekly reader's items are held and go as
// one digest when a day or a week has passed since their last one (counted from when the sender
// first saw the choice), with the open requests that fit their offers (query::requests_for, best
// fit first, at most digest_requests_max); the due digests go in the order of the fairness
// layer's exposure per relevance, the helpers heard least often first. Every message carries a link
// that stops such mail in one click (an HMAC under the node's mail secret over the community
// and member: unforgeable without the node's disk), and the List-Unsubscribe headers.
//
// Fault injection (the crash drill of issue 25): `crash_before_send` = N makes the process die
// (SIGKILL) after it decided the Nth message and before it sends it.
//
// Threading: start() and stop() by the owner; the setters and token checks from any thread.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/mail/message.h"
#include "api/mail/smtp.h"
#include "api/node/interval_thread.h"
#include "api/node/node.h"
#include "projections/mail_store.h"

namespace uurwerk {

// Items read from a partition's outbox at a time, and such batches in one pass.
inline constexpr std::size_t mail_round_items_max = 256;
inline constexpr std::size_t mail_round_batches_max = 64;
// Open requests that fit a reader's offers, in a digest.
inline constexpr std::size_t digest_requests_max = 5;

// Which partitions' mail this node sends, in a cluster where every node folds every
// partition: partition p is this node's when p % count == index. The operator gives each
// sending node its own index of the same count (`serve --mail-share INDEX/COUNT`), so that one
// node sends a given message; by default (0/1) this node sends all. A node that is down holds
// its share's mail until it is back (its cursor is in its own DIR/mail).
struct mail_share {
    std::uint32_t index = 0;
    std::uint32_t count = 1;
    bool owns(partition_id p) const { return p.value % count == index; }
};
// "INDEX/COUNT", 0 <= INDEX < COUNT <= 256. Errors: bad_argument.
[[nodiscard]] result<mail_share> parse_mail_share(std::string_view text);

struct mailer_options {
    std::string from;                     // the sender address (sendable_address)
    std::string app_url;                  // the web app's address, e.g. https://tijdbank.example.nl
    log_clock clock;                      // for Date:, the access rules' now, and the digests
    std::chrono::milliseconds poll{200};  // how often the outbox is read
    std::chrono::milliseconds retry_first{500};   // after a relay failure; doubles
    std::chrono::milliseconds retry_max{10'000};  // up to this
    std::optional<std::uint64_t> crash_before_send = std::nullopt;
    mail_share share{};  // the partitions this node sends the mail of
};

struct mailer_stats {
    std::uint64_t sent = 0;      // messages the relay took (digests count once)
    std::uint64_t held = 0;      // items held for a daily or weekly digest
    std::uint64_t not_sent = 0;  // items for `never`, a member who left, or no address
    std::uint64_t failures = 0;  // sends that failed (each retried)
};

class mailer {
public:
    // Opens `dir` (the mail store), makes the node's mail secret on first use, and sets each
    // partition's horizon at its applied offset when it has none. Errors: the mail store's,
    // bad_argument (a `from` that cannot be sent from).
    [[nodiscard]] static result<std::unique_ptr<mailer>> open(
        node& n, const std::filesystem::path& dir, mailer_options options,
        std::unique_ptr<mail_transport> transport);
    ~mailer();
    // The web app's address in links, when options.app_url was empty (the server's own, once
    // it listens). Before start() only.
    void set_app_url(std::string url) { options_.app_url = std::move(url); }
    void start();
    void stop();

    // One pass over every partition's outbox and the due digests, on the calling thread (what
    // the thread runs; tests call it). Errors: the relay's (the rest waits), the store's.
    [[nodiscard]] result<void> run_once();

    // Queues the e-mail of invitation `invitation` of `c` (its code checked by the caller) to
    // `address`, in `l`: kept in the mail store (the code too, which the link carries) only
    // until the relay took it, and sent at least once while the invitation is open (one that
    // was used or expired meanwhile is dropped). Errors: the store's.
    [[nodiscard]] result<void> queue_invitation(community_id c, const event_id& invitation,
                                                const invitation_code& code,
                                                const std::string& address, mail_language l);

    [[nodiscard]] result<mail_frequency> frequency(community_id c, member_id m) const;
    [[nodiscard]] result<void> set_frequency(community_id c, member_id m, mail_frequency f);
    // The unsubscribe token of member `m` of `c` (hex), and whether `token` is it.
    [[nodiscard]] std::string unsubscribe_token(community_id c, member_id m) const;
    [[nodiscard]] bool token_matches(community_id c, member_id m, std::string_view token) const;
    [[nodiscard]] std::string unsubscribe_url(community_id c, member_id m) const;

    mailer_stats stats() const;

    mailer(const mailer&) = delete;
    mailer& operator=(const mailer&) = delete;

private:
    mailer(node& n, mailer_options o, std::unique_ptr<mail_transport> t)
        : node_(n), options_(std::move(o)), transport_(std::move(t)) {}
    [[nodiscard]] result<void> run_partition(partition_id p);
    // Decides and sends (or holds, or skips) one item; records it.
    [[nodiscard]] result<void> handle(partition_id p, const outbox_item& item,
                                      const std::string& key);
    // Writes the records of items that ended without a send (one synced write).
    [[nodiscard]] result<void> flush_pending();
    [[nodiscard]] result<void> send_due_digests();
    [[nodiscard]] result<void> send_invitations();
    [[nodiscard]] result<void> send_digest(community_id c, member_id m, mail_frequency f,
                                           time_ms now);
    [[nodiscard]] result<void> deliver(const std::string& to, const std::string& message_id,
                                       mail_language l, const std::string& unsubscribe,
                                       const mail_text& t);
    void tick();

    node& node_;
    mailer_options options_;
    std::unique_ptr<mail_transport> transport_;
    std::unique_ptr<mail_store> store_;
    std::string secret_;
    std::string domain_;  // of `from`: the Message-IDs' right side
    std::uint64_t decided_ = 0;
    std::chrono::steady_clock::time_point next_try_{};
    std::chrono::milliseconds backoff_{0};
    std::mutex run_mutex_;  // one pass at a time
    // Records of items that ended without a send, to write with the next write (the pass's).
    std::vector<std::pair<std::string, std::string>> pending_;
    std::atomic<std::uint64_t> sent_{0}, held_{0}, not_sent_{0}, failures_{0};
    std::unique_ptr<interval_thread> ticker_;
};

}  // namespace uurwerk
