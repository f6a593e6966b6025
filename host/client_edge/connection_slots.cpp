#include "client_edge/connection_slots.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lanchat::host::edge {
namespace {

size_t soft_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return static_cast<size_t>(-1);
    return static_cast<size_t>(limit.rlim_cur);
}

}  // namespace

ConnectionSlots::ConnectionSlots(size_t max_total, size_t max_per_address, size_t descriptor_limit)
    : max_total_(max_total), max_per_address_(max_per_address) {
    size_t limit = descriptor_limit != 0 ? descriptor_limit : soft_descriptor_limit();
    descriptor_ceiling_ = limit > kEdgeDescriptorReserve ? limit - kEdgeDescriptorReserve : 0;
}

ConnectionSlots::Outcome ConnectionSlots::take(const boost::asio::ip::address& address, int descriptor) {
    if (descriptor < 0 || static_cast<size_t>(descriptor) >= descriptor_ceiling_) return Outcome::descriptors_low;
    std::lock_guard lock(mutex_);
    if (total_ >= max_total_) return Outcome::full;
    size_t& from_address = by_address_[address];
    if (from_address >= max_per_address_) {
        if (from_address == 0) by_address_.erase(address);
        return Outcome::address_full;
    }
    ++from_address;
    ++total_;
    return Outcome::taken;
}

void ConnectionSlots::give_back(const boost::asio::ip::address& address) {
    std::lock_guard lock(mutex_);
    --total_;
    auto found = by_address_.find(address);
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

bool SpareDescriptor::refuse_one(int listening) {
    if (descriptor_ < 0) return false;
    ::close(descriptor_);
    int accepted = ::accept4(listening, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (accepted >= 0) ::close(accepted);
    descriptor_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return accepted >= 0;
}

}  // namespace lanchat::host::edge
