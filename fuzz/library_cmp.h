/* strcmp and strncmp in the libFuzzer targets: a shared library's string
 * comparisons (OpenSSL's, as Debian ships it) are made without libFuzzer's
 * comparison hook. See library_cmp.c for why.
 *
 * SF_LIBRARY_CMP is defined where this applies: under ASan, which checks
 * the loops here as it checks the C library's functions. Elsewhere
 * library_cmp.c is empty and strcmp is the C library's (or the
 * sanitizer's). */
#ifndef SF_LIBRARY_CMP_H
#define SF_LIBRARY_CMP_H

#include "sf_asan.h"

#include <stddef.h>

#ifdef SF_HAVE_ASAN
#define SF_LIBRARY_CMP 1
/* The comparisons themselves, as the C library's: the sign of the first
 * differing byte, taken as unsigned char. */
int sf_library_strcmp(const char *a, const char *b);
int sf_library_strncmp(const char *a, const char *b, size_t n);
#endif

#endif
