#include "http_get.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lanchat::testing {

HttpReply http_request(const std::string& address, const std::string& method, const std::string& path) {
    size_t colon = address.rfind(':');
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    inet_pton(AF_INET, address.substr(0, colon).c_str(), &peer.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    HttpReply reply;
    if (connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
        close(fd);
        return reply;
    }
    std::string request = method + " " + path + " HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
    if (write(fd, request.data(), request.size()) < 0) {
        close(fd);
        return reply;
    }
    std::string response;
    char buffer[4096];
    ssize_t got;
    while ((got = read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, static_cast<size_t>(got));
    close(fd);
    if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return reply;
    reply.status = std::stoi(response.substr(9, 3));
    size_t body = response.find("\r\n\r\n");
    if (body != std::string::npos) reply.body = response.substr(body + 4);
    return reply;
}

}  // namespace lanchat::testing
