/* Stub <stdint.h> for `abigen verify`: libclang parses the generated headers with -nostdinc
 * for foreign targets, so the fixed-width types come from clang's own predefined macros. */
#ifndef FUNDOS_VERIFY_STDINT_H
#define FUNDOS_VERIFY_STDINT_H

typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __INTMAX_TYPE__ intmax_t;
typedef __UINTMAX_TYPE__ uintmax_t;

#define FUNDOS_VERIFY_PASTE_(a, b) a##b
#define FUNDOS_VERIFY_PASTE(a, b) FUNDOS_VERIFY_PASTE_(a, b)

#define INT8_C(c) FUNDOS_VERIFY_PASTE(c, __INT8_C_SUFFIX__)
#define INT16_C(c) FUNDOS_VERIFY_PASTE(c, __INT16_C_SUFFIX__)
#define INT32_C(c) FUNDOS_VERIFY_PASTE(c, __INT32_C_SUFFIX__)
#define INT64_C(c) FUNDOS_VERIFY_PASTE(c, __INT64_C_SUFFIX__)
#define UINT8_C(c) FUNDOS_VERIFY_PASTE(c, __UINT8_C_SUFFIX__)
#define UINT16_C(c) FUNDOS_VERIFY_PASTE(c, __UINT16_C_SUFFIX__)
#define UINT32_C(c) FUNDOS_VERIFY_PASTE(c, __UINT32_C_SUFFIX__)
#define UINT64_C(c) FUNDOS_VERIFY_PASTE(c, __UINT64_C_SUFFIX__)

#define INT8_MAX __INT8_MAX__
#define INT16_MAX __INT16_MAX__
#define INT32_MAX __INT32_MAX__
#define INT64_MAX __INT64_MAX__
#define INT8_MIN (-INT8_MAX - 1)
#define INT16_MIN (-INT16_MAX - 1)
#define INT32_MIN (-INT32_MAX - 1)
#define INT64_MIN (-INT64_MAX - 1)
#define UINT8_MAX __UINT8_MAX__
#define UINT16_MAX __UINT16_MAX__
#define UINT32_MAX __UINT32_MAX__
#define UINT64_MAX __UINT64_MAX__
#define SIZE_MAX __SIZE_MAX__

#endif
