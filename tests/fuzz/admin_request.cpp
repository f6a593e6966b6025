// The admin endpoint's request handling: any bytes sent to a running AdminServer on loopback, which reads
// them as an HTTP request (Beast's parser with the endpoint's limits), refuses web pages' requests and
// hands the rest to its handler, and answers every connection with one HTTP response before it closes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "admin/admin_server.hpp"
#include "logging/log.hpp"

namespace {

namespace admin = lanchat::host::admin;

void require(bool holds, const char* what) {
    if (holds) return;
    std::fprintf(stderr, "fuzz_admin_request: %s (%s)\n", what, std::strerror(errno));
    std::abort();
}

// The server answers what routes answer: the method and target it was asked, as a body.
const admin::AdminServer& server() {
    static lanchat::host::NodeLog log(lanchat::host::LogFormat::json, LANCHAT_LOG_ERROR);
    static auto started = admin::AdminServer::start(
        "127.0.0.1:0", std::nullopt,
        [](const admin::Request& request) {
            return admin::Response{200, "text/plain; charset=utf-8", request.method + " " + request.target + "\n"};
        },
        log);
    require(started.ok(), "the admin endpoint does not start");
    return **started;
}

bool connected_after_interrupt(int fd) {
    pollfd ready{fd, POLLOUT, 0};
    int polled = 0;
    while ((polled = poll(&ready, 1, 5000)) < 0 && errno == EINTR) {
    }
    int error = 0;
    socklen_t length = sizeof error;
    if (polled != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return false;
    errno = error;
    return error == 0;
}

int connect_to(const std::string& address) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    // Closed with a reset once the answer is read: a thousand connections a second ending in TIME_WAIT
    // would use up loopback's ephemeral ports within half a minute.
    linger abortive{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    require(fd >= 0, "cannot open a socket");
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        // libFuzzer's timeout alarm can interrupt connect (EINTR); the connection then goes on being set up
        // in the background, and is ready once the socket turns writable.
        require(errno == EINTR && connected_after_interrupt(fd), "cannot connect to the admin endpoint");
    }
    return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    int fd = connect_to(server().address());
    // The server may answer (and close) before it read everything, so a failed send is no finding.
    (void)send(fd, data, size, MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    std::string answer;
    char buffer[4096];
    ssize_t got = 0;
    // libFuzzer's timeout alarm interrupts a waiting recv (EINTR): that is no end of the answer.
    while ((got = recv(fd, buffer, sizeof buffer, 0)) > 0 || (got < 0 && errno == EINTR)) {
        if (got > 0) answer.append(buffer, static_cast<size_t>(got));
    }
    bool reset = got < 0 && errno == ECONNRESET;  // closed with bytes of ours unread: the answer may be lost
    close(fd);
    require(answer.rfind("HTTP/1.", 0) == 0 || (answer.empty() && reset), "the connection ended without an answer");
    return 0;
}
