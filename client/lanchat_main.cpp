// lanchat: the terminal client. Speaks the client protocol (sdk-docs/client-protocol.md) to a node's client
// edge, interactively or one command at a time for scripts.
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "lanchat/cli/arguments.hpp"
#include "lanchat/cli/terminal.hpp"
#include "websocket_client.hpp"

namespace {

using json = nlohmann::json;
using lanchat::client::Endpoint;
using lanchat::client::WebSocketClient;
using namespace std::chrono_literals;

constexpr int kExitOk = 0, kExitFailed = 1, kExitUsage = 2;

const char* kUsage =
    "usage: lanchat [flags] [COMMAND]\n"
    "  chat [CHANNEL]            interactive (the default): type to send; /join NAME, /create NAME,\n"
    "                            /switch NAME, /channels, /history, /away, /online, /quit\n"
    "  send CHANNEL TEXT...      send one message; prints its sequence number\n"
    "  channels                  the channels you can see\n"
    "  history CHANNEL [N]       the last N messages (default 20)\n"
    "  create CHANNEL [--private]\n"
    "  join CHANNEL\n"
    "flags (or environment):\n"
    "  --server HOST:PORT        LANCHAT_SERVER, default 127.0.0.1:8443\n"
    "  --ca FILE                 LANCHAT_CA, default var/pki/ca.crt (the LAN's CA)\n"
    "  --user NAME               LANCHAT_USER; the password is LANCHAT_PASSWORD, else asked (or stdin's first line)\n"
    "  --token TOKEN             LANCHAT_TOKEN: an access token instead of a password\n"
    "  --device-cert FILE --device-key FILE   a device certificate binds the session to this device\n";

std::string setting(const lanchat::cli::Arguments& arguments, const char* flag, const char* variable,
                    const std::string& fallback = {}) {
    if (auto value = arguments.value(flag)) return *value;
    if (const char* value = std::getenv(variable)) return value;
    return fallback;
}

// Request/answer pairs over a connection that run() reads on another thread.
class Session {
public:
    explicit Session(std::unique_ptr<WebSocketClient> socket) : socket_(std::move(socket)) {}

    // Starts reading; pushed frames (messages, typing, presence) go to `on_push`.
    void start(std::function<void(const json&)> on_push) {
        on_push_ = std::move(on_push);
        reader_ = std::thread([this] {
            socket_->run([this](const std::string& text) { received(text); });
            std::lock_guard lock(mutex_);
            ended_ = true;
            answered_.notify_all();
        });
    }
    ~Session() { stop(); }
    // Closes and waits for the reader: no push arrives afterwards.
    void stop() {
        if (!reader_.joinable()) return;
        socket_->close_later();
        reader_.join();
    }

    // Sends `frame` and waits for its ok/error answer.
    std::optional<json> request(json frame, std::string& error) {
        std::string id;
        {
            std::lock_guard lock(mutex_);
            id = "c" + std::to_string(++next_id_);
        }
        frame["id"] = id;
        socket_->send_later(frame.dump());
        std::unique_lock lock(mutex_);
        if (!answered_.wait_for(lock, 15s, [&] { return answers_.count(id) > 0 || ended_; })) {
            error = "no answer within 15 s";
            return std::nullopt;
        }
        if (answers_.count(id) == 0) {
            error = "the connection ended: " + std::to_string(socket_->close_code()) + " " + socket_->close_reason();
            return std::nullopt;
        }
        json answer = std::move(answers_[id]);
        answers_.erase(id);
        if (answer["type"] == "error") {
            error = answer.value("code", "error") + ": " + answer.value("message", "");
            return std::nullopt;
        }
        return answer;
    }
    bool ended() {
        std::lock_guard lock(mutex_);
        return ended_;
    }

private:
    void received(const std::string& text) {
        json frame = json::parse(text, nullptr, false);
        if (!frame.is_object()) return;
        if (frame.contains("id") && (frame["type"] == "ok" || frame["type"] == "error")) {
            std::lock_guard lock(mutex_);
            answers_[frame["id"]] = frame;
            answered_.notify_all();
            return;
        }
        if (on_push_) on_push_(frame);
    }

