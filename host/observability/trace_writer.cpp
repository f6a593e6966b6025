#include "observability/trace_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "observability/otlp_json.hpp"

namespace lanchat::host {

TraceWriter::TraceWriter(std::filesystem::path file, std::string node, uint64_t max_bytes)
    : file_(std::move(file)), node_(std::move(node)), max_bytes_(max_bytes) {
    open();
}

TraceWriter::~TraceWriter() {
    if (out_ != nullptr) std::fclose(out_);
}

// The node user's alone, like every file in the data directory, whatever the umask.
void TraceWriter::open() {
    int fd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    out_ = ::fdopen(fd, "a");
    if (out_ == nullptr) {
        ::close(fd);
        return;
    }
    std::error_code error;
    uintmax_t size = std::filesystem::file_size(file_, error);
    size_ = error ? 0 : size;
}

void TraceWriter::rotate() {
    std::fclose(out_);
    out_ = nullptr;
    std::error_code ignored;
    std::filesystem::rename(file_, std::filesystem::path(file_.string() + ".1"), ignored);
    open();
}

void TraceWriter::write(const Span& span) {
    std::string line = otlp_json_line(span, node_);
    std::lock_guard lock(mutex_);
    if (out_ != nullptr && size_ > 0 && size_ + line.size() > max_bytes_) rotate();
    if (out_ == nullptr) return;
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
    size_ += line.size();
}

}  // namespace lanchat::host
