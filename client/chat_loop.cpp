#include "chat_loop.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "line_editor.hpp"
#include "screen.hpp"

namespace lanchat::client {

using json = nlohmann::json;

namespace {

constexpr int kRecentMessages = 20;
constexpr const char* kHelp =
    "commands: /join NAME, /switch NAME, /create NAME, /dm USER, /invite USER, /channels, /history, /away, "
    "/online, /quit; Ctrl-L redraws";

bool starts_with(const std::string& line, const char* prefix) { return line.rfind(prefix, 0) == 0; }

// What follows the command word, or nothing.
std::string argument_of(const std::string& line) {
    return line.find(' ') == std::string::npos ? std::string() : line.substr(line.find(' ') + 1);
}

// The channel typed lines go to, and what one line does. Every command says what it did, or why not.
class ChatLoop {
public:
    ChatLoop(ChatClient& client, LineEditor& editor, bool styled) : client_(client), editor_(editor), styled_(styled) {}

    // Learns the channels' names, enters `start_channel` if given, subscribes and greets.
    bool begin(const std::optional<std::string>& start_channel) {
        json listed;
        if (!client_.call({{"type", "channels.list"}}, listed)) return false;
        for (const json& channel : listed["channels"]) client_.remember_channel(channel);
        if (!client_.subscribe()) return false;
        editor_.print("connected as " + client_.my_name() + "; " +
                      (start_channel ? "" : "/switch NAME to pick a channel, ") + "/help for commands");
        if (start_channel) {
            auto channel = client_.find_channel(*start_channel);
            if (!channel) return false;
            enter(*channel, "in");
        }
        return true;
    }

    void handle(const std::string& line) {
        const std::string argument = argument_of(line);
        if (line == "/channels") {
            list_channels();
        } else if ((starts_with(line, "/switch ") || starts_with(line, "/join ")) && !argument.empty()) {
            switch_to(argument, starts_with(line, "/join "));
        } else if (starts_with(line, "/create ") && !argument.empty()) {
            create(argument);
        } else if (starts_with(line, "/dm ") && !argument.empty()) {
            direct(argument);
        } else if (starts_with(line, "/invite ") && !argument.empty()) {
            invite(argument);
        } else if (line == "/history") {
            if (in_a_channel()) show_recent();
        } else if (line == "/away" || line == "/online") {
            set_status(line.substr(1));
        } else if (line == "/help") {
            editor_.print(kHelp);
        } else if (line[0] == '/') {
            editor_.print("unknown command " + line.substr(0, line.find(' ')) + " (or it needs a name); " + kHelp);
        } else if (in_a_channel()) {
            send(line);
        }
    }

private:
    bool in_a_channel() {
        if (current_.is_null()) editor_.print("pick a channel first: /switch NAME, /join NAME or /dm USER");
        return !current_.is_null();
    }

    // Makes `channel` the current one, says so ("now in #general") and shows its recent messages.
    void enter(const json& channel, const std::string& how) {
        current_ = channel;
        client_.remember_channel(channel);
        label_ = client_.channel_label(channel["id"]);
        editor_.set_prompt(label_ + "> ");
        editor_.print(how + " " + shown_label() + " (" + channel["kind"].get<std::string>() + ")");
        show_recent();
    }

    std::string shown_label() const { return label_.rfind('@', 0) == 0 ? label_ : "#" + label_; }

    void show_recent() {
        json answer;
        if (!client_.call(
                {{"type", "history"}, {"channel_id", current_["id"]}, {"before", 0}, {"limit", kRecentMessages}},
                answer)) {
            return;
        }
        json& messages = answer["messages"];
        if (messages.empty()) editor_.print("(no messages yet)");
        for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
            (*it)["channel_id"] = current_["id"];
            client_.mark_seen(current_["id"], (*it)["sequence"]);
            editor_.print(chat_line(client_, *it, styled_));
        }
    }

