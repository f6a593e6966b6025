// Mentions of a user in a message body: "@alice", as the chat highlights them and rings the bell for.
#pragma once

#include <string>

namespace lanchat::client {

// Whether `body` mentions @`username`: any case, not inside a word or an e-mail address ("bob@alice.org"),
// and not a longer name ("@alice2", "@alice.b"); a sentence may end right after it ("@alice.").
bool mentions(const std::string& body, const std::string& username);

}  // namespace lanchat::client
