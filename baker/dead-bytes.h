// Bytes no code can read that the baker finds by their shape, without types: the characters
// past a libstdc++ short string's terminator. Moving a short string copies its characters and
// its terminator and leaves the rest of the inline buffer as it was, so an initializer that
// sorts or shuffles strings on several threads leaves bytes there that depend on timing. The
// root's own type clears such bytes in the baking process (runtime/include/fastboot/
// dead-bytes.hpp); this pass reaches the strings a root holds through types it cannot see into
// (a class of the program's own, a library's internals).
#pragma once

#include <cstddef>

#include "dump.h"

namespace fastboot::baker {

// Zeroes, in both runs, the bytes past the terminator of every libstdc++ short string in a live
// allocation: a word that points 16 bytes past itself in both runs (at the inline buffer),
// followed by a length of at most 15 that is the same in both, and a NUL at that length in both.
// Returns how many such strings differed between the runs only in those bytes.
std::size_t zero_short_string_tails(Dump& a, Dump& b);

}  // namespace fastboot::baker
