// lanchat: the terminal client. Speaks the client protocol (sdk-docs/client-protocol.md) to a node's client
// edge, interactively or one command at a time for scripts. This file: the flags, the login, the dispatch.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "chat_client.hpp"
#include "chat_loop.hpp"
#include "commands.hpp"
#include "lanchat/cli/arguments.hpp"
#include "lanchat/cli/terminal.hpp"
#include "line_editor.hpp"
#include "screen.hpp"
#include "session.hpp"
#include "websocket_client.hpp"

namespace {

using json = nlohmann::json;
using namespace lanchat::client;
using namespace std::chrono_literals;

const char* kUsage =
    "usage: lanchat [flags] [COMMAND]\n"
    "  chat [CHANNEL]            interactive (the default): type to send; /join NAME, /create NAME,\n"
    "                            /switch NAME, /dm USER, /invite USER, /channels, /history, /away,\n"
    "                            /online, /help, /quit; Ctrl-L redraws\n"
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

// A flag's value, else its environment variable's, else `fallback`.
std::string setting(const lanchat::cli::Arguments& arguments, const char* flag, const char* variable,
                    const std::string& fallback = {}) {
    if (auto value = arguments.value(flag)) return *value;
    if (const char* value = std::getenv(variable)) return value;
    return fallback;
}

// The node to connect to and how to present this device; nullopt (said on stderr) on a bad --server.
std::optional<Endpoint> endpoint_from(const lanchat::cli::Arguments& arguments) {
    Endpoint endpoint;
    if (auto parsed = parse_address(setting(arguments, "server", "LANCHAT_SERVER", "127.0.0.1:8443"), endpoint);
        !parsed.ok()) {
        std::cerr << "lanchat: " << parsed.message() << "\n";
        return std::nullopt;
    }
    endpoint.ca = setting(arguments, "ca", "LANCHAT_CA", "var/pki/ca.crt");
    endpoint.certificate = setting(arguments, "device-cert", "LANCHAT_DEVICE_CERT");
    endpoint.key = setting(arguments, "device-key", "LANCHAT_DEVICE_KEY");
    return endpoint;
}

// The auth frame: a token, or the user's name and password (from the environment, else asked); nullopt
// (said on stderr) when neither is given or no password could be read.
std::optional<json> auth_frame_from(const lanchat::cli::Arguments& arguments) {
    std::string user = setting(arguments, "user", "LANCHAT_USER");
    std::string token = setting(arguments, "token", "LANCHAT_TOKEN");
    if (user.empty() && token.empty()) {
        std::cerr << "lanchat: who are you? give --user NAME (or LANCHAT_USER), or --token\n" << kUsage;
        return std::nullopt;
    }
    json auth = {{"type", "auth"}};
    if (!token.empty()) {
        auth["token"] = token;
        return auth;
    }
    const char* from_environment = std::getenv("LANCHAT_PASSWORD");
    std::string password = from_environment != nullptr ? from_environment : "";
    if (password.empty()) {
        std::string error;
        auto typed = lanchat::cli::read_secret("password for " + user + ": ", false, error);
        if (!typed) {
            std::cerr << "lanchat: " << error << "\n";
            return std::nullopt;
        }
        password = *typed;
    }
    auth["username"] = user;
    auth["password"] = password;
    return auth;
}

// The command the positional words name, run as the authenticated user.
int dispatch(const lanchat::cli::Arguments& arguments, Session& session, ChatClient& client, LineEditor& editor) {
    const auto& words = arguments.positional();
    std::string command = words.empty() ? "chat" : words[0];
    if (command == "send" && words.size() >= 3) return send_command(client, words);
    if (command == "channels") return channels_command(client);
    if (command == "history" && words.size() >= 2) {
        return history_command(client, words[1], words.size() >= 3 ? std::atoi(words[2].c_str()) : 20);
    }
    if (command == "create" && words.size() == 2) return create_command(client, words[1], arguments.has("private"));
    if (command == "join" && words.size() == 2) return join_command(client, words[1]);
    if (command == "chat") {
        return chat(session, client, editor, words.size() >= 2 ? std::optional(words[1]) : std::nullopt);
    }
    std::cerr << kUsage;
    return kExitUsage;
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
    auto endpoint = endpoint_from(arguments);
    if (!endpoint) return kExitUsage;
    auto auth = auth_frame_from(arguments);
    if (!auth) return kExitUsage;

    auto socket = WebSocketClient::connect(*endpoint, 10s);
    if (!socket.ok()) {
        std::cerr << "lanchat: " << socket.status().message() << "\n";
        return kExitFailed;
    }
    Session session(std::move(socket).value());
    ChatClient client(session);
    LineEditor editor(STDIN_FILENO, std::cout, false);
    Printer printer(client, editor, isatty(STDOUT_FILENO) != 0);
    session.start([&](const json& frame) { printer.push(frame); });
    struct StopReadingFirst {  // before the printer goes
        Session& session;
        ~StopReadingFirst() { session.stop(); }
    } stop_reading_first{session};
    json authenticated;
    if (!client.call(*auth, authenticated)) return kExitFailed;
    client.set_me(authenticated["user"]);
    return dispatch(arguments, session, client, editor);
}
