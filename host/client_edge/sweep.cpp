#include "client_edge/sweep.hpp"

#include <utility>

namespace lanchat::host::edge {

Sweep::Member::Member(Sweep& sweep) : sweep_(sweep), next_(sweep.first_) {
    if (next_ != nullptr) next_->previous_ = this;
    sweep.first_ = this;
}

Sweep::Member::~Member() { leave(); }

void Sweep::Member::leave() {
    if (!std::exchange(joined_, false)) return;
    if (sweep_.visiting_next_ == this) sweep_.visiting_next_ = next_;
    if (previous_ != nullptr) previous_->next_ = next_;
    if (next_ != nullptr) next_->previous_ = previous_;
    if (sweep_.first_ == this) sweep_.first_ = next_;
}

Sweep::Sweep(boost::asio::io_context& loop, Clock::duration interval) : interval_(interval) { timer_.emplace(loop); }

Sweep::~Sweep() {
    while (first_ != nullptr) first_->leave();
}

void Sweep::start() { schedule(); }

void Sweep::stop() { timer_.reset(); }

void Sweep::schedule() {
    timer_->expires_after(interval_);
    timer_->async_wait([this](boost::system::error_code error) {
        if (error || !timer_) return;
        Clock::time_point now = Clock::now();
        for (Member* member = first_; member != nullptr; member = visiting_next_) {
            visiting_next_ = member->next_;
            member->tick(now);
        }
        visiting_next_ = nullptr;
        schedule();
    });
}

}  // namespace lanchat::host::edge
