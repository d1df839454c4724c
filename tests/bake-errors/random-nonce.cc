// A nonce read from /dev/urandom, as SQLite keeps one: the error says it is most likely random,
// because the initializer read a random source.
#include <fastboot/fastboot.hpp>

#include <cstdint>
#include <fstream>

struct Journal {
  std::uint32_t nonce = 0;
  std::uint32_t pages = 16;
};

static fastboot::root<Journal> journal{"journal", [] {
  Journal j;
  std::ifstream("/dev/urandom", std::ios::binary).read(reinterpret_cast<char*>(&j.nonce), sizeof(j.nonce));
  return j;
}};

int main() { return int(journal->pages & 1); }
