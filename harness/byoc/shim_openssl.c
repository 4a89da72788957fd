/* OpenSSL's socket BIO, for clients that hand their descriptor to libssl
 * (SSL_set_fd, SSL_set_rfd, SSL_set_wfd): libssl is a shared library, so
 * its own read() and write() are not wrapped and would reach the real
 * descriptor behind a virtual one. On a virtual descriptor these wrappers
 * give the SSL object a BIO whose reads and writes go through the shim's
 * recv and send instead (blocking, deadlines and all); any other descriptor
 * gets the real call.
 *
 * And one memo, for speed: a client given its trust anchors as PEM bytes
 * (libcurl's CURLOPT_CAINFO_BLOB) parses them with PEM_X509_INFO_read_bio
 * on every connection, which is a fifth of a TLS input's time in OpenSSL
 * 3.0's decoders. The bytes are the harness's test CA every time, so the
 * wrapper parses them once and hands every later call the same
 * certificates (new X509_INFO entries holding references), with the BIO
 * read to its end as the real call leaves it. The client's own code runs as
 * before; other bytes, or a stack to append to, get the real call. */
#include "byoc.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

int __real_SSL_set_fd(SSL *s, int fd);
int __real_SSL_set_rfd(SSL *s, int fd);
int __real_SSL_set_wfd(SSL *s, int fd);
int __wrap_SSL_set_fd(SSL *s, int fd);
int __wrap_SSL_set_rfd(SSL *s, int fd);
int __wrap_SSL_set_wfd(SSL *s, int fd);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
STACK_OF(X509_INFO) *
    __real_PEM_X509_INFO_read_bio(BIO *bp, STACK_OF(X509_INFO) * sk, pem_password_cb *cb, void *u);
STACK_OF(X509_INFO) *
    __wrap_PEM_X509_INFO_read_bio(BIO *bp, STACK_OF(X509_INFO) * sk, pem_password_cb *cb, void *u);

static BIO_METHOD *method;

static int fd_of(BIO *b)
{
  return (int)(intptr_t)BIO_get_data(b);
}

static int vbio_read(BIO *b, char *buf, int len)
{
  BIO_clear_retry_flags(b);
  ssize_t n = __wrap_recv(fd_of(b), buf, len > 0 ? (size_t)len : 0, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    BIO_set_retry_read(b);
  return (int)n;
}

static int vbio_write(BIO *b, const char *buf, int len)
{
  BIO_clear_retry_flags(b);
  ssize_t n = __wrap_send(fd_of(b), buf, len > 0 ? (size_t)len : 0, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    BIO_set_retry_write(b);
  return (int)n;
}

static long vbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
  (void)num;
  if (cmd == BIO_CTRL_FLUSH)
    return 1;
  if (cmd == BIO_C_GET_FD) {
    if (ptr)
      *(int *)ptr = fd_of(b);
    return fd_of(b);
  }
  return 0;
}

static int vbio_create(BIO *b)
{
  BIO_set_init(b, 1);
  return 1;
}

/* A BIO on virtual descriptor fd, or NULL if fd is not one. */
static BIO *vbio(int fd)
{
  if (!sc_byoc_is_virtual(fd))
    return NULL;
  if (!method) {
    method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "smtpfuzz byoc socket");
    if (!method || !BIO_meth_set_read(method, vbio_read) ||
        !BIO_meth_set_write(method, vbio_write) || !BIO_meth_set_ctrl(method, vbio_ctrl) ||
        !BIO_meth_set_create(method, vbio_create))
      return NULL;
  }
  BIO *b = BIO_new(method);
  if (b)
    BIO_set_data(b, (void *)(intptr_t)fd);
  return b;
}

int __wrap_SSL_set_fd(SSL *s, int fd)
{
  if (!sc_byoc_is_virtual(fd))
    return __real_SSL_set_fd(s, fd);
  BIO *b = vbio(fd);
  if (!b)
    return 0;
  SSL_set_bio(s, b, b); /* one BIO both ways: the SSL takes its one reference */
  return 1;
}

int __wrap_SSL_set_rfd(SSL *s, int fd)
{
  if (!sc_byoc_is_virtual(fd))
    return __real_SSL_set_rfd(s, fd);
  BIO *b = vbio(fd);
  if (!b)
    return 0;
  SSL_set0_rbio(s, b);
  return 1;
}

int __wrap_SSL_set_wfd(SSL *s, int fd)
{
  if (!sc_byoc_is_virtual(fd))
    return __real_SSL_set_wfd(s, fd);
  BIO *b = vbio(fd);
  if (!b)
    return 0;
  SSL_set0_wbio(s, b);
  return 1;
}

/* The PEM bytes parsed last, and what they held (certificates and CRLs
 * only: an entry with a key is never kept). */
#define PEM_MEMO_MAX 65536
static char *memo_pem;
static long memo_len;
static STACK_OF(X509_INFO) * memo;

static int memo_keepable(const STACK_OF(X509_INFO) * sk)
{
  for (int i = 0; i < sk_X509_INFO_num(sk); i++) {
    const X509_INFO *xi = sk_X509_INFO_value(sk, i);
    if (xi->x_pkey || xi->enc_data)
      return 0;
  }
  return 1;
}

/* A new stack with new entries referring to the memo's objects. */
static STACK_OF(X509_INFO) * memo_copy(void)
{
  STACK_OF(X509_INFO) *out = sk_X509_INFO_new_null();
  for (int i = 0; out && i < sk_X509_INFO_num(memo); i++) {
    const X509_INFO *from = sk_X509_INFO_value(memo, i);
    X509_INFO *xi = X509_INFO_new();
    if (!xi || !sk_X509_INFO_push(out, xi)) {
      X509_INFO_free(xi);
      sk_X509_INFO_pop_free(out, X509_INFO_free);
      return NULL;
    }
    if (from->x509 && X509_up_ref(from->x509))
      xi->x509 = from->x509;
    if (from->crl && X509_CRL_up_ref(from->crl))
      xi->crl = from->crl;
  }
  return out;
}

STACK_OF(X509_INFO) *
    __wrap_PEM_X509_INFO_read_bio(BIO *bp, STACK_OF(X509_INFO) * sk, pem_password_cb *cb, void *u)
{
  char *data = NULL;
  long len = sk == NULL && BIO_method_type(bp) == BIO_TYPE_MEM ? BIO_get_mem_data(bp, &data) : -1;
  if (len <= 0 || len > PEM_MEMO_MAX)
    return __real_PEM_X509_INFO_read_bio(bp, sk, cb, u);
  if (memo && len == memo_len && memcmp(data, memo_pem, (size_t)len) == 0) {
    STACK_OF(X509_INFO) *out = memo_copy();
    char sink[4096];
    while (out && BIO_read(bp, sink, sizeof sink) > 0)
      ;
    return out;
  }
  char *copy = malloc((size_t)len);
  if (copy)
    memcpy(copy, data, (size_t)len);
  STACK_OF(X509_INFO) *got = __real_PEM_X509_INFO_read_bio(bp, NULL, cb, u);
  if (!copy || !got || !memo_keepable(got)) {
    free(copy);
    return got;
  }
  /* Keep what was parsed; the caller gets entries of its own. */
  sk_X509_INFO_pop_free(memo, X509_INFO_free);
  free(memo_pem);
  memo = got;
  memo_pem = copy;
  memo_len = len;
  return memo_copy();
}
