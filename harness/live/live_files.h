/* Scenario files for the live tools: folders expanded to their *.scn files
 * (sorted), each file parsed with a "file:line: reason" error. */
#ifndef SF_LIVE_FILES_H
#define SF_LIVE_FILES_H

#include "scenario.h"

#include <stddef.h>

#define LIVE_MAX_FILES 1024

struct live_files {
  char *path[LIVE_MAX_FILES];
  size_t n;
};

/* Adds `path` (a file, or a folder's *.scn). 0, or -1 with err. */
int live_files_add(struct live_files *f, const char *path, char *err, size_t cap);
void live_files_free(struct live_files *f);
/* Reads and parses one scenario. 0, or -1 with "file:line: reason" in err. */
int live_scenario_load(struct scenario *sc, const char *path, char *err, size_t cap);
/* Reads a whole small file (at most 1 MiB) into a malloc'd NUL-terminated buffer. */
char *live_read_file(const char *path, size_t *len);

#endif
