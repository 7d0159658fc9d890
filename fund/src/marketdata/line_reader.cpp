#include "line_reader.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace fundos::marketdata::detail {

LineReader::~LineReader() {
    (void)finish();
    std::free(buffer_);
}

Status LineReader::open_file(const std::string& path) {
    what_ = path;
    file_ = std::fopen(path.c_str(), "re");
    if (file_ == nullptr) {
        return Status::error(path + ": cannot open: " + std::strerror(errno));
    }
    return {};
}

Status LineReader::open_command(const std::vector<std::string>& argv) {
    what_ = argv.empty() ? std::string() : argv.front();
    for (std::size_t i = 1; i < argv.size(); ++i) {
        what_ += " " + argv[i];
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return Status::error("pipe: " + std::string(std::strerror(errno)));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        return Status::error("cannot run " + argv.front() + ": " + std::strerror(rc));
    }
    child_ = pid;
    file_ = ::fdopen(fds[0], "r");
    if (file_ == nullptr) {
        ::close(fds[0]);
        return Status::error("fdopen: " + std::string(std::strerror(errno)));
    }
    return {};
}

bool LineReader::next(std::string& line) {
    if (file_ == nullptr) {
        return false;
    }
    const ssize_t n = ::getline(&buffer_, &capacity_, file_);
    if (n < 0) {
        return false;
    }
    std::size_t len = static_cast<std::size_t>(n);
    while (len > 0 && (buffer_[len - 1] == '\n' || buffer_[len - 1] == '\r')) {
        --len;
    }
    line.assign(buffer_, len);
    return true;
}

Status LineReader::finish() {
    Status status;
    if (file_ != nullptr) {
        if (std::ferror(file_) != 0) {
            status = Status::error(what_ + ": read error");
        }
        std::fclose(file_);
        file_ = nullptr;
    }
    if (child_ > 0) {
        int wstatus = 0;
        pid_t r;
        do {
            r = ::waitpid(child_, &wstatus, 0);
        } while (r < 0 && errno == EINTR);
        child_ = -1;
        if (status.ok() && (r < 0 || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)) {
            status = Status::error(what_ + " failed (exit status " +
                                   std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1) + ")");
        }
    }
    return status;
}

}  // namespace fundos::marketdata::detail
