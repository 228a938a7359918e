/* Stage markers for bench/device_cost.py: cg_dump("frame|stage") makes callgrind dump the
   instructions counted since the previous dump, labelled; outside valgrind it does
   nothing. Built by bench/device_cost.sh (needs valgrind's header, valgrind/callgrind.h). */
#include <valgrind/callgrind.h>

void cg_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
