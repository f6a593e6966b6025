#include "loader/plugin_library.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <unistd.h>
#include <boost/dll/shared_library.hpp>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "loader/elf_header.hpp"
#include "loader/unload_safety.hpp"

namespace lanchat::host {
namespace fs = std::filesystem;

struct PluginLibrary::Handle {
    boost::dll::shared_library library;
};

namespace {

// How many PluginLibrary objects hold each file: dlopen shares one mapping among them, so the file can only
// be proven unmapped when the last one unloads.
std::mutex g_open_mutex;
std::map<std::string, int> g_open_count;

std::string_view view(lanchat_str text) {
    return text.size == 0 ? std::string_view{} : std::string_view{text.data, text.size};
}

// The smallest descriptor and vtable a 1.x plugin may hand us: everything defined in 1.0.
constexpr size_t kDescriptorV1_0 = offsetof(lanchat_plugin_descriptor, vtable) + sizeof(void*);
constexpr size_t kVtableV1_0 = offsetof(lanchat_plugin_vtable, destroy) + sizeof(void*);

sdk::Status check_abi(const fs::path& path, const lanchat_plugin_descriptor* descriptor) {
    const std::string file = path.string();
    if (descriptor == nullptr) return sdk::invalid_argument(file + ": the entry symbol returned no descriptor");
    // abi_major/abi_minor are read first and alone: their offsets are the same in every ABI version.
    AbiVersion plugin{descriptor->abi_major, descriptor->abi_minor};
    AbiVersion host = host_abi();
    if (plugin.major != host.major) {
        return sdk::failed_precondition(file + ": plugin ABI " + plugin.text() + " is incompatible with host ABI " +
                                        host.text() +
                                        " (the major version must match); rebuild the plugin "
                                        "against this host's SDK");
    }
    if (plugin.minor > host.minor) {
        return sdk::failed_precondition(file + ": plugin ABI " + plugin.text() + " is newer than host ABI " +
                                        host.text() + "; upgrade lanchatd or rebuild the plugin against SDK " +
                                        host.text());
    }
    if (descriptor->struct_size < kDescriptorV1_0) {
        return sdk::invalid_argument(file + ": plugin descriptor is " + std::to_string(descriptor->struct_size) +
                                     " bytes, smaller than ABI 1.0's " + std::to_string(kDescriptorV1_0));
    }
    const lanchat_plugin_vtable* vtable = descriptor->vtable;
    if (vtable == nullptr || vtable->struct_size < kVtableV1_0 || vtable->create == nullptr ||
        vtable->import_state == nullptr || vtable->start == nullptr || vtable->drain == nullptr ||
        vtable->export_state == nullptr || vtable->stop == nullptr || vtable->destroy == nullptr) {
        return sdk::invalid_argument(file +
                                     ": plugin lifecycle table is incomplete (every ABI 1.0 function "
                                     "from create to destroy must be present)");
    }
    if (descriptor->name.size == 0 || descriptor->name.data == nullptr) {
        return sdk::invalid_argument(file + ": plugin descriptor has an empty name");
    }
    return {};
}

}  // namespace

namespace {

// A fresh name in `dir` for a copy of `path`: <stem>.<pid>.<n>.so
sdk::Result<fs::path> copy_for_loading(const fs::path& path, const fs::path& dir) {
    static std::atomic<uint64_t> counter{0};
    std::error_code error;
    fs::create_directories(dir, error);
    fs::path copy =
        dir / (path.stem().string() + "." + std::to_string(::getpid()) + "." + std::to_string(++counter) + ".so");
    fs::copy_file(path, copy, fs::copy_options::overwrite_existing, error);
    if (error)
        return sdk::internal_error(path.string() + ": cannot copy it to " + copy.string() + ": " + error.message());
    return copy;
}

}  // namespace

sdk::Result<std::unique_ptr<PluginLibrary>> PluginLibrary::open(const fs::path& path, const fs::path& copy_dir) {
    if (sdk::Status status = check_shared_object(path); !status.ok()) return status;
    if (sdk::Status status = check_unload_safety(path); !status.ok()) return status;
    fs::path loaded = path;
    if (!copy_dir.empty()) {
        auto copy = copy_for_loading(path, copy_dir);
        if (!copy.ok()) return copy.status();
        loaded = *copy;
    }
    // A copy that never becomes a PluginLibrary is removed again.
    struct CopyGuard {
        fs::path file;
        ~CopyGuard() {
            std::error_code ignored;
            if (!file.empty()) fs::remove(file, ignored);
        }
    } guard{loaded != path ? loaded : fs::path()};

    auto handle = std::make_unique<Handle>();
    boost::dll::fs::error_code error;
    handle->library.load(loaded, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, error);
    if (error) {
        const char* reason = dlerror();  // Boost.DLL's error_code loses dlerror's precise text
        std::string text = reason != nullptr ? std::string(reason) : error.message();
        if (size_t at = text.find(loaded.string()); at != std::string::npos)
            text.replace(at, loaded.string().size(), path.string());
        return sdk::invalid_argument(path.string() + ": cannot be loaded: " + text);
    }
    if (!handle->library.has(LANCHAT_PLUGIN_ENTRY_SYMBOL)) {
        return sdk::invalid_argument(path.string() + ": entry symbol '" LANCHAT_PLUGIN_ENTRY_SYMBOL
                                                     "' not found; is this a lanchat plugin? (the SDK's "
                                                     "LANCHAT_PLUGIN macro exports it)");
    }
    auto& entry = handle->library.get<std::remove_pointer_t<lanchat_plugin_entry_fn>>(LANCHAT_PLUGIN_ENTRY_SYMBOL);
    const lanchat_plugin_descriptor* descriptor = entry(LANCHAT_ABI_MAJOR, LANCHAT_ABI_MINOR);
    if (sdk::Status status = check_abi(path, descriptor); !status.ok()) return status;
    auto settings = read_declared_settings(*descriptor, path.string());
    if (!settings.ok()) return settings.status();
    {
        std::lock_guard lock(g_open_mutex);
        ++g_open_count[loaded.string()];
    }
    guard.file.clear();  // the library owns the copy now
    return std::unique_ptr<PluginLibrary>(
        new PluginLibrary(path, loaded, std::move(handle), descriptor, std::move(settings).value()));
}

PluginLibrary::PluginLibrary(fs::path path, fs::path loaded, std::unique_ptr<Handle> handle,
                             const lanchat_plugin_descriptor* d, DeclaredSettings settings)
    : path_(std::move(path)),
      loaded_(std::move(loaded)),
      handle_(std::move(handle)),
      descriptor_(d),
      settings_(std::move(settings)) {}

PluginLibrary::~PluginLibrary() { (void)unload(); }

std::string_view PluginLibrary::name() const { return view(descriptor_->name); }
std::string_view PluginLibrary::version() const { return view(descriptor_->version); }

sdk::Status PluginLibrary::unload() {
    if (!handle_) return {};
    handle_->library.unload();
    handle_.reset();
    descriptor_ = nullptr;
    settings_.reset();  // its strings pointed into the library
    {
        std::lock_guard lock(g_open_mutex);
        if (--g_open_count[loaded_.string()] > 0) return {};  // another entry still uses this file
        g_open_count.erase(loaded_.string());
    }
    sdk::Status verdict;
    if (void* still_loaded = dlopen(loaded_.c_str(), RTLD_NOLOAD | RTLD_LAZY)) {
        dlclose(still_loaded);
        verdict = sdk::internal_error(path_.string() +
                                      ": still loaded after unload, so its old code would keep "
                                      "running; something holds it (a dlopen of it with RTLD_NODELETE, "
                                      "or a library it loaded that lanchatd had not)");
    } else if (is_mapped(loaded_)) {
        verdict = sdk::internal_error(path_.string() + ": still mapped into the process after unload");
    }
    if (loaded_ != path_ && verdict.ok()) {
        std::error_code ignored;
        fs::remove(loaded_, ignored);  // a copy still mapped stays, so the mapping keeps its file
    }
    return verdict;
}

bool is_mapped(const fs::path& path) {
    struct stat file {};
    if (stat(path.c_str(), &file) != 0) return false;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        // address perms offset dev(major:minor, hex) inode path
        std::istringstream fields(line);
        std::string address, perms, offset, device;
        unsigned long inode = 0;
        fields >> address >> perms >> offset >> device >> inode;
        if (inode != file.st_ino) continue;
        unsigned major = 0, minor = 0;
        if (std::sscanf(device.c_str(), "%x:%x", &major, &minor) == 2 && makedev(major, minor) == file.st_dev) {
            return true;
        }
    }
    return false;
}

}  // namespace lanchat::host
