#pragma once
// The member feed: what each member has new to see, as the projectors apply it
// (projections/projector.h: member_notice), handed to whoever listens for that member (the
// event stream of the web app, api/http), with the recent past kept so that a listener who
// reconnects gets what it missed.
//
// A node publishes each partition's notices after the batch that holds them is durable, with
// the offsets the batch covers. The feed remembers the last `remembered_max` notices of all
// partitions together, and for each partition the offset from which it remembers every notice
// (`complete_from`: the partition's applied offset when the feed was made, moved on as old
// notices are forgotten). A listener subscribes to one member of one community, optionally
// "after" an offset (the last it saw): it gets at once, in log order, every remembered notice
// of that member after it, then every new one as it is published; when notices after that
// offset may have been forgotten (it is before complete_from), it is told so (`complete` is
// false) and should read its views again.
//
// Bounded: remembered_max notices, and at most listeners_max listeners (subscribe refuses
// beyond). Pure of I/O and clocks.
//
// Threading: every function may be called from any thread. A listener's function is called
// under the feed's lock, in log order, from the thread that publishes (a projector's writer
// thread) or from subscribe(): it must be quick and must not call the feed.

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "ledger/log/partition.h"
#include "projections/projector.h"

namespace uurwerk {

inline constexpr std::size_t member_feed_remembered_max = 65'536;
inline constexpr std::size_t member_feed_listeners_max = 16'384;

class member_feed {
public:
    using listener = std::function<void(const member_notice&)>;

    // `applied` holds each partition's applied offset now: the feed remembers every notice of
    // partition p from applied[p] on.
    member_feed(std::vector<offset> applied,
                std::size_t remembered_max = member_feed_remembered_max,
                std::size_t listeners_max = member_feed_listeners_max);

    // From partition p's projector: a durable batch [from, next) and its notices, in log order.
    void publish(partition_id p, offset from, offset next, const std::vector<member_notice>& batch);

    // What subscribe() answers: a ticket that unsubscribes when it is destroyed (from any
    // thread, also after the feed is gone), and whether the replay was complete.
    class subscription {
    public:
        ~subscription();
        subscription(const subscription&) = delete;
        subscription& operator=(const subscription&) = delete;
        // False: notices after `after` may have been forgotten before the replay.
        bool complete() const { return complete_; }

    private:
        friend class member_feed;
        subscription(std::weak_ptr<struct member_feed_core> core, community_id c, member_id m,
                     std::uint64_t id, bool complete)
            : core_(std::move(core)), community_(c), member_(m), id_(id), complete_(complete) {}
        std::weak_ptr<struct member_feed_core> core_;
        community_id community_;
        member_id member_;
        std::uint64_t id_;
        bool complete_;
    };

    // Listens for member m of community c, whose events are in partition p. With `after`, the
    // remembered notices of m at offsets after it are given first. None when listeners_max
    // listen already.
    [[nodiscard]] std::unique_ptr<subscription> subscribe(partition_id p, community_id c,
                                                          member_id m, std::optional<offset> after,
                                                          listener fn);

    // Listeners now, and the offset from which partition p's notices are all remembered.
    [[nodiscard]] std::size_t listeners() const;
    [[nodiscard]] offset complete_from(partition_id p) const;
    // The next offset partition p will publish (one past its last published batch).
    [[nodiscard]] offset published(partition_id p) const;

    member_feed(const member_feed&) = delete;
    member_feed& operator=(const member_feed&) = delete;

private:
    std::shared_ptr<struct member_feed_core> core_;
};

}  // namespace uurwerk
