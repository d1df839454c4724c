// A pointer into the thread-local storage of a thread the initializer started, a pool thread
// that is still running when the bake ends: refused by the thread's number, and the bake
// neither hangs nor crashes on the running thread.
#include <fastboot/fastboot.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

static fastboot::root<std::unique_ptr<const int*>> holder{"holder", [] {
  static std::atomic<const int*> where{nullptr};
  std::thread([] {
    thread_local int slot = 42;
    where = &slot;
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }).detach();
  while (!where) std::this_thread::yield();
  return std::make_unique<const int*>(where.load());
}};

int main() { return **holder->get() == 42 ? 0 : 1; }
