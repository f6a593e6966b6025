#include "client_edge/connection_slots.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace lanchat::host::edge {
namespace {

size_t soft_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return static_cast<size_t>(-1);
    return static_cast<size_t>(limit.rlim_cur);
}

}  // namespace

boost::asio::ip::address address_key(const boost::asio::ip::address& address) {
    if (!address.is_v6()) return address;
    const boost::asio::ip::address_v6 v6 = address.to_v6();
    if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
    boost::asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    return boost::asio::ip::address_v6(bytes);
}

ConnectionSlots::ConnectionSlots(size_t max_total, size_t max_per_address, size_t descriptor_limit)
    : max_total_(max_total), max_per_address_(max_per_address) {
    size_t limit = descriptor_limit != 0 ? descriptor_limit : soft_descriptor_limit();
    descriptor_ceiling_ = limit > kEdgeDescriptorReserve ? limit - kEdgeDescriptorReserve : 0;
}

ConnectionSlots::Outcome ConnectionSlots::take(const boost::asio::ip::address& address, int descriptor) {
    if (descriptor < 0 || static_cast<size_t>(descriptor) >= descriptor_ceiling_) return Outcome::descriptors_low;
    const boost::asio::ip::address key = address_key(address);
    std::lock_guard lock(mutex_);
    if (total_ >= max_total_) return Outcome::full;
    size_t& from_address = by_address_[key];
    if (from_address >= max_per_address_) {
        if (from_address == 0) by_address_.erase(key);
        return Outcome::address_full;
    }
    ++from_address;
    ++total_;
    return Outcome::taken;
}

void ConnectionSlots::give_back(const boost::asio::ip::address& address) {
    std::lock_guard lock(mutex_);
    --total_;
    auto found = by_address_.find(address_key(address));
    if (found != by_address_.end() && --found->second == 0) by_address_.erase(found);
}

size_t ConnectionSlots::in_use() const {
    std::lock_guard lock(mutex_);
    return total_;
}

SpareDescriptor::SpareDescriptor() : descriptor_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

SpareDescriptor::~SpareDescriptor() {
    if (descriptor_ >= 0) ::close(descriptor_);
}

void SpareDescriptor::retake() {
    if (descriptor_ < 0) descriptor_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

bool SpareDescriptor::refuse_one(int listening) {
    retake();
    if (descriptor_ < 0) return false;
    ::close(descriptor_);
    int accepted = ::accept4(listening, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (accepted >= 0) ::close(accepted);
    descriptor_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return accepted >= 0;
}

}  // namespace lanchat::host::edge
