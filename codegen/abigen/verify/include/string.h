/* Stub <string.h> for `abigen verify`: the functions the generated wire header calls (see stdint.h). */
#ifndef FUNDOS_VERIFY_STRING_H
#define FUNDOS_VERIFY_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif
void *memcpy(void *destination, const void *source, size_t size);
void *memset(void *destination, int value, size_t size);
int memcmp(const void *a, const void *b, size_t size);
#ifdef __cplusplus
}
#endif

#endif
