// The layout of a fastboot image: the bytes of the `.fastboot` section of a baked executable.
// Written by the baker (baker/image-writer.cc), read by the runtime (runtime/src/loader-linux.cc).
// Every field is fixed-width little-endian; any change to a layout bumps kImageVersion.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastboot::image {

inline constexpr char kMagic[8] = {'F', 'A', 'S', 'T', 'B', 'O', 'O', 'T'};
inline constexpr std::uint32_t kImageVersion = 6;
inline constexpr std::uint64_t kPageSize = 4096;

// The section is laid out as:
//
//   [Header][RootEntry × root_count][ModuleEntry × module_count][SymbolEntry × symbol_count]
//   [GlobalReloc × global_count][ExitEntry × exit_count][ChunkEntry × chunk_count][strings]
//   [ModuleReloc × reloc_count]
//   [arena-pointer bitmap] ... zero padding to a page ... [arena bytes]
//
// All offsets are from the first byte of the section. The arena starts on a page boundary, so
// the runtime can map the section with one mmap and find the arena at `preferred_base` when
// the mapping lands where the bake ran. A compressed arena (Compression::lz4 or zstd) is stored
// as chunks from arena_offset on and decompressed into anonymous memory at startup.
struct Header {
  char magic[8];                  // kMagic
  std::uint32_t version;          // kImageVersion
  std::uint32_t header_size;      // sizeof(Header)
  std::uint64_t section_size;     // bytes in the whole section, arena included
  std::uint64_t preferred_base;   // address the arena had in the bake; arena pointers hold it
  std::uint64_t arena_offset;     // page-aligned offset of the arena bytes
  std::uint64_t arena_size;       // bytes of arena
  std::uint64_t roots_offset;     // RootEntry[root_count]
  std::uint64_t modules_offset;   // ModuleEntry[module_count]
  std::uint64_t relocs_offset;    // ModuleReloc[reloc_count], grouped by module
  std::uint64_t strings_offset;   // NUL-terminated names, referenced by offset
  std::uint64_t symbols_offset;   // SymbolEntry[symbol_count]
  std::uint64_t globals_offset;   // GlobalReloc[global_count]
  std::uint64_t global_count;
  std::uint64_t chunks_offset;    // ChunkEntry[chunk_count], for a compressed arena
  std::uint64_t stored_size;      // bytes of arena data stored at arena_offset: arena_size, or
                                  // the compressed chunks' total
  std::uint32_t compression;      // Compression
  std::uint32_t chunk_count;
  std::uint64_t bitmap_offset;    // one bit per arena word: 1 = holds an arena pointer
  std::uint32_t root_count;
  std::uint32_t module_count;
  std::uint64_t reloc_count;
  std::uint64_t strings_size;
  std::uint64_t bitmap_size;      // bytes, whole 64-bit words: (arena_size / 8 + 63) / 64 * 8
  std::uint64_t arena_pointer_count;  // set bits in the bitmap
  std::uint8_t build_id[32];      // GNU build-id of the executable this image belongs to
  std::uint32_t build_id_size;    // bytes used in build_id; 0 = none recorded
  std::uint32_t symbol_count;     // entries in SymbolEntry[]
  std::uint64_t tables_checksum;  // checksum() of [roots_offset, relocs_offset): checked at startup
  std::uint64_t relocs_checksum;  // checksum() of the module relocations: checked before applying
                                  // any (a fixed-address program at its address applies none)
  std::uint64_t bitmap_checksum;  // checksum() of the bitmap: checked before relocating with it
  std::uint64_t arena_checksum;   // checksum() of the arena bytes, checked on FASTBOOT_VERIFY=1
  std::uint32_t flags;            // HeaderFlags
  std::uint32_t exit_count;       // ExitEntry[], right after GlobalReloc[]
  std::uint64_t header_checksum;  // checksum() of this header up to this field
};
static_assert(sizeof(Header) == 264);
static_assert(offsetof(Header, header_checksum) == sizeof(Header) - 8);

// One per root: where its object starts in the arena and what type it was baked as.
struct RootEntry {
  std::uint64_t name_offset;  // into strings
  std::uint64_t object_offset;  // into the arena
  std::uint64_t size;           // sizeof(T)
  std::uint64_t align;          // alignof(T)
  std::uint64_t type_hash;      // hash of T's spelled type, from the runtime's type_hash<T>()
};
static_assert(sizeof(RootEntry) == 40);