    void switch_to(const std::string& name, bool join) {
        auto channel = client_.find_channel(name);
        if (!channel) return;
        json ignored;
        if (join && !client_.call({{"type", "channels.join"}, {"channel_id", (*channel)["id"]}}, ignored)) return;
        enter(*channel, join ? "joined; now in" : "now in");
    }

    void create(const std::string& name) {
        json created;
        if (!client_.call({{"type", "channels.create"}, {"name", name}}, created)) return;
        enter(created["channel"], "created; now in");
    }

    // A user by name, or nullopt (said) when there is none.
    std::optional<json> find_user(const std::string& username) {
        json found;
        if (!client_.call({{"type", "users.find"}, {"username", username}}, found)) return std::nullopt;
        return found["user"];
    }

    void direct(const std::string& username) {
        auto user = find_user(username);
        json opened;
        if (!user || !client_.call({{"type", "direct.open"}, {"user_id", (*user)["id"]}}, opened)) return;
        enter(opened["channel"], "now in");
    }

    void invite(const std::string& username) {
        if (!in_a_channel()) return;
        auto user = find_user(username);
        json ignored;
        if (!user ||
            !client_.call({{"type", "channels.invite"}, {"channel_id", current_["id"]}, {"user_id", (*user)["id"]}},
                          ignored)) {
            return;
        }
        editor_.print(username + " is now a member of " + shown_label());
    }

    void list_channels() {
        json listed;
        if (!client_.call({{"type", "channels.list"}}, listed)) return;
        for (const json& channel : listed["channels"]) {
            client_.remember_channel(channel);
            std::string label = client_.channel_label(channel["id"]);
            editor_.print((label.rfind('@', 0) == 0 ? label : "#" + label) + "  " + channel["kind"].get<std::string>() +
                          ", " + std::to_string(channel["member_count"].get<int>()) + " members");
        }
    }

    void set_status(const std::string& status) {
        json ignored;
        if (client_.call({{"type", "presence.set"}, {"status", status}}, ignored)) editor_.print("you are " + status);
    }

    // Printed once, as stored: the line typed is not echoed (the editor cleared it), and its delivery is
    // not printed again.
    void send(const std::string& line) {
        json sent;
        if (!client_.call({{"type", "send"},
                           {"channel_id", current_["id"]},
                           {"body", line},
                           {"client_message_id", "tty-" + std::to_string(getpid()) + "-" + std::to_string(++sent_)}},
                          sent)) {
            return;
        }
        uint64_t sequence = sent["sequence"];
        if (!client_.claim_own(current_["id"], sequence)) return;
        json own = {{"channel_id", current_["id"]},
                    {"sequence", sequence},
                    {"author_id", client_.my_id()},
                    {"body", line},
                    {"event", "posted"}};
        editor_.print(chat_line(client_, own, styled_));
    }

    ChatClient& client_;
    LineEditor& editor_;
    const bool styled_;
    json current_;  // null until a channel is picked
    std::string label_;
    int sent_ = 0;
};

int terminal_rows() {
    winsize size{};
    return ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 ? size.ws_row : 24;
}

}  // namespace

int chat(Session& session, ChatClient& client, LineEditor& editor, const std::optional<std::string>& start_channel) {
    RawMode raw(STDIN_FILENO);
    editor.set_rows(terminal_rows());
    editor.set_editing(raw.active());
    client.set_error_sink([&editor](const std::string& error) { editor.print(error); });
    ChatLoop loop(client, editor, isatty(STDOUT_FILENO) != 0);
    if (!loop.begin(start_channel)) return kExitFailed;
    while (std::optional<std::string> line = editor.read_line()) {
        if (session.ended()) break;
        if (line->empty()) continue;
        if (*line == "/quit") break;
        loop.handle(*line);
    }
    editor.set_editing(false);
    client.set_error_sink(nullptr);
    return kExitOk;
}

}  // namespace lanchat::client
