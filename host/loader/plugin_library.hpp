// PluginLibrary: one loaded plugin file — checked, opened with Boost.DLL, its ABI negotiated — and the proof,
// after unloading, that the file is really gone from the process.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/status.hpp"
#include "loader/declared_settings.hpp"

namespace lanchat::host {

struct AbiVersion {
    uint16_t major = 0;
    uint16_t minor = 0;
    std::string text() const { return std::to_string(major) + "." + std::to_string(minor); }
};

// The ABI this host implements.
constexpr AbiVersion host_abi() { return {LANCHAT_ABI_MAJOR, LANCHAT_ABI_MINOR}; }

class PluginLibrary {
public:
    // Loads `path` and negotiates the ABI. Errors name the file and say what is wrong: missing, not a shared
    // object, wrong architecture, not safely unloadable (check_unload_safety), unloadable, no entry symbol,
    // incompatible ABI, malformed descriptor or settings table.
    // With `copy_dir`, a private copy of the file is loaded (copy-on-load): a new build written over `path`
    // then runs as new code on reload, and never changes the bytes a running instance has mapped.
    static sdk::Result<std::unique_ptr<PluginLibrary>> open(const std::filesystem::path& path,
                                                            const std::filesystem::path& copy_dir = {});

    ~PluginLibrary();
    PluginLibrary(const PluginLibrary&) = delete;
    PluginLibrary& operator=(const PluginLibrary&) = delete;

    const std::filesystem::path& path() const { return path_; }
    const std::filesystem::path& loaded_path() const { return loaded_; }
    const lanchat_plugin_vtable& vtable() const { return *descriptor_->vtable; }
    std::string_view name() const;
    std::string_view version() const;
    AbiVersion abi() const { return {descriptor_->abi_major, descriptor_->abi_minor}; }
    // The settings the plugin declares; valid while the library is loaded.
    const DeclaredSettings& settings() const { return settings_; }

    // Unloads the file and verifies that no mapping of it remains. A failure means old code would keep
    // running (something the loader's checks cannot see before dlopen pinned it); the message says which file.
    sdk::Status unload();

private:
    struct Handle;
    PluginLibrary(std::filesystem::path path, std::filesystem::path loaded, std::unique_ptr<Handle> handle,
                  const lanchat_plugin_descriptor* d, DeclaredSettings settings);

    std::filesystem::path path_;    // as the node file names it
    std::filesystem::path loaded_;  // what was dlopen'ed: path_ or its private copy (deleted on unload)
    std::unique_ptr<Handle> handle_;
    const lanchat_plugin_descriptor* descriptor_;
    DeclaredSettings settings_;
};

// True when some mapping of `path` (by device and inode) is still in this process's address space.
bool is_mapped(const std::filesystem::path& path);

}  // namespace lanchat::host
