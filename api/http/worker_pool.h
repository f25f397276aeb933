#pragma once
// The threads that run the HTTP server's handlers (api/http/http_server.h), apart from its I/O
// threads, so that a handler that blocks (a long poll, a digest of the whole store) holds up no
// other connection. The pool grows on demand: a task goes to an idle worker, else to a new one
// while fewer than `max` run, else it waits in a queue of at most `queue_max` (try_post() says
// false when that is full). A worker idle for `idle_exit` ends, down to `min`.
//
// Ownership and threading: try_post() may be called from any thread; stop() (also run by the
// destructor) runs what is queued, then joins every worker. Tasks must not throw.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace uurwerk {

class worker_pool {
public:
    // `thread_name` (at most 15 characters) names every worker, as /proc and top show it.
    worker_pool(std::size_t min, std::size_t max, std::size_t queue_max,
                std::chrono::milliseconds idle_exit, const char* thread_name = "uw-http-work");
    ~worker_pool();

    // Queues `task` for a worker; false (and `task` dropped) when the queue is full or the
    // pool has stopped.
    [[nodiscard]] bool try_post(std::function<void()> task);
    // Runs the queued tasks, then joins every worker. Idempotent.
    void stop();

    // Workers running now (busy or idle).
    std::size_t threads() const;

    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

private:
    void work(std::list<std::thread>::iterator self);
    void reap(std::unique_lock<std::mutex>& lock);  // joins the workers that ended

    const std::size_t min_, max_, queue_max_;
    const std::chrono::milliseconds idle_exit_;
    const char* const thread_name_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;            // under mutex_
    std::list<std::thread> threads_;                     // under mutex_
    std::list<std::list<std::thread>::iterator> ended_;  // under mutex_: to join
    std::size_t idle_ = 0;                               // under mutex_
    bool stopping_ = false;                              // under mutex_
};

}  // namespace uurwerk
