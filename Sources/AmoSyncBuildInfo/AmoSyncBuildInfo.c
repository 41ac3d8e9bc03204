#include "AmoSyncBuildInfo.h"

// A C string is the one value a compiler flag can set: Swift has no way to pass a
// string in at build time without generating source.
#ifndef AMOSYNC_COMMIT
#define AMOSYNC_COMMIT ""
#endif

const char *amosync_build_commit(void) { return AMOSYNC_COMMIT; }
