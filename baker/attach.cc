// The layout after attaching, at the end of the file the linker wrote:
//   [page-aligned] image  [report]  [.shstrtab with the new names  section headers]
// The last two only when the first link's output lacks a section to reuse: the first link
// reads an empty image object, so `.fastboot` is there (its header is rewritten in place),
// while a linker may drop the empty `.fastboot.report`; a new section header table then follows,
// with a copy of the section names that ends right before it (where the loader reads names from
// in the same read as the headers).
#include "attach.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "fastboot/image-format.h"

namespace fastboot::baker {

namespace {

struct File {
  int fd = -1;
  ~File() {
    if (fd >= 0) close(fd);
  }
};

bool read_at(int fd, void* buf, std::size_t n, std::uint64_t off) {
  auto* p = static_cast<char*>(buf);
  while (n) {
    ssize_t r = pread(fd, p, n, off_t(off));
    if (r <= 0) return false;
    p += r, n -= std::size_t(r), off += std::uint64_t(r);
  }
  return true;
}

bool write_at(int fd, const void* buf, std::size_t n, std::uint64_t off) {
  auto* p = static_cast<const char*>(buf);
  while (n) {
    ssize_t r = pwrite(fd, p, n, off_t(off));
    if (r <= 0) return false;
    p += r, n -= std::size_t(r), off += std::uint64_t(r);
  }
  return true;
}

std::string attach(const std::string& output, const SectionImage& image, const std::vector<std::uint8_t>& report) {
  File f;
  f.fd = open(output.c_str(), O_RDWR | O_CLOEXEC);
  if (f.fd < 0) return "cannot open " + output + ": " + strerror(errno);
  Elf64_Ehdr eh;
  if (!read_at(f.fd, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return "not a 64-bit little-endian ELF file";
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum >= SHN_LORESERVE - 2 ||
      eh.e_shstrndx == SHN_UNDEF || eh.e_shstrndx >= eh.e_shnum)
    return "its section header table is not one this writer handles";
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  if (!read_at(f.fd, sh.data(), sh.size() * sizeof(Elf64_Shdr), eh.e_shoff)) return "cannot read its section headers";
  const Elf64_Shdr names_header = sh[eh.e_shstrndx];
  std::vector<char> names(names_header.sh_size);
  if (names.empty() || !read_at(f.fd, names.data(), names.size(), names_header.sh_offset) || names.back() != 0)
    return "cannot read its section names";
  auto find = [&](const char* name) -> int {
    for (std::size_t i = 0; i < sh.size(); ++i)
      if (sh[i].sh_name < names.size() && strcmp(names.data() + sh[i].sh_name, name) == 0) return int(i);
    return -1;
  };
  struct stat st;
  if (fstat(f.fd, &st) != 0) return std::string("cannot stat it: ") + strerror(errno);

  // The contents, at the end.
  std::uint64_t image_at = fastboot::image::page_up(std::uint64_t(st.st_size)), report_at = image_at + image.size;
  if (!image.write_to(f.fd, image_at) || !write_at(f.fd, report.data(), report.size(), report_at))
    return std::string("cannot write the image: ") + strerror(errno);
  std::uint64_t end = report_at + report.size();

  // Their headers: the first link's, or new ones.
  bool grew = false;
  auto place = [&](const char* name, std::uint64_t offset, std::uint64_t size, std::uint64_t align) {
    int i = find(name);
    if (i < 0) {
      Elf64_Shdr s{};
      s.sh_name = Elf64_Word(names.size());
      names.insert(names.end(), name, name + strlen(name) + 1);
      sh.push_back(s);
      i = int(sh.size() - 1);
      grew = true;
    }
    Elf64_Shdr& s = sh[std::size_t(i)];
    s.sh_type = SHT_PROGBITS;
    s.sh_flags = SHF_GNU_RETAIN;
    s.sh_addr = 0;
    s.sh_offset = offset;
    s.sh_size = size;
    s.sh_link = s.sh_info = 0;
    s.sh_addralign = align;
    s.sh_entsize = 0;
  };
  place(".fastboot", image_at, image.size, fastboot::image::kPageSize);
  place(".fastboot.report", report_at, report.size(), 1);
  if (grew) {
    // New names and headers after everything else; the old ones stay, unreferenced.
    std::uint64_t headers_at = (end + names.size() + alignof(Elf64_Shdr) - 1) & ~std::uint64_t(alignof(Elf64_Shdr) - 1);
    std::uint64_t names_at = headers_at - names.size();
    sh[eh.e_shstrndx].sh_offset = names_at;
    sh[eh.e_shstrndx].sh_size = names.size();
    if (!write_at(f.fd, names.data(), names.size(), names_at)) return std::string("cannot write section names: ") + strerror(errno);
    eh.e_shoff = headers_at;
    eh.e_shnum = Elf64_Half(sh.size());
    if (!write_at(f.fd, &eh, sizeof(eh), 0)) return std::string("cannot write the ELF header: ") + strerror(errno);
  }
  if (!write_at(f.fd, sh.data(), sh.size() * sizeof(Elf64_Shdr), eh.e_shoff))
    return std::string("cannot write the section headers: ") + strerror(errno);
  return "";
}

}  // namespace

std::string attach_image(Context& ctx, const std::string& unbaked, const std::string& output,
                         const SectionImage& image, const std::vector<std::uint8_t>& report) {
  Timer t(ctx, "attach image");
  std::error_code ec;
  std::filesystem::copy_file(unbaked, output, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return "cannot copy " + unbaked + ": " + ec.message();
  std::filesystem::permissions(output, std::filesystem::status(unbaked).permissions(), ec);
  std::string why = attach(output, image, report);
  if (!why.empty()) std::filesystem::remove(output, ec);
  return why;
}

}  // namespace fastboot::baker
