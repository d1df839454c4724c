// An object that keeps an open file descriptor.
#include <fastboot/fastboot.hpp>

#include <fcntl.h>
#include <unistd.h>

struct Log {
  int fd;
};

static fastboot::root<Log> log_file{"log", [] { return Log{open("/dev/null", O_WRONLY)}; }};

int main() { return write(log_file->fd, "x", 1) == 1 ? 0 : 1; }
