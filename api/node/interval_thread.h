#pragma once
// A thread that runs a function every `interval` until stopped: what the node's checkpointer and
// matcher driver each run on. The first run is one interval after start().
//
// Ownership and threading: owns its thread. start() and stop() are called by the owner (stop()
// is idempotent and run by the destructor; it waits for a run in progress to finish). The
// function runs on the thread only.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace uurwerk {

class interval_thread {
public:
    // `name` is the thread's name (at most 15 characters); an interval of 0 never runs.
    interval_thread(std::string name, std::chrono::milliseconds interval,
                    std::function<void()> run);
    ~interval_thread();
    void start();
    void stop();

    interval_thread(const interval_thread&) = delete;
    interval_thread& operator=(const interval_thread&) = delete;

private:
    std::string name_;
    std::chrono::milliseconds interval_;
    std::function<void()> run_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace uurwerk
