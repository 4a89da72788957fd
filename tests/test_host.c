/* Host names and address literals (src/host.h). */
#include "check.h"
#include "host.h"

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
  return check_report("host");
}
