#include "errors.h"

#include <stddef.h>

static const char *const names[SF_ERR_COUNT] = {
#define SF_ERR_NAME(name, desc) #name,
    SF_ERROR_LIST(SF_ERR_NAME)
#undef SF_ERR_NAME
};

static const char *const descs[SF_ERR_COUNT] = {
#define SF_ERR_DESC(name, desc) desc,
    SF_ERROR_LIST(SF_ERR_DESC)
#undef SF_ERR_DESC
};

const char *sf_err_name(enum sf_err err)
{
  if ((unsigned)err >= SF_ERR_COUNT)
    return "?";
  return names[err];
}

const char *sf_err_desc(enum sf_err err)
{
  if ((unsigned)err >= SF_ERR_COUNT)
    return "unknown error";
  return descs[err];
}