enum class ModuleKind : std::uint32_t {
  executable = 0,     // the program itself; relocated by its load bias
  shared_library = 1, // a DSO, identified by soname and build-id
  executable_fixed = 2,  // a program linked at a fixed address (not PIE): its pointers are
                         // stored already applied, and patched only if its load bias is not 0
};

// A module the arena points into, with its run of relocations in the reloc table.
struct ModuleEntry {
  ModuleKind kind;
  std::uint32_t build_id_size;
  std::uint64_t name_offset;   // into strings: "executable", or a DSO's soname
  std::uint64_t first_reloc;   // index into ModuleReloc[]
  std::uint64_t reloc_count;
  std::uint8_t build_id[32];
};
static_assert(sizeof(ModuleEntry) == 64);

// Header::flags.
enum HeaderFlags : std::uint32_t {
  kRandomizeBase = 1,  // map the arena at a random base chosen once per boot and user, from a
                       // relocated copy the first process leaves in the user's runtime directory
  kFixedBase = 2,      // usable only at preferred_base: the arena holds tables hashed or ordered by
                       // its objects' addresses (an address-stable bake); anywhere else the program
                       // runs its initializers. Never together with kRandomizeBase.
};

enum class Compression : std::uint32_t {
  none = 0,  // the arena's bytes are stored as they are, and mapped
  zstd = 1,  // stored as independent zstd frames (ChunkEntry), decompressed at startup
  lz4 = 2,   // stored as independent LZ4 blocks (ChunkEntry), decompressed at startup
};

// One independently compressed piece of the arena.
struct ChunkEntry {
  std::uint64_t stored_offset;  // from arena_offset
  std::uint64_t stored_size;
  std::uint64_t raw_offset;     // into the arena, page-aligned
  std::uint64_t raw_size;
  std::uint64_t checksum;       // chunk_checksum() of the stored bytes: checked for every chunk
                                // before any is decompressed on first touch
};
static_assert(sizeof(ChunkEntry) == 40);

inline constexpr std::uint32_t kNoSymbol = 0xffffffff;

// A word of the arena that holds a pointer into a module: at startup it becomes
// module_load_bias + target when the module is the one baked against (same build-id), or
// address_of(symbol) + (target - symbol.value) when the module changed but exports the symbol.
struct ModuleReloc {
  std::uint64_t arena_offset;  // 8-aligned offset of the word in the arena
  std::uint64_t target;        // address relative to the module's load bias
  std::uint32_t symbol;        // index into SymbolEntry[], or kNoSymbol
  std::uint32_t reserved;      // zero
};
static_assert(sizeof(ModuleReloc) == 24);

// An exported symbol of a shared library that some relocation targets.
struct SymbolEntry {
  std::uint64_t name_offset;  // into strings
  std::uint64_t value;        // the symbol's address relative to the load bias, at bake time
};
static_assert(sizeof(SymbolEntry) == 16);

// A word of a module's writable data written at startup, before any root is used: a global an
// initializer set to point into the arena (an escaping reference), or a word of a function-local
// static the initializers constructed (its guard last; the image is not used if the program has
// constructed that static itself by then). Only applied when the module, and a module pointed
// into, are the builds that were baked against.
enum class GlobalKind : std::uint16_t {
  arena = 0,           // the arena's address + value
  value = 1,           // value, as it is
  module_pointer = 2,  // target_module's load bias + value
  guard = 3,           // value, where the word is 0
};
struct GlobalReloc {
  std::uint32_t module;         // index into ModuleEntry[]
  GlobalKind kind;
  std::uint16_t target_module;  // module_pointer: index into ModuleEntry[]; else zero
  std::uint64_t offset;         // the word's address relative to the module's load bias
  std::uint64_t value;
};
static_assert(sizeof(GlobalReloc) == 24);

