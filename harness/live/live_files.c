#include "live/live_files.h"
#include "scenario_text.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE (1u << 20)

static int cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push(struct live_files *f, const char *p, char *err, size_t cap)
{
  if (f->n >= LIVE_MAX_FILES) {
    snprintf(err, cap, "more than %d scenario files", LIVE_MAX_FILES);
    return -1;
  }
  f->path[f->n] = strdup(p);
  if (!f->path[f->n]) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  f->n++;
  return 0;
}

int live_files_add(struct live_files *f, const char *path, char *err, size_t cap)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(err, cap, "%s: %s", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode))
    return push(f, path, err, cap);
  DIR *d = opendir(path);
  if (!d) {
    snprintf(err, cap, "%s: %s", path, strerror(errno));
    return -1;
  }
  size_t first = f->n;
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".scn") != 0)
      continue;
    char full[4096];
    snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
    rc = push(f, full, err, cap);
  }
  closedir(d);
  qsort(f->path + first, f->n - first, sizeof(f->path[0]), cmp);
  if (rc == 0 && f->n == first) {
    snprintf(err, cap, "%s: no .scn files in this folder", path);
    return -1;
  }
  return rc;
}

void live_files_free(struct live_files *f)
{
  for (size_t i = 0; i < f->n; i++)
    free(f->path[i]);
  f->n = 0;
}

char *live_read_file(const char *path, size_t *len)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  char *buf = malloc(MAX_FILE + 1);
  errno = 0;
  size_t n = buf ? fread(buf, 1, MAX_FILE + 1, fp) : 0;
  /* The reason: the read's own (EISDIR for a folder), else the size. */
  int why = !buf ? ENOMEM : ferror(fp) ? (errno != 0 ? errno : EIO) : n > MAX_FILE ? EFBIG : 0;
  fclose(fp);
  if (why) {
    free(buf);
    errno = why;
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

int live_scenario_load(struct scenario *sc, const char *path, char *err, size_t cap)
{
  size_t len = 0;
  char *text = live_read_file(path, &len);
  if (!text) {
    snprintf(err, cap, "%s: cannot read: %s", path, strerror(errno));
    return -1;
  }
  size_t line = 0;
  const char *reason = "";
  enum sf_err e = scenario_parse_text(sc, text, len, &line, &reason);
  free(text);
  if (e != SF_ERR_OK) {
    snprintf(err, cap, "%s:%zu: %s", path, line, reason);
    return -1;
  }
  if (!sc->name[0]) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    snprintf(sc->name, sizeof(sc->name), "%.*s", (int)(n < SC_NAME_MAX - 1 ? n : SC_NAME_MAX - 1),
             base);
  }
  return 0;
}
