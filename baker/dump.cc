// Reading a dump written by runtime/src/bake-linux.cc.
#include "dump.h"

#include <cstring>
#include <fcntl.h>
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <cstdio>

namespace fastboot::baker {

namespace {

// Reads n bytes at `offset` of fd.
bool read_all(int fd, void* to, std::uint64_t n, std::uint64_t offset) {
  for (std::uint64_t done = 0; done < n;) {
    ssize_t got = pread(fd, static_cast<char*>(to) + done, std::min<std::uint64_t>(n - done, 1u << 30), off_t(offset + done));
    if (got <= 0) {
      if (got < 0 && errno == EINTR) continue;
      return false;
    }
    done += std::uint64_t(got);
  }
  return true;
}

// Reads a dump's sections in order, each straight into the vector that keeps it (the arena and
// the records, the bulk of it, are in the run's memory file: read_memory).
struct Reader {
  int fd;
  std::uint64_t size;
  std::uint64_t pos = 0;
  bool ok = true;
  template <class T>
  std::vector<T> take(std::uint64_t count) {
    std::vector<T> out;
    if (!ok || count > (size - pos) / sizeof(T)) {
      ok = false;
      return out;
    }
    out.resize(count);
    if (!read_all(fd, out.data(), count * sizeof(T), pos)) {
      ok = false;
      return {};
    }
    pos += count * sizeof(T);
    return out;
  }
};

}  // namespace

AllocIndex::AllocIndex(const Allocs& allocs, std::uint64_t arena_size) : allocs_(allocs) {
  // One pass over the records (millions of them: a bake builds this index four times): the bits
  // are set while checking that every allocation starts on a granule of its own.
  if (allocs.size() < (1ull << 32)) {
    const std::uint64_t words = ((arena_size >> kGranuleShift) >> 6) + 1;
    starts_.assign(words, 0);
    before_.assign(words, 0);
    bool granular = true;
    std::uint64_t last_granule = 0;
    for (std::size_t i = 0; i < allocs.size(); ++i) {
      const std::uint64_t offset = allocs[i].offset, g = offset >> kGranuleShift;
      if ((offset & ((1u << kGranuleShift) - 1)) != 0 || (i > 0 && g <= last_granule) ||
          offset >= arena_size + (1u << kGranuleShift)) {
        granular = false;
        break;
      }
      if ((g >> 6) < words) starts_[g >> 6] |= 1ull << (g & 63);
      last_granule = g;
    }
    std::uint32_t count = 0;
    for (std::uint64_t w = 0; granular && w < words; ++w) {
      before_[w] = count;
      count += std::uint32_t(bits_set(starts_[w]));
    }
    if (granular && count == allocs.size()) return;
    std::vector<std::uint64_t>().swap(starts_);
    std::vector<std::uint32_t>().swap(before_);
  }
  bucket_.assign((arena_size >> kBucketShift) + 2, 0);
  std::size_t i = 0;
  for (std::size_t b = 0; b < bucket_.size(); ++b) {
    std::uint64_t start = std::uint64_t(b) << kBucketShift;
    while (i < allocs.size() && allocs[i].offset <= start) ++i;
    bucket_[b] = std::uint32_t(i);  // i allocations start at or before this bucket's start
  }
}

std::size_t AllocIndex::at_or_before_by_bucket(std::uint64_t t) const {
  std::size_t b = std::min<std::size_t>(t >> kBucketShift, bucket_.size() - 1);
  std::size_t count = bucket_[b];  // allocations starting at or before the bucket's start
  while (count < allocs_.size() && allocs_[count].offset <= t) ++count;
  return count == 0 ? kNone : count - 1;
}

// The regions lay far apart in the process. Put them one after another, each at a page boundary,
// and move every word that points into a region, every allocation and every root with it. The
// moves are multiples of 4096, like a relocation, so they never change the low bits of a word
// (see compact.cc on why that matters). Both runs have the same regions, so both move alike.
namespace {

// Where each region goes when they are put side by side: the next 4096-byte boundary.
std::vector<std::uint64_t> packed_starts(const std::vector<protocol::DumpRegion>& regions, std::uint64_t* total) {
  std::vector<std::uint64_t> starts;
  std::uint64_t packed = 0;
  for (const auto& r : regions) {
    starts.push_back(packed);
    packed = (packed + r.size + 4095) / 4096 * 4096;
  }
  *total = packed;
  return starts;
}

}  // namespace

bool close_region_gaps(Dump& d, const std::vector<protocol::DumpRegion>& regions, bool laid_out) {
  if (regions.empty()) return false;
  d.baking_thread_end = regions[0].size;
  if (regions.size() == 1 && regions[0].offset == 0) return regions[0].size == d.arena.size();
  struct Move {
    std::uint64_t old_start, new_start, size;
  };
  std::vector<Move> moves;
  std::uint64_t packed = 0, written = 0;
  std::vector<std::uint64_t> starts = packed_starts(regions, &packed);
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const auto& r = regions[i];
    if (!moves.empty() && r.offset < moves.back().old_start + moves.back().size) return false;
    moves.push_back({r.offset, starts[i], r.size});
    written += r.size;
  }
  if ((laid_out ? packed : written) != d.arena.size()) return false;
  Bytes arena;
  if (laid_out) {
    arena = std::move(d.arena);
  } else {
    arena.resize(packed);
    std::uint64_t from = 0;
    for (const Move& m : moves) {
      std::memcpy(arena.data() + m.new_start, d.arena.data() + from, m.size);
      from += m.size;
    }
  }
  // The region an old offset lies in, one past its end included; nullptr if none.
  auto find = [&](std::uint64_t off) -> const Move* {
    auto it = std::upper_bound(moves.begin(), moves.end(), off, [](std::uint64_t v, const Move& m) { return v < m.old_start; });
    if (it == moves.begin()) return nullptr;
    --it;
    return off <= it->old_start + it->size ? &*it : nullptr;
  };
  // A pointer with flags in its upper 16 bits (tagged.cc) moves under its flags.
  auto move_address = [&](std::uint64_t& v) {
    std::uint64_t address = untagged(v);
    if (address < d.arena_base) return;
    if (const Move* m = find(address - d.arena_base)) v = tag_of(v) | (address - (m->old_start - m->new_start));
  };
  for (std::uint64_t off = 0; off + 8 <= arena.size(); off += 8) {
    std::uint64_t v;
    std::memcpy(&v, arena.data() + off, 8);
    std::uint64_t moved = v;
    move_address(moved);
    if (moved != v) std::memcpy(arena.data() + off, &moved, 8);
  }
  for (auto& a : d.allocs) {
    const Move* m = find(a.offset);
    if (!m || a.offset == m->old_start + m->size) return false;
    a.offset -= m->old_start - m->new_start;
  }
  for (auto& root : d.roots) {
    const Move* m = find(root.object_offset);
    if (!m) return false;
    root.object_offset -= m->old_start - m->new_start;
  }
  for (auto& g : d.globals) {
    move_address(g.before);
    move_address(g.after);
  }
  d.arena = std::move(arena);
  return true;
}

