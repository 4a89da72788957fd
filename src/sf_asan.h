/* SF_HAVE_ASAN: defined when this file is compiled with AddressSanitizer
 * (gcc says so with __SANITIZE_ADDRESS__, clang through __has_feature). */
#ifndef SF_ASAN_H
#define SF_ASAN_H

#if defined(__SANITIZE_ADDRESS__)
#define SF_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SF_HAVE_ASAN 1
#endif
#endif

#endif
