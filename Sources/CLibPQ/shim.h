// PostgreSQL's client library, libpq, from the system (libpq-dev to build; libpq5 at run time).
#include <libpq-fe.h>
