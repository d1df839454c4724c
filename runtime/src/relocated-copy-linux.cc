// The relocated copy behind a randomized base (an image baked RANDOMIZE, or FASTBOOT_RANDOMIZE=
// boot): the first process of a boot picks a random base, relocates the arena there once and
// leaves the result in the user's runtime directory; later processes of the same build map that
// file at the same base, so they share its pages and write nothing but their module pointers.
//
// The copy is input like any other: it is used only from a directory and a file owned by this
// user and writable by nobody else, opened without following links, and only when its header
// names this very image, this boot and a base that fits. Anything else is ignored (and logged)
// and replaced; the process then relocates a copy of its own.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

namespace fastboot::rt {
namespace {

namespace img = fastboot::image;

constexpr char kCopyMagic[8] = {'F', 'B', 'R', 'E', 'L', 'O', 'C', 'A'};
constexpr uint32_t kCopyVersion = 1;

// The first page of a copy; the arena follows at kCopyArenaOffset.
struct CopyHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint8_t build_id[32];     // the executable's
  uint32_t build_id_size;
  uint32_t reserved;
  uint64_t image_checksum;  // the image's header_checksum: a copy of exactly that image
  uint8_t boot_id[16];      // /proc/sys/kernel/random/boot_id when it was made
  uint64_t base;            // the arena's address in this copy
  uint64_t arena_size;
  uint64_t checksum;        // img::checksum() of the fields above
};

// The range random bases are drawn from: far from where the kernel puts the executable, the
// heap, libraries and stacks, and from the bake's fixed bases. ThreadSanitizer allows program
// memory only in a few ranges, whose upper one holds the bake's bases: there, just above them.
constexpr uint64_t kRandomLow = kThreadSanitizer ? 0x7e9000000000 : 0x200000000000;
constexpr uint64_t kRandomHigh = kThreadSanitizer ? 0x7ec000000000 : 0x600000000000;
constexpr uint64_t kRandomAlign = uint64_t(2) << 20;  // huge-page aligned

bool boot_id(uint8_t out[16]) {
  int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[64];
  ssize_t n = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (n <= 0) return false;
  unsigned got = 0;
  for (ssize_t i = 0; i < n && got < 32; ++i) {
    char c = text[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) continue;
    out[got / 2] = uint8_t(got % 2 ? (out[got / 2] << 4) | v : v);
    ++got;
  }
  return got == 32;
}

CopyHeader make_header(const img::Header& h, const uint8_t boot[16], uint64_t base) {
  CopyHeader c{};
  memcpy(c.magic, kCopyMagic, sizeof(c.magic));
  c.version = kCopyVersion;
  c.header_size = sizeof(CopyHeader);
  memcpy(c.build_id, h.build_id, sizeof(c.build_id));
  c.build_id_size = h.build_id_size;
  c.image_checksum = h.header_checksum;
  memcpy(c.boot_id, boot, sizeof(c.boot_id));
  c.base = base;
  c.arena_size = h.arena_size;
  c.checksum = img::checksum(&c, offsetof(CopyHeader, checksum));
  return c;
}

}  // namespace

int copy_dir(const char** why) {
  // Not for a set-user-ID program: its environment is someone else's.
  const char* runtime = secure_getenv("XDG_RUNTIME_DIR");
  if (!runtime || runtime[0] != '/') {
    *why = "XDG_RUNTIME_DIR is not set";
    return -1;
  }
  int base = open(runtime, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (base < 0 || !private_dir(base)) {
    *why = "XDG_RUNTIME_DIR is not a directory of this user's that only it can write";
    if (base >= 0) close(base);
    return -1;
  }
  mkdirat(base, "fastboot", 0700);
  int dir = openat(base, "fastboot", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  close(base);
  if (dir < 0 || !private_dir(dir)) {
    *why = "$XDG_RUNTIME_DIR/fastboot is not a directory of this user's that only it can write";
    if (dir >= 0) close(dir);
    return -1;
  }
  return dir;
}

void copy_name(const img::Header& h, char* out, size_t size) {
  // <program>-<build-id>.arena: one copy per build, and the program's name to find the copies
  // of its older builds.
  build_file_name(out, size, h.build_id, h.build_id_size);
  size_t used = strlen(out);
  snprintf(out + used, size - used, ".arena");
}

int open_copy(int dir, const char* name, const img::Header& h, uint64_t* base, const char** why) {
  *why = "no copy yet";
  int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) *why = "the copy is a symbolic link";
    return -1;
  }
  struct stat st;
  CopyHeader c;
  uint8_t boot[16];
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0)
    *why = "the copy is not a file of this user's that only it can write";
  else if (uint64_t(st.st_size) != kCopyArenaOffset + img::page_up(h.arena_size) || pread(fd, &c, sizeof(c), 0) != sizeof(c))
    *why = "the copy is truncated";
  else if (memcmp(c.magic, kCopyMagic, sizeof(c.magic)) != 0 || c.version != kCopyVersion ||
           c.header_size != sizeof(c) || c.checksum != img::checksum(&c, offsetof(CopyHeader, checksum)))
    *why = "the copy is damaged";
  else if (c.build_id_size != h.build_id_size || memcmp(c.build_id, h.build_id, sizeof(c.build_id)) != 0 ||
           c.image_checksum != h.header_checksum || c.arena_size != h.arena_size)
    *why = "the copy belongs to another build";
  else if (!boot_id(boot) || memcmp(boot, c.boot_id, sizeof(boot)) != 0)
    *why = "the copy was made in another boot";
  else if (c.base % kRandomAlign || c.base < kRandomLow + h.arena_offset || c.base > kRandomHigh ||
           img::page_up(h.arena_size) > kRandomHigh - c.base)
    *why = "the copy's base is out of range";
  else {
    *base = c.base;
    return fd;
  }
  close(fd);
  return -1;
}

uint64_t random_base(const img::Header& h) {
  uint64_t r;
  if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) return 0;
  uint64_t room = img::page_up(h.arena_size) + h.arena_offset + kRandomAlign;
  if (room >= kRandomHigh - kRandomLow) return 0;
  uint64_t span = (kRandomHigh - kRandomLow - room) / kRandomAlign;
  return kRandomLow + (span ? r % span : 0) * kRandomAlign + (h.arena_offset + kRandomAlign - 1) / kRandomAlign * kRandomAlign;
}

bool write_copy(int dir, const char* name, const img::Header& h, uint64_t base, const unsigned char* arena,
                const char** why) {
  uint8_t boot[16];
  if (!boot_id(boot)) {
    *why = "cannot read the boot id";
    return false;
  }
  // The arena, then the header that makes it a copy; later processes look for the name only
  // once both are written.
  CopyHeader c = make_header(h, boot, base);
  FilePiece pieces[] = {{&c, sizeof(c), 0}, {arena, img::page_up(h.arena_size), kCopyArenaOffset}};
  if (!write_private_file(dir, name, pieces, 2, why)) return false;
  remove_other_builds(dir, name, ".arena");
  return true;
}

}  // namespace fastboot::rt
