// What differs between the LLVM versions the baker builds against (14 to 19), in one place.
#pragma once

#include <llvm/Config/llvm-config.h>

namespace fastboot::baker {

// An optional's value, or `fallback`: LLVM 14 returns llvm::Optional, which has no value_or.
template <class Optional, class T>
T value_or(const Optional& o, T fallback) {
  return o ? T(*o) : fallback;
}

}  // namespace fastboot::baker
