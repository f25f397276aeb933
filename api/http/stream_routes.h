#pragma once
// A member's live event stream (server-sent events, api/README.md "Live: the event stream"):
//   GET /v1/communities/{c}/members/{m}/stream[?after=OFFSET]   (the member or their delegate)
// answers `text/event-stream` and stays open: first `ready` (the partition and the offset the
// stream starts from), then a `change` for every event that gives the member something new to
// see (api/node/member_feed.h: their own events and verdicts, a claim to confirm, a proposal or
// an answer to one), each with `id:` its offset, so that a browser's EventSource that
// reconnects (Last-Event-ID) or a client that passes `after` gets what it missed; `resync` when
// some of that may be forgotten (read the views again). A comment line every heartbeat.
//
// Who may: the row's caller (caller::self), checked when the stream opens and again at every
// heartbeat: a session that expires, a key revoked, a member suspended or gone ends the stream.
// Bounded: at most streams_max streams on the node and streams_per_key_max opened with one
// signed-in key (a device: so that a delegate cannot take the member's own slots; beyond, 503
// too_many_waiting); a client that reads too slowly is cut off by the server
// (http_server_options::stream_queue_bytes_max).
//
// Threading: open() runs on a worker; the stream's parts are sent from the projectors' writer
// threads and the I/O threads; everything here is safe from any thread.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include "api/http/access.h"
#include "api/http/router.h"
#include "api/node/node.h"

namespace uurwerk {

inline constexpr std::size_t streams_max = 4096;
inline constexpr std::size_t streams_per_key_max = 8;
// Changes replayed to a stream that resumes; beyond, it is told to resync instead.
inline constexpr std::size_t replay_max = 64;

class member_streams {
public:
    member_streams(node& n, uurwerk::access& who) : node_(n), access_(who) {}

    // The route's handler (its access check passed already).
    [[nodiscard]] http_response open(const route_call& call);

    // Streams open now.
    [[nodiscard]] std::size_t open_streams() const;
    // The heartbeat of streams opened from now on (15 s; tests make it shorter).
    void set_heartbeat(std::chrono::milliseconds every) { heartbeat_ = every; }

    member_streams(const member_streams&) = delete;
    member_streams& operator=(const member_streams&) = delete;

private:
    // Who opens a stream: the community and the signed-in key (the reader's device).
    using reader_key = std::pair<community_id, public_key>;
    // Counts a stream of `r`, or says why not.
    [[nodiscard]] std::optional<http_response> take_slot(const reader_key& r);
    void give_back(const reader_key& r);

    node& node_;
    uurwerk::access& access_;
    std::atomic<std::chrono::milliseconds> heartbeat_{std::chrono::milliseconds(15'000)};
    mutable std::mutex mutex_;
    std::size_t open_ = 0;                         // under mutex_
    std::map<reader_key, std::size_t> of_reader_;  // under mutex_
};

}  // namespace uurwerk
