// A root that keeps a pointer to memory the program allocated before the bake (a static
// initializer's string, on the main thread's heap): not in the arena, so not in the image. Under
// an emulator, whose processes are all laid out alike, the pointer is the same in both bake runs
// and is refused by its range (tests/matrix/check-cross.sh bakes this program for aarch64).
#include <fastboot/fastboot.hpp>

#include <memory>
#include <string>

struct Holder {
  const char* text = nullptr;
};

static std::string* made_early = new std::string("made by a static initializer, before the bake, on the heap");

static fastboot::root<std::unique_ptr<Holder>> holder{"holder", [] {
  auto h = std::make_unique<Holder>();
  h->text = made_early->c_str();
  return h;
}};

int main() { return int((*holder)->text[0] == 'm' ? 0 : 1); }
