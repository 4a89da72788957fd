/* The name a client expects its server's certificate to carry: a DNS name
 * or an address literal. RFC 6125 6.2 compares an address against the
 * certificate's iPAddress entries as an address (so "2001:db8::1" and
 * "2001:DB8:0::1" are the same), never as text, and RFC 6066 3 sends no SNI
 * for an address. Both TLS layers and the session decide with these two
 * functions, so they cannot disagree about what a name is. */
#ifndef SF_HOST_H
#define SF_HOST_H

enum sf_host_kind {
  SF_HOST_NONE, /* NULL or empty: no name to check */
  SF_HOST_DNS,  /* anything that is not an address literal */
  SF_HOST_IPV4, /* dotted quad, as inet_pton(AF_INET) reads it */
  SF_HOST_IPV6, /* RFC 4291 2.2 text form, without brackets */
};

enum sf_host_kind sf_host_kind(const char *host);

/* RFC 1035 2.3.4 and RFC 1123 2.1: a DNS name is at most 253 octets in
 * labels of 1 to 63 letters, digits and '-' ('_' too, as real names carry
 * it), separated by single dots. */
#define SF_HOST_NAME_MAX  253
#define SF_HOST_LABEL_MAX 63

/* 1 if `host` is an address literal or a DNS name as above: something a
 * certificate can name and SNI can carry (RFC 6066 3). 0 otherwise, and for
 * NULL or empty. */
int sf_host_valid(const char *host);

/* 1 if `a` and `b` name the same host: addresses of one family compared as
 * addresses, DNS names as ASCII without regard to case (RFC 4343), an
 * address never equal to a name; 0 otherwise (and when either is empty). */
int sf_host_equal(const char *a, const char *b);

#endif
