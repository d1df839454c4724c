// Files the runtime keeps for later processes of the same program (relocated copies, frozen
// roots' images), and the rules that make them safe to trust: a directory and files of this
// user's that nobody else can write, written complete under a temporary name and renamed into
// place, and older builds' files removed so the directory stays bounded.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

namespace fastboot::rt {

bool private_dir(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 022) == 0;
}

bool private_file(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 022) == 0;
}

void program_name(char* out, size_t size) {
  char exe[256];
  if (!executable_path(exe, sizeof(exe))) exe[0] = 0;
  const char* slash = strrchr(exe, '/');
  const char* name = slash ? slash + 1 : exe;
  size_t used = 0;
  for (; *name && used < 48 && used + 1 < size; ++name) {
    char c = *name;
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    out[used++] = plain ? c : '_';
  }
  if (used == 0 && size > 1) out[used++] = '_';
  if (size) out[used] = 0;
}

void build_file_name(char* out, size_t size, const uint8_t* build_id, unsigned build_id_size) {
  program_name(out, size);
  size_t used = strlen(out);
  for (unsigned i = 0; i < build_id_size && used + 3 < size; ++i)
    used += size_t(snprintf(out + used, size - used, i == 0 ? "-%02x" : "%02x", build_id[i]));
}

bool write_private_file(int dir, const char* name, const FilePiece* pieces, unsigned count, const char** why) {
  // A file size limit would stop the write with SIGXFSZ: stay under it.
  uint64_t size = 0;
  for (unsigned i = 0; i < count; ++i)
    if (pieces[i].offset + pieces[i].size > size) size = pieces[i].offset + pieces[i].size;
  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < size) {
    *why = "it would exceed the file size limit, ulimit -f";
    return false;
  }
  uint64_t r = 0;
  if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) r = uint64_t(time(nullptr));
  char temp[64];
  snprintf(temp, sizeof(temp), ".new-%d-%016llx.tmp", int(getpid()), static_cast<unsigned long long>(r));
  int fd = openat(dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    *why = errno == EROFS || errno == EACCES || errno == EPERM ? "the directory is not writable" : "cannot create a file";
    return false;
  }
  // pwrite, not a shared mapping: a full disk is an error here, not a SIGBUS later. Pieces that
  // follow each other in the file (a frozen root's first run writes one per object, millions)
  // go out together, up to IOV_MAX at a time, with zeros for the few bytes between them.
  static const unsigned char zeros[4096] = {};
  bool ok = true;
  struct iovec iov[IOV_MAX];
  for (unsigned i = 0; ok && i < count;) {
    const uint64_t start = pieces[i].offset;
    uint64_t end = start, total;
    int n = 0;
    for (; i < count && n + 2 <= IOV_MAX; ++i) {
      if (pieces[i].offset < end || pieces[i].offset - end > sizeof(zeros)) {
        if (n) break;
      } else if (pieces[i].offset > end) {
        iov[n++] = {const_cast<unsigned char*>(zeros), size_t(pieces[i].offset - end)};
      }
      if (pieces[i].size) iov[n++] = {const_cast<void*>(pieces[i].data), size_t(pieces[i].size)};
      end = pieces[i].offset + pieces[i].size;
    }
    total = end - start;
    // Written in full, or what is left of it (a short write, an error) piece by piece.
    ssize_t w = n ? pwritev(fd, iov, n, off_t(start)) : 0;
    const uint64_t done = w > 0 ? uint64_t(w) : 0;
    if (done == total) continue;
    uint64_t from = 0;
    for (int k = 0; ok && k < n; from += iov[k].iov_len, ++k) {
      auto* p = static_cast<const unsigned char*>(iov[k].iov_base);
      for (uint64_t off = done > from ? done - from : 0; ok && off < iov[k].iov_len;) {
        ssize_t got = pwrite(fd, p + off, iov[k].iov_len - off, off_t(start + from + off));
        if (got <= 0) {
          *why = got < 0 && (errno == ENOSPC || errno == EDQUOT) ? "no room on the disk" : "cannot write the file";
          ok = false;
        }
        off += got > 0 ? uint64_t(got) : 0;
      }
    }
  }
  if (ok && ftruncate(fd, off_t(size)) != 0) *why = "cannot write the file", ok = false;
  if (ok && renameat(dir, temp, dir, name) != 0) *why = "cannot rename the file into place", ok = false;
  close(fd);
  if (!ok) unlinkat(dir, temp, 0);
  return ok;
}

void remove_other_builds(int dir, const char* name, const char* suffix) {
  int scan = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = scan >= 0 ? fdopendir(scan) : nullptr;
  if (!d) {
    if (scan >= 0) close(scan);
    return;
  }
  // <program> holds no '-' (program_name), so the first one ends it; the build-id follows, up to
  // the next '-' or '.'.
  const char* dash = strchr(name, '-');
  size_t program = dash ? size_t(dash - name) + 1 : 0;
  size_t build = dash ? strcspn(dash + 1, "-.") : 0;
  size_t suffix_size = strlen(suffix);
  time_t now = time(nullptr);
  while (dirent* e = readdir(d)) {
    size_t n = strlen(e->d_name);
    bool other_build = program && strncmp(e->d_name, name, program) == 0 &&
                       !(strcspn(e->d_name + program, "-.") == build && strncmp(e->d_name + program, dash + 1, build) == 0) &&
                       n > suffix_size && strcmp(e->d_name + n - suffix_size, suffix) == 0;
    struct stat st;
    bool stale_temp = strncmp(e->d_name, ".new-", 5) == 0 && fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                      now - st.st_mtime > 600;
    if (other_build || stale_temp) unlinkat(dir, e->d_name, 0);
  }
  closedir(d);
}

}  // namespace fastboot::rt