    std::unique_ptr<WebSocketClient> socket_;
    std::thread reader_;
    std::function<void(const json&)> on_push_;
    std::mutex mutex_;
    std::condition_variable answered_;
    std::map<std::string, json> answers_;
    bool ended_ = false;
    int next_id_ = 0;
};

class Client {
public:
    Client(Session& session) : session_(session) {}

    bool call(json frame, json& answer) {
        std::string error;
        auto got = session_.request(std::move(frame), error);
        if (!got) {
            std::cerr << "lanchat: " << error << "\n";
            return false;
        }
        answer = std::move(*got);
        return true;
    }

    // A channel named NAME (or with that id) among those the user can see.
    std::optional<json> find_channel(const std::string& name) {
        json answer;
        if (!call({{"type", "channels.list"}}, answer)) return std::nullopt;
        for (const json& channel : answer["channels"]) {
            if (channel["name"] == name || channel["id"] == name) return channel;
        }
        std::cerr << "lanchat: no channel '" << name << "' (lanchat channels lists them)\n";
        return std::nullopt;
    }

    // A user's name, asked once. Never from the reading thread: it waits for an answer that thread reads.
    std::string name_of(const std::string& user_id) {
        {
            std::lock_guard lock(mutex_);
            if (auto it = names_.find(user_id); it != names_.end()) return it->second;
        }
        json answer;
        std::string name = user_id;
        if (call({{"type", "users.get"}, {"user_ids", {user_id}}}, answer) && !answer["users"].empty()) {
            name = answer["users"][0]["username"];
        }
        std::lock_guard lock(mutex_);
        names_[user_id] = name;
        return name;
    }
    void name_channel(const std::string& id, const std::string& name) {
        std::lock_guard lock(mutex_);
        channels_[id] = name;
    }
    std::string channel_name(const std::string& id) {
        std::lock_guard lock(mutex_);
        auto it = channels_.find(id);
        return it == channels_.end() ? id : it->second;
    }
    // Records a delivered sequence; false when this channel already had it (a repeat around a reconnect).
    bool first_time(const std::string& channel_id, uint64_t sequence) {
        std::lock_guard lock(mutex_);
        uint64_t& last = last_seen_[channel_id];
        if (sequence <= last) return false;
        last = sequence;
        return true;
    }
    // (Re)subscribes from what this client has: nothing missed, nothing twice.
    bool subscribe() {
        json resume = json::object();
        {
            std::lock_guard lock(mutex_);
            for (const auto& [channel, sequence] : last_seen_) resume[channel] = sequence;
        }
        json ignored;
        return call({{"type", "subscribe"}, {"resume", resume}}, ignored);
    }

private:
    Session& session_;
    std::mutex mutex_;
    std::map<std::string, std::string> names_;     // user id -> username
    std::map<std::string, std::string> channels_;  // channel id -> name
    std::map<std::string, uint64_t> last_seen_;    // channel id -> highest sequence delivered
};

// Prints pushed frames on its own thread, so looking up a name (a request) never blocks the reader.
class Printer {
public:
    explicit Printer(Client& client) : client_(client), thread_([this] { loop(); }) {}
    ~Printer() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        thread_.join();
    }
    void push(json frame) {
        {
            std::lock_guard lock(mutex_);
            frames_.push_back(std::move(frame));
        }
        ready_.notify_all();
    }

private:
    void loop();

    Client& client_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<json> frames_;
    bool stopping_ = false;
    std::thread thread_;
};

std::mutex output_mutex;  // the printer thread and the command loop both write to the terminal

void print_message(Client& client, const json& message, const std::string& channel_name) {
    std::string author = client.name_of(message["author_id"]);  // may ask the server: before taking the lock
    std::lock_guard lock(output_mutex);
    std::string event = message.value("event", "posted");
    std::cout << "[" << channel_name << " #" << message["sequence"].get<uint64_t>() << "] " << author;
    if (event == "edited") std::cout << " (edited #" << message["target_sequence"].get<uint64_t>() << ")";
    if (event == "deleted") {
        std::cout << " deleted #" << message["target_sequence"].get<uint64_t>() << "\n";
        return;
    }
    std::cout << ": " << message["body"].get<std::string>() << "\n";
}

