#include "ledger/log/event_log.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

namespace uurwerk {

// The blocking append every implementation gets for free: append_async, then wait for the
// callback. The waiter is shared with the callback, so it outlives whichever side ends last.
result<offset> event_log::append(bytes payload) {
    struct waiter {
        std::mutex mutex;
        std::condition_variable done;
        std::optional<result<offset>> outcome;
    };
    auto w = std::make_shared<waiter>();
    auto queued = append_async(std::move(payload), [w](result<offset> r) {
        std::lock_guard lock(w->mutex);
        UURWERK_ASSERT(!w->outcome.has_value(), "an append callback ran twice");
        w->outcome.emplace(std::move(r));
        w->done.notify_one();
    });
    if (!queued) return queued.err();
    std::unique_lock lock(w->mutex);
    w->done.wait(lock, [&] { return w->outcome.has_value(); });
    return std::move(*w->outcome);
}

}  // namespace uurwerk
