#include "check.h"
#include "errors.h"

#include <string.h>

int main(void)
{
  CHECK(strcmp(sf_err_name(SF_ERR_OK), "OK") == 0);
  CHECK(strcmp(sf_err_name(SF_ERR_REPLY_BARE_LF), "REPLY_BARE_LF") == 0);
  CHECK(strcmp(sf_err_name(SF_ERR_COUNT), "?") == 0);
  /* Every error has a distinct name and a non-empty description. */
  for (int i = 0; i < SF_ERR_COUNT; i++) {
    CHECK(sf_err_desc((enum sf_err)i)[0] != '\0');
    for (int j = 0; j < i; j++)
      CHECKF(strcmp(sf_err_name((enum sf_err)i), sf_err_name((enum sf_err)j)) != 0, "%s twice",
             sf_err_name((enum sf_err)i));
  }
  return check_report("errors");
}
