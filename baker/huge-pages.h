// Transparent huge pages for the baker's own memory.
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

}  // namespace fastboot::baker
