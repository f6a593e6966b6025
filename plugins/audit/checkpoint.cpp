#include "checkpoint.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace lanchat::audit {
namespace fs = std::filesystem;

struct CheckpointSigner::Key {
    EVP_PKEY* pkey = nullptr;
    ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

constexpr const char* kFormat = "lanchat-audit-checkpoint-v1";

// What is signed: the format, the count and the head hash, one per line.
std::string signed_text(const Checkpoint& checkpoint) {
    return std::string(kFormat) + "\n" + std::to_string(checkpoint.entries) + "\n" + checkpoint.head_hash + "\n";
}

std::string to_hex(const std::vector<unsigned char>& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (unsigned char byte : bytes) {
        hex += digits[byte >> 4];
        hex += digits[byte & 15];
    }
    return hex;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Empty when `hex` is not lowercase hex of whole bytes.
std::vector<unsigned char> from_hex(const std::string& hex) {
    std::vector<unsigned char> bytes;
    if (hex.size() % 2 != 0) return bytes;
    for (size_t i = 0; i < hex.size(); i += 2) {
        int high = hex_digit(hex[i]), low = hex_digit(hex[i + 1]);
        if (high < 0 || low < 0) return {};
        bytes.push_back(static_cast<unsigned char>(high * 16 + low));
    }
    return bytes;
}

sdk::Result<EVP_PKEY*> read_key(const fs::path& file) {
    FILE* in = std::fopen(file.c_str(), "r");
    if (in == nullptr) return sdk::failed_precondition("cannot read the checkpoint key " + file.string());
    EVP_PKEY* key = PEM_read_PrivateKey(in, nullptr, nullptr, nullptr);
    std::fclose(in);
    if (key == nullptr || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(key);
        return sdk::failed_precondition("the checkpoint key " + file.string() + " is not an Ed25519 private key (PEM)");
    }
    return key;
}

// A new key, written only if no file is there yet, readable by the node's user alone.
sdk::Result<EVP_PKEY*> create_key(const fs::path& file) {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (key == nullptr) return sdk::internal_error("cannot generate an Ed25519 checkpoint key");
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE* out = fd < 0 ? nullptr : ::fdopen(fd, "w");
    bool written = out != nullptr && PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    written = out != nullptr && std::fflush(out) == 0 && ::fsync(fd) == 0 && written;
    if (out != nullptr)
        std::fclose(out);
    else if (fd >= 0)
        ::close(fd);
    if (!written) {
        EVP_PKEY_free(key);
        return sdk::failed_precondition("cannot write the checkpoint key " + file.string());
    }
    return key;
}

}  // namespace

CheckpointSigner::CheckpointSigner(std::unique_ptr<Key> key, fs::path checkpoint_file)
    : key_(std::move(key)), file_(std::move(checkpoint_file)) {}

CheckpointSigner::~CheckpointSigner() = default;

sdk::Result<std::unique_ptr<CheckpointSigner>> CheckpointSigner::open(const fs::path& key_file,
                                                                      fs::path checkpoint_file) {
    auto pkey = fs::exists(key_file) ? read_key(key_file) : create_key(key_file);
    if (!pkey.ok()) return pkey.status();
    auto key = std::make_unique<Key>();
    key->pkey = *pkey;
    return std::unique_ptr<CheckpointSigner>(new CheckpointSigner(std::move(key), std::move(checkpoint_file)));
}

bool CheckpointSigner::exists() const { return fs::exists(file_); }

sdk::Status CheckpointSigner::record(const Checkpoint& head) {
    std::lock_guard lock(mutex_);
    if (head.entries < recorded_) return {};
    const std::string text = signed_text(head);
    std::vector<unsigned char> signature(64);
    size_t length = signature.size();
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    bool signed_ok = context != nullptr && EVP_DigestSignInit(context, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
                     EVP_DigestSign(context, signature.data(), &length,
                                    reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
    EVP_MD_CTX_free(context);
    if (!signed_ok) return sdk::internal_error("cannot sign the audit checkpoint");
    signature.resize(length);
    // Atomic replacement; no fsync: the entries it covers are committed already, and a checkpoint lost in a
    // crash only leaves the newest entries covered by the next one.
    const fs::path temporary = file_.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << text << to_hex(signature) << "\n";
        if (!out.flush()) return sdk::failed_precondition("cannot write " + temporary.string());
    }
    std::error_code error;
    fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write, error);
    fs::rename(temporary, file_, error);
    if (error) return sdk::failed_precondition("cannot replace " + file_.string() + ": " + error.message());
    recorded_ = head.entries;
    return {};
}

sdk::Result<Checkpoint> CheckpointSigner::latest() const {
    std::ifstream in(file_);
    if (!in) return sdk::not_found("there is no signed checkpoint (" + file_.string() + " is missing)");
    std::string format, entries, hash, signature;
    std::getline(in, format);
    std::getline(in, entries);
    std::getline(in, hash);
    std::getline(in, signature);
    Checkpoint checkpoint;
    auto [end, error] = std::from_chars(entries.data(), entries.data() + entries.size(), checkpoint.entries);
    if (error != std::errc{} || end != entries.data() + entries.size()) {
        return sdk::Status(sdk::Code::data_loss, "the checkpoint file " + file_.string() + " is malformed");
    }
    checkpoint.head_hash = hash;
    const std::string text = signed_text(checkpoint);
    std::vector<unsigned char> bytes = from_hex(signature);
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    bool verified = format == kFormat && bytes.size() == 64 && context != nullptr &&
                    EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
                    EVP_DigestVerify(context, bytes.data(), bytes.size(),
                                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) == 1;
    EVP_MD_CTX_free(context);
    if (!verified) {
        return sdk::Status(sdk::Code::data_loss,
                           "the checkpoint in " + file_.string() + " is not signed by this node's checkpoint key");
    }
    return checkpoint;
}

}  // namespace lanchat::audit