void Printer::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ready_.wait(lock, [&] { return stopping_ || !frames_.empty(); });
        if (frames_.empty()) return;
        json frame = std::move(frames_.front());
        frames_.pop_front();
        lock.unlock();
        if (frame["type"] == "message") {
            if (client_.first_time(frame["channel_id"], frame["sequence"])) {
                print_message(client_, frame, client_.channel_name(frame["channel_id"]));
            }
        } else if (frame["type"] == "resubscribe") {
            client_.subscribe();  // the gateway or router restarted: from where this client is
        } else if (frame["type"] == "subscription_ended") {
            std::cout << "(deliveries stopped: " << frame.value("message", "") << "; /quit and start again)\n";
        }
        std::cout << std::flush;
        lock.lock();
    }
}

int send_command(Client& client, const std::vector<std::string>& words) {
    if (words.size() < 3) {
        std::cerr << kUsage;
        return kExitUsage;
    }
    auto channel = client.find_channel(words[1]);
    if (!channel) return kExitFailed;
    std::string body;
    for (size_t i = 2; i < words.size(); ++i) body += (i > 2 ? " " : "") + words[i];
    json answer;
    if (!client.call({{"type", "send"},
                      {"channel_id", (*channel)["id"]},
                      {"body", body},
                      {"client_message_id", "cli-" + std::to_string(getpid()) + "-" + std::to_string(time(nullptr))}},
                     answer)) {
        return kExitFailed;
    }
    std::cout << answer["sequence"].get<uint64_t>() << "\n";
    return kExitOk;
}

int history_command(Client& client, const std::string& name, int count) {
    auto channel = client.find_channel(name);
    if (!channel) return kExitFailed;
    json answer;
    if (!client.call({{"type", "history"}, {"channel_id", (*channel)["id"]}, {"before", 0}, {"limit", count}},
                     answer)) {
        return kExitFailed;
    }
    auto& messages = answer["messages"];
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) print_message(client, *it, (*channel)["name"]);
    return kExitOk;
}

int channels_command(Client& client) {
    json answer;
    if (!client.call({{"type", "channels.list"}}, answer)) return kExitFailed;
    for (const json& channel : answer["channels"]) {
        std::cout << channel["name"].get<std::string>() << "\t" << channel["kind"].get<std::string>() << "\t"
                  << channel["member_count"] << " members\t" << channel["last_sequence"] << " messages\t"
                  << channel["id"].get<std::string>() << "\n";
    }
    return kExitOk;
}

