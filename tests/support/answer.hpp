// wait_for_answer: calls logic that answers through a callback (on any thread) and waits for that answer,
// so a test can read it as a plain return value.
#pragma once

#include <future>
#include <utility>

namespace lanchat::testing {

// `start(done)` begins the work; `done(Answer)` must be called exactly once.
template <class Answer, class Start>
Answer wait_for_answer(Start&& start) {
    std::promise<Answer> answer;
    std::forward<Start>(start)([&answer](Answer given) { answer.set_value(std::move(given)); });
    return answer.get_future().get();
}

}  // namespace lanchat::testing
