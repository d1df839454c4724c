// The shared main() of the startup workloads. A workload defines its data type and how to
// build, save, load and query it; the harness turns that into the four programs the benchmark
// compares, as modes of one executable:
//   <exe>                       touch one element of the root and print it (baked or, with
//                               FASTBOOT_DISABLE=1, built by the initializer at startup)
//   <exe> idle                  exit without touching the root (the program's own start cost)
//   <exe> save <file>           build the data and write it with the serialization library
//   <exe> load <file>           read it back from that file and touch one element
//   <exe> query <n>             time n queries over the root, twice: the first pass also pays
//                               for first touches of memory, the second runs on resident data
//   <exe> hold <seconds>        read all of the root, then sleep (for memory sharing)
// Built with FASTBOOT_BENCH_FROZEN, the root is a frozen root: made on the first run and mapped
// from the cache after (bench/run's frozen rows).
#pragma once

#include <fastboot/fastboot.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

// The workloads' root: baked at build time, or frozen on the first run.
#ifdef FASTBOOT_BENCH_FROZEN
#define FASTBOOT_BENCH_ROOT fastboot::frozen
#else
#define FASTBOOT_BENCH_ROOT fastboot::root
#endif

namespace workload {

// Writing and reading a whole structure with cereal's binary archive.
template <class Archive, class Data>
void cereal_write(std::ostream& out, const Data& d) {
  Archive archive(out);
  archive(d);
}
template <class Archive, class Data>
Data cereal_read(std::istream& in) {
  Data d;
  Archive archive(in);
  archive(d);
  return d;
}

// `root` is a fastboot::root, or a fastboot::frozen in the frozen variants (FASTBOOT_BENCH_FROZEN).
template <class W, class Root>
int run(int argc, char** argv, const Root& root) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode.empty()) {
    std::printf("%llu\n", static_cast<unsigned long long>(W::first(*root)));
    return 0;
  }
  if (mode == "idle") return 0;
  if (mode == "save" && argc > 2) {
    typename W::Data data = W::build();
    std::ofstream out(argv[2], std::ios::binary);
    W::save(data, out);
    return out ? 0 : 1;
  }
  if (mode == "load" && argc > 2) {
    std::ifstream in(argv[2], std::ios::binary);
    typename W::Data data = W::load(in);
    std::printf("%llu\n", static_cast<unsigned long long>(W::first(data)));
    std::fflush(stdout);
    std::_Exit(0);  // as the other variants: no teardown of the data
  }
  if (mode == "query" && argc > 2) {
    const auto& data = *root;
    std::uint64_t n = std::strtoull(argv[2], nullptr, 10), sum = 0;
    double ns[2];
    for (double& pass : ns) {
      auto start = std::chrono::steady_clock::now();
      for (std::uint64_t i = 0; i < n; ++i) sum += W::query(data, i * 2654435761u);
      pass = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / double(n);
    }
    std::printf("%.1f %.1f ns/query, first and second pass (checksum %llu, %s)\n", ns[0], ns[1],
                static_cast<unsigned long long>(sum), fastboot::baked() ? "baked" : "built at startup");
    return 0;
  }
  if (mode == "hold" && argc > 2) {
    std::printf("%llu\n", static_cast<unsigned long long>(W::touch_all(*root)));
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(std::atoi(argv[2])));
    return 0;
  }
  std::fprintf(stderr, "usage: %s [save <file> | load <file> | query <n> | hold <seconds>]\n", argv[0]);
  return 2;
}

}  // namespace workload