// The interactive loop: stdin lines are commands or messages to the current channel; deliveries print as they come.
int chat(Session& session, Client& client, Printer&, std::optional<std::string> start_channel) {
    json current;
    auto remember = [&](const json& channel) { client.name_channel(channel["id"], channel["name"]); };
    json listed;
    if (!client.call({{"type", "channels.list"}}, listed)) return kExitFailed;
    for (const json& channel : listed["channels"]) remember(channel);
    if (start_channel) {
        auto channel = client.find_channel(*start_channel);
        if (!channel) return kExitFailed;
        current = *channel;
    }
    json ignored;
    if (!client.subscribe()) return kExitFailed;
    std::cout << "connected; "
              << (current.is_null() ? "/switch NAME to pick a channel" : "in " + current["name"].get<std::string>())
              << "; /quit to leave\n";
    std::string line;
    while (std::getline(std::cin, line)) {
        if (session.ended()) break;
        if (line.empty()) continue;
        auto argument = [&] {
            return line.find(' ') == std::string::npos ? std::string() : line.substr(line.find(' ') + 1);
        };
        if (line == "/quit") break;
        if (line == "/channels") {
            channels_command(client);
        } else if (line.rfind("/switch ", 0) == 0 || line.rfind("/join ", 0) == 0) {
            auto channel = client.find_channel(argument());
            if (!channel) continue;
            if (line.rfind("/join ", 0) == 0 &&
                !client.call({{"type", "channels.join"}, {"channel_id", (*channel)["id"]}}, ignored))
                continue;
            current = *channel;
            remember(current);
            std::cout << "now in " << current["name"].get<std::string>() << "\n";
        } else if (line.rfind("/create ", 0) == 0) {
            json created;
            if (!client.call({{"type", "channels.create"}, {"name", argument()}}, created)) continue;
            current = created["channel"];
            remember(current);
            std::cout << "created and now in " << current["name"].get<std::string>() << "\n";
        } else if (line == "/history") {
            if (!current.is_null()) history_command(client, current["id"], 20);
        } else if (line == "/away" || line == "/online") {
            client.call({{"type", "presence.set"}, {"status", line.substr(1)}}, ignored);
        } else if (line[0] == '/') {
            std::cout
                << "commands: /join NAME, /create NAME, /switch NAME, /channels, /history, /away, /online, /quit\n";
        } else if (current.is_null()) {
            std::cout << "pick a channel first: /switch NAME or /join NAME\n";
        } else {
            static int counter = 0;
            client.call({{"type", "send"},
                         {"channel_id", current["id"]},
                         {"body", line},
                         {"client_message_id", "tty-" + std::to_string(getpid()) + "-" + std::to_string(++counter)}},
                        ignored);
        }
    }
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    lanchat::cli::Arguments arguments(std::vector<std::string>(argv + 1, argv + argc),
                                      {"server", "ca", "user", "token", "device-cert", "device-key"},
                                      {"private", "help"});
    if (arguments.error() || arguments.has("help")) {
        if (arguments.error()) std::cerr << "lanchat: " << *arguments.error() << "\n";
        std::cerr << kUsage;
        return arguments.has("help") ? kExitOk : kExitUsage;
    }
    Endpoint endpoint;
    if (auto parsed =
            lanchat::client::parse_address(setting(arguments, "server", "LANCHAT_SERVER", "127.0.0.1:8443"), endpoint);
        !parsed.ok()) {
        std::cerr << "lanchat: " << parsed.message() << "\n";
        return kExitUsage;
    }
    endpoint.ca = setting(arguments, "ca", "LANCHAT_CA", "var/pki/ca.crt");
    endpoint.certificate = setting(arguments, "device-cert", "LANCHAT_DEVICE_CERT");
    endpoint.key = setting(arguments, "device-key", "LANCHAT_DEVICE_KEY");
    std::string user = setting(arguments, "user", "LANCHAT_USER");
    std::string token = setting(arguments, "token", "LANCHAT_TOKEN");
    if (user.empty() && token.empty()) {
        std::cerr << "lanchat: who are you? give --user NAME (or LANCHAT_USER), or --token\n" << kUsage;
        return kExitUsage;
    }
    json auth = {{"type", "auth"}};
    if (!token.empty()) {
        auth["token"] = token;
    } else {
        const char* from_environment = std::getenv("LANCHAT_PASSWORD");
        std::string password = from_environment != nullptr ? from_environment : "";
        if (password.empty()) {
            std::string error;
            auto typed = lanchat::cli::read_secret("password for " + user + ": ", false, error);
            if (!typed) {
                std::cerr << "lanchat: " << error << "\n";
                return kExitUsage;
            }
            password = *typed;
        }
        auth["username"] = user;
        auth["password"] = password;
    }

    auto socket = WebSocketClient::connect(endpoint, 10s);
    if (!socket.ok()) {
        std::cerr << "lanchat: " << socket.status().message() << "\n";
        return kExitFailed;
    }
    Session session(std::move(socket).value());
    Client client(session);
    Printer printer(client);
    session.start([&](const json& frame) { printer.push(frame); });
    struct StopReadingFirst {  // before the printer goes
        Session& session;
        ~StopReadingFirst() { session.stop(); }
    } stop_reading_first{session};
    json authenticated;
    if (!client.call(auth, authenticated)) return kExitFailed;

    const auto& words = arguments.positional();
    std::string command = words.empty() ? "chat" : words[0];
    if (command == "send") return send_command(client, words);
    if (command == "channels") return channels_command(client);
    if (command == "history" && words.size() >= 2) {
        return history_command(client, words[1], words.size() >= 3 ? std::atoi(words[2].c_str()) : 20);
    }
    if ((command == "create" || command == "join") && words.size() == 2) {
        json answer;
        if (command == "create") {
            return client.call({{"type", "channels.create"},
                                {"name", words[1]},
                                {"kind", arguments.has("private") ? "private" : "public"}},
                               answer)
                       ? kExitOk
                       : kExitFailed;
        }
        auto channel = client.find_channel(words[1]);
        return channel && client.call({{"type", "channels.join"}, {"channel_id", (*channel)["id"]}}, answer)
                   ? kExitOk
                   : kExitFailed;
    }
    if (command == "chat")
        return chat(session, client, printer, words.size() >= 2 ? std::optional(words[1]) : std::nullopt);
    std::cerr << kUsage;
    return kExitUsage;
}
