// The RPC example: serves acme.greeter.v1.Greeter/Say on the node's mTLS server, reads one setting and
// counts its answers.
#include "greeter.pb.h"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/rpc.hpp"
#include "lanchat/sdk/serving.hpp"

namespace greeter {

using acme::greeter::v1::SayReply;
using acme::greeter::v1::SayRequest;
using namespace lanchat::sdk;

constexpr Setting kSettings[] = {
    setting::string("greeting", "hello", "the word each reply starts with"),
};

class Greeter : public Plugin {
public:
    explicit Greeter(Host& host) : Plugin(host), greeting_(settings().get<std::string>("greeting")) {}

    Status start() override {
        return Serving(rpc_, "/acme.greeter.v1.Greeter/")
            .sync<SayRequest, SayReply>("Say",
                                        [this](const CallInfo& call, const SayRequest& request) {
                                            answered_.add(1);
                                            SayReply reply;
                                            reply.set_text(greeting_ + " " + request.name() + ", you are " + call.peer);
                                            return Result<SayReply>(reply);
                                        })
            .status();
    }

private:
    std::string greeting_;
    Rpc rpc_{host()};
    Metrics metrics_{host()};
    Metric answered_ = value_or_throw(metrics_.counter("greetings_total", "Say calls answered."));
};

}  // namespace greeter

LANCHAT_PLUGIN(greeter::Greeter, "greeter", "1.0.0", greeter::kSettings)
