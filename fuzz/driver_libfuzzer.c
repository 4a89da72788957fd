/* libFuzzer shim: the engine's entry points mapped onto the target contract
 * in target.h. Linked with -fsanitize=fuzzer, which provides main(). */
#include "target.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  return sf_fuzz_init(argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  return sf_fuzz_one(data, size);
}
