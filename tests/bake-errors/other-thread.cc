// An object allocated by a thread that started before the bake (during static initialization):
// not in the arena, so not in the image. (Threads the initializers start are captured.)
#include <fastboot/fastboot.hpp>

#include <memory>
#include <string>
#include <thread>

struct Holder {
  std::string* from_worker = nullptr;
};

static std::string* made_early = [] {
  std::string* s = nullptr;
  std::thread([&] { s = new std::string("made by a thread started before the bake, on its own heap"); }).join();
  return s;
}();

static fastboot::root<std::unique_ptr<Holder>> holder{"holder", [] {
  auto h = std::make_unique<Holder>();
  h->from_worker = made_early;
  return h;
}};

int main() { return int((*holder)->from_worker->size() & 1); }
