// The LLVM-free ELF reader the freezer's passes use: symbols of a real executable, and the
// packed relative relocations (RELR) of a file written here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "elf-file.h"
#include "elf-writer.h"
#include "symbols.h"

namespace fastboot::baker {
namespace {

// A global of this test, to find in its own symbol table.
extern "C" {
__attribute__((used)) unsigned long elf_file_test_marker[3] = {1, 2, 3};
}

TEST(ElfFile, KnowsItsMachine) {
  ElfFile file;
  ASSERT_EQ(file.open("/proc/self/exe"), "");
  EXPECT_EQ(file.machine(), native_machine());
  EXPECT_EQ(object_machine("/proc/self/exe"), native_machine());
  EXPECT_EQ(object_machine("/dev/null"), 0);
}

// A cross build's image object is for the target's machine, whichever the baker runs on.
TEST(ImageObject, IsWrittenForTheMachineAsked) {
  for (std::uint16_t machine : {std::uint16_t(EM_X86_64), std::uint16_t(EM_AARCH64)}) {
    char path[] = "/tmp/fastboot-image-object-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    Context ctx{Options{}};
    write_image_object(ctx, machine, {}, {0}, path);
    EXPECT_TRUE(ctx.errors.empty());
    ElfFile file;
    ASSERT_EQ(file.open(path), "");
    EXPECT_EQ(file.machine(), machine);
    bool section = false;
    for (const Elf64_Shdr& sh : file.sections()) section |= file.section_name(sh) == ".fastboot";
    EXPECT_TRUE(section);
    unlink(path);
  }
  Context ctx{Options{}};
  write_image_object(ctx, EM_RISCV, {}, {0}, "/tmp/fastboot-never-written.o");
  ASSERT_EQ(ctx.errors.size(), 1u);
  EXPECT_NE(ctx.errors[0].find("a machine fastboot does not support (ELF machine 243)"), std::string::npos);
}

TEST(ElfFile, FindsThisProgramsDataSymbols) {
  ElfFile file;
  ASSERT_EQ(file.open("/proc/self/exe"), "");
  std::uint64_t value = 0, size = 0;
  for (const Elf64_Shdr& sh : file.sections())
    if (sh.sh_type == SHT_SYMTAB)
      file.for_each_symbol(sh, [&](const ElfFile::Symbol& s) {
        if (s.name == "elf_file_test_marker") value = s.sym->st_value, size = s.sym->st_size;
      });
  ASSERT_NE(value, 0u);
  EXPECT_EQ(size, sizeof(elf_file_test_marker));

  Module m;
  m.name = "/proc/self/exe";
  ElfDataSymbols symbols;
  DataSymbol inside = symbols.data_symbol(m, value + 8);
  EXPECT_EQ(inside.name, "elf_file_test_marker");
  EXPECT_EQ(inside.start, value);
  EXPECT_EQ(inside.size, size);
  EXPECT_EQ(symbols.data_symbol(m, 0).name, "");
}

TEST(ElfFile, DecodesPackedRelativeRelocations) {
  // An ELF header, a section header table of two (null, .relr.dyn), and the RELR words: the
  // address 0x1000, a bitmap marking the 1st, 3rd and 63rd words after it, a bitmap for the
  // next 63 words marking their first, and another address.
  std::vector<std::uint64_t> relr = {0x1000, (1ull | (1ull << 1) | (1ull << 3) | (1ull << 63)), 1ull | (1ull << 1), 0x5000};
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = 2;
  eh.e_shoff = sizeof(eh);
  Elf64_Shdr sh[2]{};
  sh[1].sh_type = SHT_RELR;
  sh[1].sh_offset = sizeof(eh) + sizeof(sh);
  sh[1].sh_size = relr.size() * 8;
  char path[] = "/tmp/fastboot-elf-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, &eh, sizeof(eh)), ssize_t(sizeof(eh)));
  ASSERT_EQ(write(fd, sh, sizeof(sh)), ssize_t(sizeof(sh)));
  ASSERT_EQ(write(fd, relr.data(), relr.size() * 8), ssize_t(relr.size() * 8));
  close(fd);
  ElfFile file;
  ASSERT_EQ(file.open(path), "");
  unlink(path);
  std::vector<std::uint64_t> got;
  file.for_each_relr(file.sections()[1], [&](std::uint64_t at) { got.push_back(at); });
  std::vector<std::uint64_t> want = {0x1000, 0x1008, 0x1018, 0x1000 + 62 * 8 + 8, 0x1008 + 63 * 8, 0x5000};
  EXPECT_EQ(got, want);
}

TEST(ElfFile, RefusesWhatIsNotElf) {
  ElfFile file;
  EXPECT_NE(file.open("/nonexistent/file"), "");
  ElfFile text;
  EXPECT_NE(text.open("/etc/passwd"), "");
}

}  // namespace
}  // namespace fastboot::baker
