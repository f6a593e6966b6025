// Which accepted TCP connections the client edge keeps, decided before any TLS work: at most
// `max_connections` in all, at most `max_connections_per_address` from one IP address (one host on the LAN
// cannot take every slot), and never one whose descriptor eats into the reserve the rest of the node needs
// (the mesh, the admin endpoint, plugins' data files): past that point a new client connection is closed at
// once, so a mesh call and /health/ready still get a descriptor. Thread-safe.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <map>
#include <mutex>

namespace lanchat::host::edge {

// The key a connection's address counts under: an IPv6 address's /64 prefix, an IPv4 address itself (also
// written as IPv6).
boost::asio::ip::address address_key(const boost::asio::ip::address& address);

// Descriptors below the limit that client connections never take (the node's own need at run time is
// far smaller than the 256 kept out of max_connections at start; this is the last line when it grows).
constexpr size_t kEdgeDescriptorReserve = 64;

class ConnectionSlots {
public:
    enum class Outcome { taken, full, address_full, descriptors_low };

    // `descriptor_limit`: the soft RLIMIT_NOFILE in force (0: read it now).
    ConnectionSlots(size_t max_total, size_t max_per_address, size_t descriptor_limit = 0);

    // Takes a slot for a connection from `address` whose socket is descriptor `descriptor`. Descriptors are
    // handed out lowest first, so a number this high means nearly every one below it is in use.
    // IPv6 addresses count per /64 (one host picks freely among the 2^64 addresses of its LAN's prefix);
    // IPv4 addresses, and IPv4 as IPv6 (::ffff:a.b.c.d), count one by one.
    Outcome take(const boost::asio::ip::address& address, int descriptor);
    void give_back(const boost::asio::ip::address& address);  // once per taken slot

    size_t in_use() const;

private:
    size_t max_total_;
    size_t max_per_address_;
    size_t descriptor_ceiling_;  // the first descriptor number a client connection may not have
    mutable std::mutex mutex_;
    size_t total_ = 0;  // with mutex_
    // With mutex_; only hosts holding a slot, so never more entries than max_total.
    std::map<boost::asio::ip::address, size_t> by_address_;
};

// A descriptor held spare (on /dev/null) so that, when accept fails for want of descriptors, the waiting
// connection can still be taken and closed at once instead of hanging in the backlog.
class SpareDescriptor {
public:
    SpareDescriptor();
    ~SpareDescriptor();
    SpareDescriptor(const SpareDescriptor&) = delete;
    SpareDescriptor& operator=(const SpareDescriptor&) = delete;

    // Frees the spare, accepts and closes one pending connection on `listening`, takes the spare again.
    // Returns whether a connection was refused that way.
    bool refuse_one(int listening);
    // Takes the spare again if an earlier attempt found no descriptor (then a later accept that fails for
    // want of one would leave its connection waiting); does nothing while it is held.
    void retake();
    bool held() const { return descriptor_ >= 0; }

private:
    int descriptor_ = -1;
};

}  // namespace lanchat::host::edge
