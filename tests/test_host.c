/* Host names and address literals (src/host.h). */
#include "check.h"
#include "host.h"

#include <string.h>

int main(void)
{
  CHECK(sf_host_kind(NULL) == SF_HOST_NONE);
  CHECK(sf_host_kind("") == SF_HOST_NONE);
  CHECK(sf_host_kind("mx.example.com") == SF_HOST_DNS);
  CHECK(sf_host_kind("192.0.2.10") == SF_HOST_IPV4);
  CHECK(sf_host_kind("2001:db8::10") == SF_HOST_IPV6);
  CHECK(sf_host_kind("::1") == SF_HOST_IPV6);
  /* Not addresses: short forms inet_aton would take, brackets, a port. */
  CHECK(sf_host_kind("1.2.3") == SF_HOST_DNS);
  CHECK(sf_host_kind("0x7f.1") == SF_HOST_DNS);
  CHECK(sf_host_kind("[2001:db8::10]") == SF_HOST_DNS);
  CHECK(sf_host_kind("192.0.2.10:25") == SF_HOST_DNS);

  CHECK(sf_host_equal("MX.Example.COM", "mx.example.com"));
  CHECK(!sf_host_equal("mx.example.com", "mx.example.com."));
  CHECK(!sf_host_equal("mx.example.com", "other.example.net"));
  CHECK(sf_host_equal("2001:db8::10", "2001:DB8:0:0::10"));
  CHECK(!sf_host_equal("2001:db8::10", "2001:db8::11"));
  CHECK(sf_host_equal("192.0.2.10", "192.0.2.10"));
  CHECK(!sf_host_equal("192.0.2.10", "192.0.2.11"));
  /* An address is never a name, and nothing equals an empty name. */
  CHECK(!sf_host_equal("::ffff:192.0.2.10", "192.0.2.10"));
  CHECK(!sf_host_equal("", ""));
  CHECK(!sf_host_equal(NULL, "mx.example.com"));

  /* What a certificate can name: RFC 1035 2.3.4 lengths, RFC 1123 2.1 characters. */
  char name[300];
  memset(name, 'a', 63);
  strcpy(name + 63, ".example.com");
  CHECK(sf_host_valid(name));
  memset(name, 'a', 64);
  strcpy(name + 64, ".example.com");
  CHECK(!sf_host_valid(name)); /* a 64-octet label */
  for (int i = 0; i < 126; i++)
    memcpy(name + 2 * i, "a.", 2);
  name[252] = 'a';
  name[253] = '\0';
  CHECK(sf_host_valid(name)); /* 253 octets */
  name[253] = 'a';
  name[254] = '\0';
  CHECK(!sf_host_valid(name)); /* 254 */
  CHECK(sf_host_valid("_dmarc.example.com") && sf_host_valid("xn--bcher-kva.example"));
  CHECK(!sf_host_valid("mx..example.com") && !sf_host_valid(".example.com"));
  CHECK(!sf_host_valid("mx.example.com.")); /* no empty label, the root's included */
  CHECK(!sf_host_valid("mx example.com") && !sf_host_valid("[2001:db8::10]"));
  CHECK(!sf_host_valid("192.0.2.10:25") && !sf_host_valid("") && !sf_host_valid(NULL));
  CHECK(sf_host_valid("192.0.2.10") && sf_host_valid("2001:db8::10"));
  return check_report("host");
}
