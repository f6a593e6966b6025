#include "loader/elf_header.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <string>

namespace lanchat::host {
namespace fs = std::filesystem;
namespace {

struct ElfIdentity {
    unsigned char elf_class = 0;  // ELFCLASS32 or ELFCLASS64
    uint16_t type = 0;            // ET_DYN for shared objects
    uint16_t machine = 0;         // EM_*
};

// The fields we need sit at the same offsets in 32- and 64-bit headers; read them from the little- or
// big-endian encoding the header declares.
std::optional<ElfIdentity> read_identity(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char header[20] = {};
    if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return std::nullopt;
    if (std::memcmp(header, ELFMAG, SELFMAG) != 0) return std::nullopt;
    bool little = header[EI_DATA] == ELFDATA2LSB;
    auto half = [&](size_t offset) {
        return static_cast<uint16_t>(little ? header[offset] | (header[offset + 1] << 8)
                                            : (header[offset] << 8) | header[offset + 1]);
    };
    return ElfIdentity{header[EI_CLASS], half(16), half(18)};
}

std::string machine_name(uint16_t machine, unsigned char elf_class) {
    std::string bits = elf_class == ELFCLASS64 ? "64-bit" : elf_class == ELFCLASS32 ? "32-bit" : "unknown class";
    std::string name;
    switch (machine) {
        case EM_386: name = "i386"; break;
        case EM_X86_64: name = "x86_64"; break;
        case EM_AARCH64: name = "aarch64"; break;
        case EM_ARM: name = "arm"; break;
        case EM_RISCV: name = "riscv"; break;
        case EM_PPC64: name = "ppc64"; break;
        case EM_S390: name = "s390"; break;
        case EM_MIPS: name = "mips"; break;
        default: name = "ELF machine " + std::to_string(machine);
    }
    return name + " (" + bits + ")";
}

const ElfIdentity& this_process() {
    static const ElfIdentity identity = read_identity("/proc/self/exe").value_or(ElfIdentity{});
    return identity;
}

}  // namespace

sdk::Status check_shared_object(const fs::path& path) {
    std::error_code error;
    fs::file_status status = fs::status(path, error);
    if (!fs::exists(status)) return sdk::not_found(path.string() + ": plugin file not found");
    if (fs::is_directory(status)) return sdk::invalid_argument(path.string() + ": is a directory, not a plugin file");

    std::optional<ElfIdentity> file = read_identity(path);
    if (!file) {
        return sdk::invalid_argument(path.string() +
                                     ": not a shared object (no ELF header); a plugin is a .so "
                                     "built with lanchat_add_plugin");
    }
    const ElfIdentity& self = this_process();
    if (file->machine != self.machine || file->elf_class != self.elf_class) {
        return sdk::invalid_argument(path.string() + ": wrong architecture: built for " +
                                     machine_name(file->machine, file->elf_class) + ", this host runs on " +
                                     machine_name(self.machine, self.elf_class));
    }
    if (file->type != ET_DYN) {
        const char* kind = file->type == ET_EXEC  ? "an executable"
                           : file->type == ET_REL ? "an object file"
                                                  : "an ELF file";
        return sdk::invalid_argument(path.string() + ": not a shared object: it is " + std::string(kind) +
                                     "; a plugin is a .so built with lanchat_add_plugin");
    }
    return {};
}

}  // namespace lanchat::host
