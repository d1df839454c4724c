// An object allocated by another thread: not in the arena, so not in the image.
#include <fastboot/fastboot.hpp>

#include <memory>
#include <string>
#include <thread>

struct Holder {
  std::string* from_worker = nullptr;
};

static fastboot::root<std::unique_ptr<Holder>> holder{"holder", [] {
  auto h = std::make_unique<Holder>();
  std::thread([&] { h->from_worker = new std::string("made by a worker thread, on its own heap"); }).join();
  return h;
}};

int main() { return int((*holder)->from_worker->size() & 1); }
