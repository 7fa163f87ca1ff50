/* Callgrind client requests for bench/WsCore.InstructionCount (no-ops outside valgrind).
   gcc -O2 -shared -fPIC -o libwscore_cgmarks.so callgrind_marks.c */
#include <valgrind/callgrind.h>

int wscore_cg_running(void) { return RUNNING_ON_VALGRIND; }
void wscore_cg_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void wscore_cg_zero(void) { CALLGRIND_ZERO_STATS; }
void wscore_cg_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
