// The baker's own memory: transparent huge pages, and freed memory given back.
#pragma once

namespace fastboot::baker {

// glibc backs its large allocations with transparent huge pages only when told so when the
// process starts (the tunable glibc.malloc.hugetlb=1), and a machine whose huge pages are set to
// "madvise" (Debian's default) then gives none. The baker reads its copies of the arena and its
// per-allocation tables at random (reach, compaction, the image's layout), where 4 KiB pages
// cost a TLB miss per access: with huge pages a 400 MB heap of small nodes bakes in about half
// the time (bench/run). So, where huge pages are "madvise", the baker runs itself again once with
// the tunable added; the programs it starts (the baking processes, the linker) get the
// environment it was given. Returns only when it does not (already done, not needed, or the
// exec failed).
void exec_with_huge_pages(char** argv);

// glibc raises its mmap threshold to the size of the largest block freed (up to 32 MiB), after
// which blocks that large come from the heap and stay resident when freed. A bake's passes each
// build and drop per-allocation tables of megabytes; held, they add up to the bake's peak memory.
// Fixes the threshold (and the heap's trim threshold) at 256 KiB, so a table of that size or
// more goes back to the system when its pass frees it.
void give_large_blocks_back();

}  // namespace fastboot::baker
