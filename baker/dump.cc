// Reading a dump written by runtime/src/bake-linux.cc.
#include "dump.h"

#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <cstdio>

namespace fastboot::baker {

namespace {

// Reads straight out of the mapped file: one copy into the dump's vectors, no buffer between.
struct Reader {
  const char* data;
  std::size_t size;
  std::size_t pos = 0;
  bool ok = true;
  template <class T>
  std::vector<T> take(std::uint64_t count) {
    std::vector<T> out;
    if (!ok || count > (size - pos) / sizeof(T)) {
      ok = false;
      return out;
    }
    out.resize(count);
    if (count) std::memcpy(out.data(), data + pos, count * sizeof(T));
    pos += count * sizeof(T);
    return out;
  }
};

}  // namespace

AllocIndex::AllocIndex(const std::vector<protocol::DumpAlloc>& allocs, std::uint64_t arena_size) : allocs_(allocs) {
  bucket_.assign((arena_size >> kBucketShift) + 2, 0);
  std::size_t i = 0;
  for (std::size_t b = 0; b < bucket_.size(); ++b) {
    std::uint64_t start = std::uint64_t(b) << kBucketShift;
    while (i < allocs.size() && allocs[i].offset <= start) ++i;
    bucket_[b] = std::uint32_t(i);  // i allocations start at or before this bucket's start
  }
}

std::size_t AllocIndex::at_or_before(std::uint64_t t) const {
  std::size_t b = std::min<std::size_t>(t >> kBucketShift, bucket_.size() - 1);
  std::size_t count = bucket_[b];  // allocations starting at or before the bucket's start
  while (count < allocs_.size() && allocs_[count].offset <= t) ++count;
  return count == 0 ? kNone : count - 1;
}

std::optional<Dump> read_dump(Context& ctx, const std::string& path) {
  // Dumps of large heaps are gigabytes: map the file rather than read it into a buffer.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  void* map = MAP_FAILED;
  if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0)
    map = mmap(nullptr, std::size_t(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (fd >= 0) close(fd);
  struct Unmap {
    void* p;
    std::size_t n;
    ~Unmap() {
      if (p != MAP_FAILED) munmap(p, n);
    }
  } unmap{map, std::size_t(st.st_size)};
  Reader r{map == MAP_FAILED ? nullptr : static_cast<const char*>(map), map == MAP_FAILED ? 0 : std::size_t(st.st_size)};
  auto header = r.take<protocol::DumpHeader>(1);
  if (!r.ok || std::memcmp(header[0].magic, protocol::kDumpMagic, 8) != 0) {
    error(ctx) << path << ": not a fastboot dump (is the program linked with an older runtime?)";
    return std::nullopt;
  }
  const protocol::DumpHeader& h = header[0];
  Dump d;
  d.path = path;
  d.arena_base = h.arena_base;
  d.allocs = r.take<protocol::DumpAlloc>(h.alloc_count);
  auto roots = r.take<protocol::DumpRoot>(h.root_count);
  auto modules = r.take<protocol::DumpModule>(h.module_count);
  auto segments = r.take<protocol::DumpSegment>(h.segment_count);
  d.globals = r.take<protocol::DumpGlobal>(h.global_count);
  auto strings = r.take<char>(h.strings_size);
  auto maps = r.take<char>(h.maps_size);
  d.arena = r.take<std::uint8_t>(h.arena_size);
  if (!r.ok || r.pos != r.size) {
    error(ctx) << path << ": truncated or oversized dump";
    return std::nullopt;
  }
  auto str = [&](std::uint64_t off) -> std::string {
    if (off >= strings.size()) return "?";
    return std::string(strings.data() + off, strnlen(strings.data() + off, strings.size() - off));
  };
  for (const auto& root : roots)
    d.roots.push_back({str(root.name_offset), root.object_offset, root.size, root.align, root.type_hash});
  for (const auto& m : modules) {
    Module mod;
    mod.name = str(m.name_offset);
    mod.bias = m.bias;
    mod.is_executable = m.is_executable;
    mod.build_id.assign(m.build_id, m.build_id + std::min<std::uint32_t>(m.build_id_size, 32));
    for (std::uint64_t i = m.first_segment; i < m.first_segment + m.segment_count && i < segments.size(); ++i)
      mod.segments.push_back({segments[i].start, segments[i].end, segments[i].flags});
    d.modules.push_back(std::move(mod));
  }
  std::istringstream lines(std::string(maps.begin(), maps.end()));
  for (std::string line; std::getline(lines, line);) {
    Dump::Mapping m{};
    char name[4096] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %*s %*s %*s %*s %4095[^\n]", &m.start, &m.end, name) >= 2) {
      m.name = name;
      d.maps.push_back(std::move(m));
    }
  }
  return d;
}

}  // namespace fastboot::baker
