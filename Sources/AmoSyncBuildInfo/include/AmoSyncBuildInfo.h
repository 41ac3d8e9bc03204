#ifndef AMOSYNC_BUILD_INFO_H
#define AMOSYNC_BUILD_INFO_H

/// The commit this binary was built from, as the release build passes it
/// (`-Xcc -DAMOSYNC_COMMIT='"<hash>"'`, see packaging/deb/build.sh); "" in a development build.
const char *amosync_build_commit(void);

#endif
