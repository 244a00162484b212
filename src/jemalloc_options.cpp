// Options for jemalloc, which reads this symbol when the process starts
// (only linked in when kvd uses jemalloc, see CMakeLists.txt).
//
// thp:always asks the kernel for transparent huge pages (madvise) on
// jemalloc's memory, where the memtables and the block cache live: a
// memtable insert walks a skiplist spread over megabytes, and in a virtual
// machine every TLB miss of that walk costs a two-level page-table walk.
// ZADD at pipeline 1 used 3-9% less CPU per request with it (bench/HISTORY.md).
extern "C" {
const char* malloc_conf = "thp:always";
}
