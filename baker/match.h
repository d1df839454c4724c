// Matching two bake runs whose threads interleaved differently. When the initializers' threads
// split their work by timing (a mutex, a work-stealing pool), the two runs allocate the same
// objects in different orders and places. The baker then pairs the runs' allocations by
// walking both heaps from the roots in step, and rewrites run B into run A's layout, so that the
// word-by-word diff that follows compares each object with its counterpart.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "context.h"
#include "dump.h"

namespace fastboot::baker {

struct HeapMatch {
  bool used = false;  // the runs' layouts differed and run B was rewritten
  // Run A's allocations in the order the walk reached them (roots, then restored globals'
  // targets, then breadth first), which does not depend on how the threads interleaved.
  std::vector<std::size_t> order;
  // Per run A allocation: its offsets in the two runs agree modulo 256, so a word pointing into
  // it may be a real byte beside leftover pointer bytes that passed for a pointer (compact.cc),
  // and compaction must keep its offset modulo 256. The others may go anywhere.
  std::vector<bool> keep_low_bits;
  // Words (run A arena offsets, sorted) that point one past the end of an allocation where the
  // next one begins, as both runs agree (a vector's end): compaction, which separates the two,
  // moves them with the allocation that ends there.
  std::vector<std::uint64_t> end_words;
  // Where both runs agree on both readings of such a word (a full vector followed by an object
  // something else points to, or two nodes side by side), the allocation that ends there and the
  // one that begins: compaction keeps them side by side, so the word means both still.
  std::vector<std::pair<std::size_t, std::size_t>> glued;
  std::size_t unmatched = 0;  // run A allocations the walk did not pair
  // Words (run A arena offsets) whose targets the walk could not pair, and what they point to in
  // each run: the diff reports them with it.
  std::map<std::uint64_t, std::string> unpaired;
};

// Does nothing when both runs made the same allocations at the same offsets, or when the
// initializers started no threads (then the runs' allocations differ for another reason, which
// the shape check reports). Otherwise pairs
// and rewrites run B as described above; pointers that lead to different objects in the two
// runs are left as they are, for the diff to report.
HeapMatch match_heaps(Context& ctx, const Dump& a, Dump& b);

}  // namespace fastboot::baker
