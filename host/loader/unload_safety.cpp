#include "loader/unload_safety.hpp"

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>
#include <memory>
#include <string_view>

#include "loader/elf_dynamic.hpp"

namespace lanchat::host {
namespace {

// Imported only by code protoc generated for the full runtime: each .pb.cc registers its file's descriptor
// in the process-wide pool when it is loaded, and the pool aborts when the same file comes a second time.
constexpr std::string_view kFullRuntimeRegistration[] = {
    "N6google8protobuf8internal20AddDescriptorsRunner",  // protobuf 3.21's static registration
    "N6google8protobuf8internal14AddDescriptors",
    "N6google8protobuf8internal17AssignDescriptors",
    "N6google8protobuf14DescriptorPool24InternalAddGeneratedFile",
};

// How many names a refusal lists; one is enough to act on, a few show how widespread it is.
constexpr size_t kNamesShown = 3;

std::string demangled(const std::string& name) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> text(abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status),
                                                     &std::free);
    return status == 0 && text ? std::string(text.get()) : name;
}

bool registers_full_runtime_descriptors(const DynamicSymbol& symbol) {
    if (symbol.defined) return false;
    for (std::string_view marker : kFullRuntimeRegistration) {
        if (symbol.name.find(marker) != std::string::npos) return true;
    }
    return false;
}

bool loaded_in_this_process(const std::string& library) {
    void* handle = dlopen(library.c_str(), RTLD_NOLOAD | RTLD_LAZY);
    if (handle == nullptr) return false;
    dlclose(handle);
    return true;
}

sdk::Status refuse(const std::filesystem::path& path, const std::string& why) {
    return sdk::failed_precondition(path.string() + ": " + why);
}

sdk::Status check_gnu_unique(const std::filesystem::path& path, const ElfDynamic& dynamic) {
    std::string names;
    size_t found = 0;
    for (const DynamicSymbol& symbol : dynamic.symbols) {
        if (!symbol.gnu_unique) continue;
        if (++found <= kNamesShown) names += (found == 1 ? "" : ", ") + demangled(symbol.name);
    }
    if (found == 0) return {};
    return refuse(path, "defines " + std::to_string(found) + " STB_GNU_UNIQUE symbol" + (found == 1 ? "" : "s") + " (" +
                            names + (found > kNamesShown ? ", ..." : "") +
                            "), which keep it loaded after unload, so a reload would run its old code; build it "
                            "with lanchat_add_plugin, which compiles with -fno-gnu-unique");
}

sdk::Status check_protobuf_runtime(const std::filesystem::path& path, const ElfDynamic& dynamic) {
    for (const DynamicSymbol& symbol : dynamic.symbols) {
        if (!registers_full_runtime_descriptors(symbol)) continue;
        return refuse(path, "contains protobuf code generated for the full runtime (it imports " +
                                demangled(symbol.name) +
                                "), which aborts the node when the plugin is loaded a second time, at its "
                                "first reload; add `option optimize_for = LITE_RUNTIME;` to the plugin's "
                                ".proto files (lanchat_add_plugin PROTOS checks it)");
    }
    return {};
}

sdk::Status check_needed_libraries(const std::filesystem::path& path, const ElfDynamic& dynamic) {
    for (const std::string& library : dynamic.needed) {
        if (loaded_in_this_process(library)) continue;
        if (library.find("libprotobuf-lite") != std::string::npos) {
            return refuse(path, "needs " + library +
                                    ", which lanchatd has not loaded; link protobuf::libprotobuf instead "
                                    "(lanchatd loads it, and LITE_RUNTIME messages run on it)");
        }
        return refuse(path, "needs " + library +
                                ", which lanchatd has not loaded: a library loaded for a plugin alone may stay "
                                "loaded, and keep the plugin's old code running, after a reload; link only "
                                "libraries lanchatd itself loads (ldd lanchatd lists them)");
    }
    return {};
}

}  // namespace

sdk::Status check_unload_safety(const std::filesystem::path& path) {
    auto dynamic = read_elf_dynamic(path);
    if (!dynamic.ok()) return dynamic.status();
    if (sdk::Status unique = check_gnu_unique(path, *dynamic); !unique.ok()) return unique;
    if (dynamic->no_delete) {
        return refuse(path,
                      "is marked NODELETE (linked with -z nodelete), so it is never unloaded and a reload "
                      "would run its old code; link it without -z nodelete");
    }
    if (sdk::Status runtime = check_protobuf_runtime(path, *dynamic); !runtime.ok()) return runtime;
    return check_needed_libraries(path, *dynamic);
}

}  // namespace lanchat::host