namespace {

// The arena and the allocation records from the run's memory file, checked against the file's
// size and the header first: a dump is the program's output, as much input as any file. The
// regions are put side by side (at the next 4096-byte boundary each) by mapping the file's pages
// there, or by reading them where pages are larger; records are mapped where one region has
// them all, else read one region after another.
bool read_memory(Dump& d, const protocol::DumpHeader& h, const std::vector<protocol::DumpRegion>& regions, int fd) {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) return false;
  const std::uint64_t file_size = std::uint64_t(st.st_size);
  std::uint64_t bytes = 0, count = 0;
  for (const auto& r : regions) {
    if (r.offset > file_size || r.size > file_size - r.offset || r.records_offset > file_size ||
        r.alloc_count > (file_size - r.records_offset) / sizeof(protocol::DumpAlloc) || r.records_offset % 8)
      return false;
    bytes += r.size;
    count += r.alloc_count;
  }
  if (bytes != h.arena_size || count != h.alloc_count || regions.empty()) return false;

  std::uint64_t packed = 0;
  std::vector<std::uint64_t> starts = packed_starts(regions, &packed);
  if (regions.size() == 1 && regions[0].offset == 0) packed = regions[0].size;
  std::vector<Bytes::Piece> pieces;
  for (std::size_t i = 0; i < regions.size(); ++i)
    if (regions[i].size) pieces.push_back({regions[i].offset, starts[i], regions[i].size});
  if (auto mapped = Bytes::map_file(fd, pieces, packed)) {
    d.arena = std::move(*mapped);
  } else {
    d.arena.resize(packed);
    for (const auto& p : pieces)
      if (!read_all(fd, d.arena.data() + p.at, p.bytes, p.file_offset)) return false;
  }

