// ChildProcess: runs a real program (lanchatd) for integration tests and watches its output line by line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace lanchat::testing {

class ChildProcess {
public:
    // Starts `argv[0]` with `argv`; stdout and stderr are captured together, line by line. With `input`,
    // the child's stdin is a pipe holding that text, then end of file.
    explicit ChildProcess(std::vector<std::string> argv, std::optional<std::string> input = std::nullopt);
    ~ChildProcess();  // kills the child if it still runs
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Waits until a line containing `text` appears; returns it, or nullopt on timeout or exit.
    std::optional<std::string> wait_for_line(const std::string& text,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(20));
    void send_signal(int signal);
    // The exit code (128 + signal when killed by one), or nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(20));

    std::vector<std::string> lines() const;
    std::string output() const;  // all lines joined, for failure messages
    pid_t pid() const { return pid_; }

private:
    void read_output(int fd);

    pid_t pid_ = -1;
    std::optional<int> exit_code_;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> lines_;
    bool output_closed_ = false;
};

struct Completed {
    int exit_code = -1;
    std::vector<std::string> lines;
    std::string output;
};

// Runs a program to completion (killing it after `timeout`).
Completed run_to_exit(std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(30),
                      std::optional<std::string> input = std::nullopt);

}  // namespace lanchat::testing
