// The terminal client's output of chat messages: one line per message, and a thread of its own for what the
// server pushes, so that looking up a name (a request) never blocks the connection's reader.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "chat_client.hpp"
#include "line_editor.hpp"

namespace lanchat::client {

// "[channel #sequence] author: body" (or the edit, delete, joined or left form); may ask the server for
// the author's name first.
std::string format_message(ChatClient& client, const nlohmann::json& message, const std::string& channel_label);
// format_message on stdout (the scriptable commands). Safe beside Printer's thread.
void print_message(ChatClient& client, const nlohmann::json& message, const std::string& channel_label);

// A message as the chat shows it: format_message, and when it mentions you (by someone else) highlighted
// on a terminal (`styled`) and with the terminal's bell.
std::string chat_line(ChatClient& client, const nlohmann::json& message, bool styled);

// Prints pushed frames in order on its own thread, from construction until destruction, through `editor`
// (so above the line being typed); a frame pushed before destruction is still handled. `client` and
// `editor` must outlive it.
class Printer {
public:
    Printer(ChatClient& client, LineEditor& editor, bool styled)
        : client_(client), editor_(editor), styled_(styled), thread_([this] { loop(); }) {}
    ~Printer();
    void push(nlohmann::json frame);

private:
    void loop();
    void handle(const nlohmann::json& frame);

    ChatClient& client_;
    LineEditor& editor_;
    const bool styled_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<nlohmann::json> frames_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace lanchat::client
