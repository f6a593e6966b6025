#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

extern char** environ;

namespace lanchat::testing {

ChildProcess::ChildProcess(std::vector<std::string> argv, std::optional<std::string> input) {
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    int input_fds[2] = {-1, -1};
    if (input && pipe2(input_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (input) posix_spawn_file_actions_adddup2(&actions, input_fds[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    // The test runner may block signals; the child must start with none blocked.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

    std::vector<char*> args;
    for (std::string& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    int result = posix_spawn(&pid_, args[0], &actions, &attributes, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(pipe_fds[1]);
    if (input) {
        close(input_fds[0]);
        // Test inputs are a few lines: they fit the pipe's buffer, so this write does not wait for the child.
        if (result == 0 && write(input_fds[1], input->data(), input->size()) != static_cast<ssize_t>(input->size())) {
            close(input_fds[1]);
            throw std::runtime_error("cannot write the input of " + argv[0]);
        }
        close(input_fds[1]);
    }
    if (result != 0) {
        close(pipe_fds[0]);
        throw std::runtime_error("cannot start " + argv[0]);
    }
    reader_ = std::thread([this, fd = pipe_fds[0]] { read_output(fd); });
}

ChildProcess::~ChildProcess() {
    if (!wait_exit(std::chrono::milliseconds(0))) {
        kill(pid_, SIGKILL);
        wait_exit(std::chrono::seconds(10));
    }
    if (reader_.joinable()) reader_.join();
}

void ChildProcess::read_output(int fd) {
    std::string pending;
    char buffer[4096];
    for (;;) {
        ssize_t got = read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        pending.append(buffer, static_cast<size_t>(got));
        size_t newline;
        while ((newline = pending.find('\n')) != std::string::npos) {
            std::lock_guard lock(mutex_);
            lines_.push_back(pending.substr(0, newline));
            pending.erase(0, newline + 1);
            changed_.notify_all();
        }
    }
    close(fd);
    std::lock_guard lock(mutex_);
    if (!pending.empty()) lines_.push_back(pending);
    output_closed_ = true;
    changed_.notify_all();
}

std::optional<std::string> ChildProcess::wait_for_line(const std::string& text, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    size_t checked = 0;
    std::optional<std::string> found;
    changed_.wait_for(lock, timeout, [&] {
        for (; checked < lines_.size(); ++checked) {
            if (lines_[checked].find(text) != std::string::npos) {
                found = lines_[checked];
                return true;
            }
        }
        return output_closed_;
    });
    return found;
}

void ChildProcess::send_signal(int signal) { kill(pid_, signal); }

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t done = waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (reader_.joinable()) reader_.join();
            return exit_code_;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::vector<std::string> ChildProcess::lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
}

std::string ChildProcess::output() const {
    std::string all;
    for (const std::string& line : lines()) all += line + "\n";
    return all;
}

Completed run_to_exit(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                      std::optional<std::string> input) {
    ChildProcess child(std::move(argv), std::move(input));
    std::optional<int> code = child.wait_exit(timeout);
    Completed completed;
    completed.exit_code = code.value_or(-1);
    if (!code) child.send_signal(SIGKILL);
    completed.lines = child.lines();
    completed.output = child.output();
    return completed;
}

}  // namespace lanchat::testing