  if (regions.size() == 1) {
    auto mapped = Allocs::map_file(fd, {{regions[0].records_offset, 0, count * sizeof(protocol::DumpAlloc)}}, count);
    if (mapped) {
      d.allocs = std::move(*mapped);
      return true;
    }
  }
  d.allocs.resize(count);
  std::uint64_t at = 0;
  for (const auto& r : regions) {
    if (!read_all(fd, d.allocs.data() + at, r.alloc_count * sizeof(protocol::DumpAlloc), r.records_offset)) return false;
    at += r.alloc_count;
  }
  return true;
}

}  // namespace

std::optional<Dump> read_dump(Context& ctx, const std::string& path, int memory_fd) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd >= 0 && fstat(fd, &st) != 0) st.st_size = 0;
  struct Close {
    int fd;
    ~Close() {
      if (fd >= 0) close(fd);
    }
  } closer{fd};
  Reader r{fd, fd >= 0 ? std::uint64_t(st.st_size) : 0};
  auto header = r.take<protocol::DumpHeader>(1);
  if (!r.ok || std::memcmp(header[0].magic, protocol::kDumpMagic, 8) != 0) {
    error(ctx) << path << ": not a fastboot dump (is the program linked with an older runtime?)";
    return std::nullopt;
  }
  const protocol::DumpHeader& h = header[0];
  Dump d;
  d.path = path;
  d.arena_base = h.arena_base;
  auto roots = r.take<protocol::DumpRoot>(h.root_count);
  auto modules = r.take<protocol::DumpModule>(h.module_count);
  auto segments = r.take<protocol::DumpSegment>(h.segment_count);
  d.globals = r.take<protocol::DumpGlobal>(h.global_count);
  auto strings = r.take<char>(h.strings_size);
  auto maps = r.take<char>(h.maps_size);
  auto regions = r.take<protocol::DumpRegion>(h.region_count);
  d.thread_stacks = r.take<protocol::DumpStack>(h.stack_count);
  d.statics = r.take<protocol::DumpStatic>(h.static_count);
  d.statics_complete = h.statics_complete != 0;
  d.sites = r.take<std::uint64_t>(h.site_count);
  if (!r.ok || r.pos != r.size) {
    error(ctx) << path << ": truncated or oversized dump";
    return std::nullopt;
  }
  if (!read_memory(d, h, regions, memory_fd)) {
    error(ctx) << path << ": the run's arena and allocation records do not fit its memory file";
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
  for (std::size_t begin = 0, end; begin < maps.size(); begin = end + 1) {
    end = std::size_t(std::find(maps.begin() + std::ptrdiff_t(begin), maps.end(), '\n') - maps.begin());
    std::string line(maps.begin() + std::ptrdiff_t(begin), maps.begin() + std::ptrdiff_t(end));
    Dump::Mapping m{};
    char name[4096] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %*s %*s %*s %*s %4095[^\n]", &m.start, &m.end, name) >= 2) {
      m.name = name;
      d.maps.push_back(std::move(m));
    }
  }
  d.threads_started = h.threads_started;
  if (!close_region_gaps(d, regions, /*laid_out=*/true)) {
    error(ctx) << path << ": the dump's arena regions are inconsistent";
    return std::nullopt;
  }
  // The last allocation owns its memory up to the next 16 bytes too (alloc_end).
  d.arena.resize((d.arena.size() + 15) & ~std::size_t(15), 0);
  return d;
}

const Module* module_holding(const Dump& run, std::uint64_t address) {
  for (const Module& m : run.modules)
    for (const Segment& s : m.segments)
      if (address >= s.start && address < s.end) return &m;
  return nullptr;
}

bool writable_at(const Module& m, std::uint64_t offset) {
  for (const Segment& s : m.segments)
    if ((s.flags & 2) && m.bias + offset >= s.start && m.bias + offset < s.end) return true;
  return false;
}

}  // namespace fastboot::baker
