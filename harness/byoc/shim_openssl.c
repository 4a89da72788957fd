/* OpenSSL's socket BIO, for clients that hand their descriptor to libssl
 * (SSL_set_fd, SSL_set_rfd, SSL_set_wfd): libssl is a shared library, so
 * its own read() and write() are not wrapped and would reach the real
 * descriptor behind a virtual one. On a virtual descriptor these wrappers
 * give the SSL object a BIO whose reads and writes go through the shim's
 * recv and send instead (blocking, deadlines and all); any other descriptor
 * gets the real call. */
#include "byoc.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <stdint.h>
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
  BIO_up_ref(b);
  SSL_set_bio(s, b, b);
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
