#include "loader/elf_dynamic.hpp"

#include <link.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

namespace lanchat::host {
namespace fs = std::filesystem;
namespace {

// The file's bytes, read whole (a plugin is a few megabytes at most), with bounds-checked views.
class ElfImage {
public:
    explicit ElfImage(std::string bytes) : bytes_(std::move(bytes)) {}

    template <class T>
    std::optional<T> at(uint64_t offset) const {
        if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T)) return std::nullopt;
        T value;
        std::memcpy(&value, bytes_.data() + offset, sizeof(T));
        return value;
    }

    // The NUL-terminated string at `offset` of a string table of `size` bytes starting at `table`.
    std::optional<std::string> string_at(uint64_t table, uint64_t size, uint64_t offset) const {
        if (table > bytes_.size() || size > bytes_.size() - table || offset >= size) return std::nullopt;
        const char* begin = bytes_.data() + table + offset;
        const void* end = std::memchr(begin, '\0', size - offset);
        if (end == nullptr) return std::nullopt;
        return std::string(begin, static_cast<const char*>(end));
    }

private:
    std::string bytes_;
};

std::optional<std::vector<ElfW(Shdr)>> read_sections(const ElfImage& image) {
    auto header = image.at<ElfW(Ehdr)>(0);
    if (!header || header->e_shentsize != sizeof(ElfW(Shdr))) return std::nullopt;
    std::vector<ElfW(Shdr)> sections;
    for (uint64_t i = 0; i < header->e_shnum; ++i) {
        auto section = image.at<ElfW(Shdr)>(header->e_shoff + i * sizeof(ElfW(Shdr)));
        if (!section) return std::nullopt;
        sections.push_back(*section);
    }
    return sections;
}

// Reads entries of `section` (an array of T) and gives each, with the string table the section links to.
template <class T, class Visit>
bool for_each_entry(const ElfImage& image, const std::vector<ElfW(Shdr)>& sections, const ElfW(Shdr) & section,
                    Visit visit) {
    if (section.sh_link >= sections.size()) return false;
    const ElfW(Shdr)& strings = sections[section.sh_link];
    for (uint64_t offset = 0; offset + sizeof(T) <= section.sh_size; offset += sizeof(T)) {
        auto entry = image.at<T>(section.sh_offset + offset);
        if (!entry) return false;
        auto name = [&](uint64_t at) { return image.string_at(strings.sh_offset, strings.sh_size, at); };
        if (!visit(*entry, name)) return false;
    }
    return true;
}

bool read_dynamic_section(const ElfImage& image, const std::vector<ElfW(Shdr)>& sections, const ElfW(Shdr) & section,
                          ElfDynamic& out) {
    return for_each_entry<ElfW(Dyn)>(image, sections, section, [&](const ElfW(Dyn) & entry, auto name) {
        if (entry.d_tag == DT_NEEDED) {
            auto library = name(entry.d_un.d_val);
            if (!library) return false;
            out.needed.push_back(*library);
        } else if (entry.d_tag == DT_FLAGS_1 && (entry.d_un.d_val & DF_1_NODELETE) != 0) {
            out.no_delete = true;
        }
        return true;
    });
}

bool read_symbols(const ElfImage& image, const std::vector<ElfW(Shdr)>& sections, const ElfW(Shdr) & section,
                  ElfDynamic& out) {
    return for_each_entry<ElfW(Sym)>(image, sections, section, [&](const ElfW(Sym) & symbol, auto name) {
        auto text = name(symbol.st_name);
        if (!text) return false;
        if (text->empty()) return true;  // the null symbol, section symbols
        bool defined = symbol.st_shndx != SHN_UNDEF;
        bool unique = ELF64_ST_BIND(symbol.st_info) == STB_GNU_UNIQUE;  // the same in 32-bit files
        out.symbols.push_back({std::move(*text), defined, defined && unique});
        return true;
    });
}

}  // namespace

sdk::Result<ElfDynamic> read_elf_dynamic(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    ElfImage image(std::string(std::istreambuf_iterator<char>(in), {}));
    auto malformed = [&] {
        return sdk::invalid_argument(path.string() +
                                     ": its ELF section or symbol tables are cut short or malformed; "
                                     "rebuild the plugin");
    };
    auto sections = read_sections(image);
    if (!sections) return malformed();
    ElfDynamic dynamic;
    for (const ElfW(Shdr) & section : *sections) {
        bool read = true;
        if (section.sh_type == SHT_DYNAMIC) read = read_dynamic_section(image, *sections, section, dynamic);
        if (section.sh_type == SHT_DYNSYM) read = read_symbols(image, *sections, section, dynamic);
        if (!read) return malformed();
    }
    return dynamic;
}

}  // namespace lanchat::host