// An exit handler the initializers registered (a restored static's destructor, atexit(f)):
// registered again at startup with __cxa_atexit(fn, obj, dso), in the bake's order, after the
// globals are written. Header::exit_count of them follow GlobalReloc[].
inline constexpr std::uint32_t kNoModule = 0xffffffff;
struct ExitEntry {
  std::uint32_t fn_module, obj_module, dso_module;  // indexes into ModuleEntry[]; obj_module
                                                    // kNoModule: obj is null
  std::uint32_t reserved;                           // zero
  std::uint64_t fn, obj, dso;                       // relative to their modules' load bias
};
static_assert(sizeof(ExitEntry) == 40);
inline std::uint64_t exits_offset(const Header& h) { return h.globals_offset + h.global_count * sizeof(GlobalReloc); }

// n rounded up to a whole number of pages: the memory an arena of n bytes is mapped in.
inline std::uint64_t page_up(std::uint64_t n) { return (n + kPageSize - 1) / kPageSize * kPageSize; }

// 64-bit FNV-1a, unrolled over 8-byte words where possible. Cheap, not cryptographic: it catches
// corruption, not attacks.
inline std::uint64_t checksum(const void* data, std::uint64_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = 0xcbf29ce484222325ull;
  std::uint64_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    __builtin_memcpy(&w, p + i, 8);  // little-endian load
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

// checksum()'s step on four interleaved lanes of 8-byte words, folded at the end: about four
// times its speed, for the stored chunks the runtime checks before first touches.
inline std::uint64_t chunk_checksum(const void* data, std::uint64_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t lane[4] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull, 0x9ce484222325cbf2ull, 0x2325cbf29ce48422ull};
  std::uint64_t i = 0;
  for (; i + 32 <= size; i += 32)
    for (int k = 0; k < 4; ++k) {
      std::uint64_t w;
      __builtin_memcpy(&w, p + i + 8 * k, 8);
      lane[k] = (lane[k] ^ w) * 0x100000001b3ull;
      lane[k] ^= lane[k] >> 29;
    }
  std::uint64_t h = checksum(p + i, size - i);
  for (std::uint64_t l : lane) h = ((h ^ l) * 0x100000001b3ull) ^ (h >> 29);
  return h ^ size;
}

// A frozen root's cache file (runtime/src/frozen-linux.cc): the image of one frozen root, made
// on the machine where the program runs, with what its initializer read then.
//
//   [FrozenHeader][inputs text] ... zero padding to a page ... [image: Header ... arena]
//
// The inputs text is one line per entry, "<kind>\t<state>\t<name>\n": first "root\t\t<root
// name>", then each input the initializer read, as the runtime checks it again at startup:
// "file\t<dev>:<inode>:<size>:<mtime s>.<mtime ns>\t<absolute path>" (or "absent" as the
// state), "environment\tset <FNV-1a of the value, hex>\t<name>" (or "unset"), and
// "cwd\t<FNV-1a of the working directory, hex>\t" when a path was relative. A refused freeze
// (refused = 1) has no image and ends with "refused\t\t<why>": later runs with the same inputs
// run the initializer without trying again.
inline constexpr char kFrozenMagic[8] = {'F', 'B', 'F', 'R', 'O', 'Z', 'E', 'N'};
inline constexpr std::uint32_t kFrozenVersion = 1;

struct FrozenHeader {
  char magic[8];                 // kFrozenMagic
  std::uint32_t version;         // kFrozenVersion
  std::uint32_t header_size;     // sizeof(FrozenHeader)
  std::uint8_t build_id[32];     // the executable's GNU build-id
  std::uint32_t build_id_size;
  std::uint32_t refused;         // 1: no image, the inputs text says why
  std::uint64_t type_hash;       // the root's, as in RootEntry
  std::uint64_t value_size, value_align;
  std::uint64_t inputs_offset, inputs_size;
  std::uint64_t image_offset, image_size;  // page-aligned; 0 when refused
  std::uint64_t inputs_checksum;           // checksum() of the inputs text
  std::uint64_t header_checksum;           // checksum() of this header up to this field
};
static_assert(sizeof(FrozenHeader) == 128);
static_assert(offsetof(FrozenHeader, header_checksum) == sizeof(FrozenHeader) - 8);

inline std::uint64_t header_checksum(const Header& h) {
  return checksum(&h, offsetof(Header, header_checksum));
}

}  // namespace fastboot::image
