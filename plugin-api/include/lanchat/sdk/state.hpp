// StateWriter and StateReader: a small, versioned binary format for the state a plugin hands to its
// successor on hot reload (export_state / import_state). Integers are fixed-width little-endian, strings are
// length-prefixed; a reader never reads past the end and says what was wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk {

// Writes `version` first; successors check it before reading anything else.
class StateWriter {
public:
    explicit StateWriter(uint32_t version) { put_u32(version); }

    StateWriter& put_u32(uint32_t value) { return put_fixed(value, 4); }
    StateWriter& put_u64(uint64_t value) { return put_fixed(value, 8); }
    StateWriter& put_bool(bool value) { return put_fixed(value ? 1 : 0, 1); }
    StateWriter& put_string(std::string_view value) {
        put_u64(value.size());
        bytes_.append(value.data(), value.size());
        return *this;
    }

    const std::string& bytes() const { return bytes_; }

private:
    StateWriter& put_fixed(uint64_t value, int width) {
        for (int i = 0; i < width; ++i) bytes_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
        return *this;
    }
    std::string bytes_;
};

// Reads what a StateWriter wrote. Empty bytes (a first start, or a predecessor without state) read as
// version 0 with nothing in it.
class StateReader {
public:
    explicit StateReader(std::string_view bytes) : bytes_(bytes) {}

    // The version the predecessor wrote; 0 for empty state.
    Result<uint32_t> version() {
        if (bytes_.empty()) return 0u;
        return get_u32();
    }
    Result<uint32_t> get_u32() { return get_fixed<uint32_t>(4, "u32"); }
    Result<uint64_t> get_u64() { return get_fixed<uint64_t>(8, "u64"); }
    Result<bool> get_bool() {
        auto value = get_fixed<uint8_t>(1, "bool");
        if (!value.ok()) return value.status();
        return *value != 0;
    }
    Result<std::string> get_string() {
        auto size = get_u64();
        if (!size.ok()) return size.status();
        if (*size > bytes_.size() - offset_) return truncated("string of " + std::to_string(*size) + " bytes");
        std::string value(bytes_.substr(offset_, *size));
        offset_ += *size;
        return value;
    }
    bool at_end() const { return offset_ == bytes_.size(); }

private:
    template <class T>
    Result<T> get_fixed(size_t width, const char* what) {
        if (bytes_.size() - offset_ < width) return truncated(what);
        uint64_t value = 0;
        for (size_t i = 0; i < width; ++i)
            value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[offset_ + i])) << (8 * i);
        offset_ += width;
        return static_cast<T>(value);
    }
    Status truncated(const std::string& what) const {
        return {Code::invalid_argument, "plugin state ends at byte " + std::to_string(offset_) + " of " +
                                            std::to_string(bytes_.size()) + " where a " + what + " was expected"};
    }

    std::string_view bytes_;
    size_t offset_ = 0;
};

}  // namespace lanchat::sdk
