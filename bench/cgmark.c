#include <valgrind/callgrind.h>
void cg_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
