#include "api/http/stream_routes.h"

#include <string>

#include "api/http/route_support.h"
#include "api/json/json.h"

namespace uurwerk {
namespace {

// One server-sent event: `event:` and `data:` lines (and `id:` when given), then a blank line.
std::string sse(std::string_view event, const std::string& data,
                std::optional<std::uint64_t> id = std::nullopt) {
    std::string out;
    if (id) out += "id: " + std::to_string(*id) + "\n";
    out.append("event: ").append(event).append("\ndata: ").append(data).append("\n\n");
    return out;
}

std::string change_json(const member_notice& n, partition_id p) {
    json_writer w;
    w.begin_object();
    w.key("offset").decimal(n.at.value);
    w.key("partition").number(p.value);
    w.key("id").string(n.id.hex());
    w.key("kind").string(kind_name(n.kind));
    w.key("verdict").string(n.reason == reject_reason::none ? "accepted" : "rejected");
    w.key("reason").string(reason_name(n.reason));
    w.end_object();
    return w.take();
}

}  // namespace

std::optional<http_response> member_streams::take_slot(const reader_key& r) {
    std::lock_guard lock(mutex_);
    if (open_ >= streams_max)
        return error_answer(errc::too_many_waiting,
                            "this node has " + std::to_string(streams_max) +
                                " event streams open, its maximum; try again in a moment");
    auto& mine = of_reader_[r];
    if (mine >= streams_per_key_max) {
        return error_answer(errc::too_many_waiting,
                            "this key has " + std::to_string(streams_per_key_max) +
                                " event streams open, the most one device may; close one");
    }
    ++mine;
    ++open_;
    return std::nullopt;
}

void member_streams::give_back(const reader_key& r) {
    std::lock_guard lock(mutex_);
    auto it = of_reader_.find(r);
    UURWERK_ASSERT(it != of_reader_.end() && it->second > 0 && open_ > 0, r.first.value);
    if (--it->second == 0) of_reader_.erase(it);
    --open_;
}

std::size_t member_streams::open_streams() const {
    std::lock_guard lock(mutex_);
    return open_;
}

http_response member_streams::open(const route_call& call) {
    const community_id c = call.args.community;
    const member_id m = call.args.member;
    // Where to start: after the Last-Event-ID a reconnecting EventSource sends, else `after`.
    std::optional<offset> after;
    if (!call.request.last_event_id.empty()) {
        auto id = decimal_text(call.request.last_event_id, "Last-Event-ID");
        if (!id) return error_answer(id.err());
        after = offset{*id};
    } else {
        auto a = decimal_query(call.target, "after");
        if (!a) return error_answer(a.err());
        if (*a) after = offset{**a};
    }
    if (auto known = query::member_exists(node_.folder(c), c, m); !known)
        return error_answer(known.err());
    const auto session = access_.session_of(call.request);
    if (!session) return error_answer(errc::unauthenticated, "sign in to open an event stream");
    const reader_key reader{c, session->key};
    if (auto refused = take_slot(reader)) return std::move(*refused);
    // The slot is given back when the last holder lets go: the stream's answer (dropped
    // unopened when the client went first) and the open stream's close.
    struct slot_guard {
        member_streams* of;
        reader_key reader;
        ~slot_guard() { of->give_back(reader); }
    };
    std::shared_ptr<const slot_guard> slot(new slot_guard{this, reader});

    // What the heartbeat checks again: the request as it came, and its route's arguments.
    struct held {
        http_request request;
        target_parts target;
        route_args args;
    };
    auto kept = std::make_shared<const held>(held{call.request, call.target, call.args});
    auto stream = std::make_shared<http_stream>();
    stream->heartbeat = heartbeat_.load();
    stream->heartbeat_part = ": keep-alive\n\n";
    stream->still_allowed = [this, kept] {
        return !access_.check(caller::self, route_call{kept->request, kept->target, kept->args});
    };
    const std::pair<community_id, member_id> key{c, m};
    stream->opened = [this, key, after, slot](std::shared_ptr<http_stream_sink> sink) {
        const partition_id p = node_.partition_of(key.first);
        member_feed& feed = node_.feed();
        json_writer w;
        w.begin_object();
        w.key("community").decimal(key.first.value);
        w.key("member").decimal(key.second.value);
        w.key("partition").number(p.value);
        w.key("next").decimal(feed.published(p).value);
        w.end_object();
        (void)sink->send("retry: 3000\n\n" + sse("ready", w.take()));
        // What it missed is replayed within subscribe(), under the feed's lock, and held here
        // until it is known whether it fits: more than replay_max changes would be cut off by
        // the server's queue bound (and again at every reconnect), so then only `resync` goes.
        // New changes that come meanwhile wait on the same mutex, so none overtakes them.
        struct replay_state {
            std::mutex mutex;
            bool replaying = true;
            bool too_many = false;
            std::vector<std::string> held;
        };
        auto state = std::make_shared<replay_state>();
        auto sub = feed.subscribe(p, key.first, key.second, after,
                                  [sink, p, state](const member_notice& n) {
                                      std::lock_guard lock(state->mutex);
                                      auto part = sse("change", change_json(n, p), n.at.value);
                                      if (!state->replaying) {
                                          (void)sink->send(std::move(part));
                                      } else if (state->held.size() < replay_max) {
                                          state->held.push_back(std::move(part));
                                      } else {
                                          state->too_many = true;
                                      }
                                  });
        if (!sub) {
            (void)sink->send(sse("error", error_json(errc::too_many_waiting,
                                                     "this node has too many listeners; "
                                                     "try again in a moment")));
            sink->end();
            return;
        }
        {
            // Read before the replay's lock: the feed calls the listener above with its own lock
            // held, so taking the feed's lock under the replay's would be the reverse order (a
            // deadlock with a publish for this member; ThreadSanitizer found it). The offset may
            // be older than at the lock, never newer: a resync from it misses nothing.
            const offset published = feed.published(p);
            std::lock_guard lock(state->mutex);
            if (!state->too_many)
                for (auto& part : state->held) (void)sink->send(std::move(part));
            if (state->too_many || !sub->complete()) {
                json_writer r;
                r.begin_object();
                r.key("next").decimal(published.value);
                r.end_object();
                (void)sink->send(sse("resync", r.take()));
            }
            state->held.clear();
            state->replaying = false;
        }
        std::shared_ptr<member_feed::subscription> listening(std::move(sub));
        sink->on_close([listening, slot]() mutable {
            listening.reset();  // no more notices for this sink
            slot.reset();
        });
    };
    http_response out{200, "text/event-stream; charset=utf-8", {}, {}, stream};
    out.headers = {{"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}};
    return out;
}

}  // namespace uurwerk
