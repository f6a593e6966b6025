// Signed checkpoints of the audit chain's head. The hash chain alone shows an entry changed in place, but
// not a record cut short, nor one rewritten with every hash recomputed. After each append the service signs
// (entry count, head hash) with an Ed25519 key kept outside the database and writes that checkpoint to a
// file beside it; Verify then checks the chain against the latest checkpoint.
//
// Someone with the database but without the key cannot cut the tail, rewrite, insert or reorder entries
// unnoticed. Someone who also controls the checkpoint file can put back an older checkpoint together with
// an equally old copy of the database (a rollback to a state that really existed); keeping the key and
// comparing the checkpoint `lanchatctl audit verify` prints with the last one seen narrows that.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "lanchat/sdk/status.hpp"

namespace lanchat::audit {

struct Checkpoint {
    uint64_t entries = 0;   // the chain's length when it was signed
    std::string head_hash;  // the hash of entry `entries` (empty for an empty chain)
};

class CheckpointSigner {
public:
    // Loads the key at `key_file`, or creates one (mode 0600) when the file does not exist.
    static sdk::Result<std::unique_ptr<CheckpointSigner>> open(const std::filesystem::path& key_file,
                                                               std::filesystem::path checkpoint_file);
    ~CheckpointSigner();

    // Signs `head` and replaces the checkpoint file with it (write, then rename), unless a checkpoint of a
    // longer chain is already there: concurrent appends may finish out of order.
    sdk::Status record(const Checkpoint& head);
    // The checkpoint in the file, once its signature verifies; NOT_FOUND when there is no file.
    sdk::Result<Checkpoint> latest() const;
    bool exists() const;

    struct Key;

private:
    CheckpointSigner(std::unique_ptr<Key> key, std::filesystem::path checkpoint_file);

    std::unique_ptr<Key> key_;
    std::filesystem::path file_;
    std::mutex mutex_;
    uint64_t recorded_ = 0;
};

}  // namespace lanchat::audit
