/* fuzz/library_cmp.c, as linked into the libFuzzer targets: a strcmp or
 * strncmp made inside a shared library (OpenSSL's libcrypto) reaches no
 * comparison hook and is still checked by ASan; one made by the
 * executable's own code still reaches the hook, with its own call site.
 *
 * The hooks are the ones libFuzzer defines; here the test defines them, to
 * count what they are told. Built only under ASan (tests/CMakeLists.txt),
 * where library_cmp.c is not empty. */
#include "check.h"
#include "child.h"
#include "library_cmp.h"

#include <openssl/bio.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <sanitizer/common_interface_defs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SF_LIBRARY_CMP
#error "test_library_cmp needs ASan (see tests/CMakeLists.txt)"
#endif

static unsigned hooked;
static void *hook_pc;

void __sanitizer_weak_hook_strcmp(void *pc, const char *a, const char *b, int result)
{
  (void)a;
  (void)b;
  (void)result;
  hooked++;
  hook_pc = pc;
}

void __sanitizer_weak_hook_strncmp(void *pc, const char *a, const char *b, size_t n, int result)
{
  (void)a;
  (void)b;
  (void)n;
  (void)result;
  hooked++;
  hook_pc = pc;
}

/* Through volatile pointers, so that the compiler cannot work the
 * comparisons out itself. */
static const char *volatile alpha = "alpha";
static const char *volatile alpine = "alpine";

__attribute__((noinline)) static void *own_call_1(void)
{
  CHECK(strcmp(alpha, alpine) < 0);
  return hook_pc;
}

__attribute__((noinline)) static void *own_call_2(void)
{
  CHECK(strcmp(alpine, alpha) > 0);
  return hook_pc;
}

__attribute__((noinline)) static void *own_call_3(void)
{
  CHECK(strncmp(alpha, alpine, 5) < 0);
  return hook_pc;
}

__attribute__((noinline)) static void *own_call_4(void)
{
  CHECK(strncmp(alpine, alpha, 5) > 0);
  return hook_pc;
}

/* The executable's own calls: the hook, once each, with each call site's
 * own address (not one inside library_cmp.c's function, which would be the
 * same for two calls of it). */
static void test_own_calls_hooked(void)
{
  unsigned before = hooked;
  void *pc1 = own_call_1();
  void *pc2 = own_call_2();
  void *pc3 = own_call_3();
  void *pc4 = own_call_4();
  CHECKF(hooked == before + 4, "hooked %u times, want 4", hooked - before);
  CHECK(pc1 != NULL && pc2 != NULL && pc1 != pc2);
  CHECK(pc3 != NULL && pc4 != NULL && pc3 != pc4);
}

/* libcrypto's calls: OSSL_PARAM_locate compares the names with strcmp, and
 * PEM's reader looks for "-----BEGIN " line by line with strncmp. */
static void test_library_calls_quiet(void)
{
  int x = 1, y = 2;
  OSSL_PARAM params[] = {OSSL_PARAM_int("alpha", &x), OSSL_PARAM_int("beta", &y), OSSL_PARAM_END};
  unsigned before = hooked;
  CHECK(OSSL_PARAM_locate(params, "beta") == &params[1]);
  CHECK(OSSL_PARAM_locate(params, "gamma") == NULL);
  CHECKF(hooked == before, "OSSL_PARAM_locate: hooked %u times", hooked - before);

  static const char pem[] = "not a header\n"
                            "-----BEGIN THING-----\n"
                            "AAEC\n"
                            "-----END THING-----\n";
  BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));
  CHECK(bio != NULL);
  char *name = NULL, *header = NULL;
  unsigned char *data = NULL;
  long len = 0;
  before = hooked;
  CHECK(PEM_read_bio(bio, &name, &header, &data, &len) == 1);
  CHECKF(hooked == before, "PEM_read_bio: hooked %u times", hooked - before);
  CHECK(name != NULL && strcmp(name, "THING") == 0 && len == 3 && data[2] == 2);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  BIO_free(bio);
}

/* A library's read past the end of a string is still an ASan report: in a
 * child, a key of four bytes with no NUL, equal to "beta" so far. */
static void over_read(void)
{
  int y = 2;
  OSSL_PARAM params[] = {OSSL_PARAM_int("beta", &y), OSSL_PARAM_END};
  char *key = malloc(4);
  memcpy(key, "beta", 4);
  OSSL_PARAM_locate(params, key);
}

static void test_library_calls_checked(void)
{
  static char out[1 << 16];
  int status = child_run(over_read, out, sizeof out);
  CHECKF(status != -1 && (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0)),
         "the child ended with status %d", status);
  CHECKF(strstr(out, "heap-buffer-overflow") && strstr(out, "sf_library_strcmp"),
         "no ASan report from sf_library_strcmp in:\n%s", out);
}

/* The comparisons give the C library's answers: every pair of strings of
 * up to three bytes from an alphabet with NUL and a byte above 0x7f. */
static int sign(int v)
{
  return (v > 0) - (v < 0);
}

static void test_same_answers(void)
{
  static const char alphabet[] = {'\0', 'a', 'b', (char)0xe9};
  enum { K = sizeof alphabet, W = 3, N = K * K * K };
  static char s[N][W + 1];
  for (int i = 0; i < N; i++) {
    s[i][0] = alphabet[i % K];
    s[i][1] = alphabet[i / K % K];
    s[i][2] = alphabet[i / (K * K)];
    s[i][3] = '\0';
  }
  unsigned wrong = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      /* memcmp up to the first NUL is strcmp's definition. */
      size_t li = strlen(s[i]), lj = strlen(s[j]);
      size_t l = (li < lj ? li : lj) + 1;
      wrong += sign(sf_library_strcmp(s[i], s[j])) != sign(memcmp(s[i], s[j], l));
      for (size_t k = 0; k <= W + 1; k++) {
        size_t m = k < l ? k : l;
        wrong += sign(sf_library_strncmp(s[i], s[j], k)) != sign(memcmp(s[i], s[j], m));
      }
    }
  CHECKF(wrong == 0, "%u answers differ from the C library's", wrong);
}

int main(void)
{
  test_own_calls_hooked();
  test_library_calls_quiet();
  test_library_calls_checked();
  test_same_answers();
  return check_report("test_library_cmp");
}
