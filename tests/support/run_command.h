#pragma once
// Test support: run a program to its end and capture what it printed (stdout and stderr
// together) and its exit code. The child inherits nothing but the pipe (O_CLOEXEC).

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

namespace uurwerk::testing {

struct command_result {
    int exit_code = -1;
    std::string out;  // stdout and stderr together
};

// Runs argv[0] (found on PATH when it has no slash) with `argv` and waits for it.
inline command_result run_command(std::vector<std::string> argv_strings) {
    int pipefd[2];
    BOOST_REQUIRE(::pipe2(pipefd, O_CLOEXEC) == 0);
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(pipefd[1], 1);
        ::dup2(pipefd[1], 2);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(pipefd[1]);
    command_result r;
    char buf[4096];
    for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) r.out.append(buf, n);
    ::close(pipefd[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

}  // namespace uurwerk::testing
