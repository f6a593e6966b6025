// One periodic sweep per event loop in place of timers per connection: every member is looked at each
// tick (handshake deadlines, idle pings, the close guard), so an idle connection holds no timer at all.
// Everything here runs on the loop's thread.
// Lifetime: a sweep outlives its loop's work. Its owner destroys the loop (and with it every coroutine still
// suspended there, whose members leave as they go) before the sweep; a member still joined when the sweep
// goes, because something else holds it, is unlinked then, so its later leave() touches nothing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>

namespace lanchat::host::edge {

class Sweep {
public:
    using Clock = std::chrono::steady_clock;

    // Joins the sweep of its loop while it lives (a member of an intrusive list: no allocation).
    class Member {
    public:
        explicit Member(Sweep& sweep);
        virtual ~Member();
        Member(const Member&) = delete;
        Member& operator=(const Member&) = delete;
        virtual void tick(Clock::time_point now) = 0;
        void leave();  // from the loop's thread; the destructor leaves too, when it was not done before

    private:
        friend class Sweep;
        Sweep& sweep_;
        bool joined_ = true;
        Member* previous_ = nullptr;
        Member* next_ = nullptr;
    };

    Sweep(boost::asio::io_context& loop, Clock::duration interval);
    ~Sweep();  // after stop(), once its loop's thread has stopped
    Sweep(const Sweep&) = delete;
    Sweep& operator=(const Sweep&) = delete;
    void start();
    void stop();  // the timer goes, while its loop is still there; members may still leave afterwards

private:
    void schedule();

    std::optional<boost::asio::steady_timer> timer_;
    Clock::duration interval_;
    Member* first_ = nullptr;
    Member* visiting_next_ = nullptr;  // a member may leave during its own tick
};

}  // namespace lanchat::host::edge
