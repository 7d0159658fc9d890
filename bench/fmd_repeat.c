/* fmd_repeat: write an .fmd file that holds the records of another one N times, each copy shifted
 * in time by a whole number of weeks (the smallest that puts it after the previous copy), so the
 * result is a longer, still sorted replay over the same weekdays and session hours. For the data
 * length axis of bench/bench_fund.py; the format is fund/include/fundos/marketdata/fmd_format.hpp.
 *
 * Copy k (0-based) has time + k * shift and seq + k * record_count; the header's record count,
 * first and last time, per-kind counts and checksum are those of the result. Streams the input
 * (no whole-file buffer), writes OUT.tmp and renames it onto OUT.
 *
 *   fmd_repeat IN OUT N
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_SIZE 128
#define RECORD_SIZE 64
#define WEEK_NS (UINT64_C(7) * 86400 * 1000000000)
#define CHUNK 8192 /* records per read */

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static uint64_t checksum(uint64_t h, const unsigned char *bytes, size_t size) {
    for (size_t i = 0; i + 8 <= size; i += 8) {
        h = (h ^ get_u64(bytes + i)) * UINT64_C(0x100000001b3);
        h ^= h >> 29;
    }
    return h;
}

static int fail(const char *what, const char *path) {
    fprintf(stderr, "fmd_repeat: %s: %s\n", path, what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: fmd_repeat IN OUT N\n");
        return 2;
    }
    const char *in_path = argv[1], *out_path = argv[2];
    const uint64_t copies = strtoull(argv[3], NULL, 10);
    if (copies < 1 || copies > 1000) {
        fprintf(stderr, "fmd_repeat: N must be 1..1000\n");
        return 2;
    }
    FILE *in = fopen(in_path, "rb");
    if (in == NULL) {
        return fail("cannot open", in_path);
    }
    unsigned char header[HEADER_SIZE];
    if (fread(header, 1, HEADER_SIZE, in) != HEADER_SIZE || memcmp(header, "FUNDOSMD", 8) != 0) {
        return fail("not an .fmd file", in_path);
    }
    const uint64_t records_offset = get_u64(header + 40), count = get_u64(header + 48);
    const uint64_t first = get_u64(header + 56), last = get_u64(header + 64);
    if (count == 0 || count * copies > UINT32_MAX) {
        return fail("empty, or too many records to renumber", in_path);
    }
    const uint64_t shift = ((last - first) / WEEK_NS + 1) * WEEK_NS;
    unsigned char *prefix = malloc(records_offset);
    unsigned char *chunk = malloc((size_t)CHUNK * RECORD_SIZE);
    if (prefix == NULL || chunk == NULL) {
        return fail("out of memory", in_path);
    }
    if (fseek(in, 0, SEEK_SET) != 0 || fread(prefix, 1, records_offset, in) != records_offset) {
        return fail("short read", in_path);
    }
    char tmp_path[4096];
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", out_path);
    FILE *out = fopen(tmp_path, "wb");
    if (out == NULL) {
        return fail("cannot create", tmp_path);
    }
    if (fwrite(prefix, 1, records_offset, out) != records_offset) {
        return fail("write failed", tmp_path);
    }
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint64_t k = 0; k < copies; k++) {
        if (fseek(in, (long)records_offset, SEEK_SET) != 0) {
            return fail("seek failed", in_path);
        }
        uint64_t done = 0;
        while (done < count) {
            const size_t want = (size_t)(count - done < CHUNK ? count - done : CHUNK);
            if (fread(chunk, RECORD_SIZE, want, in) != want) {
                return fail("short read", in_path);
            }
            for (size_t r = 0; r < want; r++) {
                unsigned char *rec = chunk + r * RECORD_SIZE;
                put_u64(rec, get_u64(rec) + k * shift);
                uint32_t seq;
                memcpy(&seq, rec + 8, 4);
                seq += (uint32_t)(k * count);
                memcpy(rec + 8, &seq, 4);
            }
            h = checksum(h, chunk, want * RECORD_SIZE);
            if (fwrite(chunk, RECORD_SIZE, want, out) != want) {
                return fail("write failed", tmp_path);
            }
            done += want;
        }
    }
    put_u64(prefix + 48, count * copies);
    put_u64(prefix + 64, last + (copies - 1) * shift);
    put_u64(prefix + 72, h);
    for (int kind = 0; kind < 3; kind++) {
        put_u64(prefix + 80 + 8 * kind, get_u64(prefix + 80 + 8 * kind) * copies);
    }
    if (fseek(out, 0, SEEK_SET) != 0 || fwrite(prefix, 1, HEADER_SIZE, out) != HEADER_SIZE || fclose(out) != 0) {
        return fail("write failed", tmp_path);
    }
    fclose(in);
    if (rename(tmp_path, out_path) != 0) {
        return fail("cannot rename onto it", out_path);
    }
    printf("%s: %" PRIu64 " records (%" PRIu64 " copies, shifted by %" PRIu64 " days each)\n", out_path, count * copies,
           (uint64_t)copies, shift / (UINT64_C(86400) * 1000000000));
    free(prefix);
    free(chunk);
    return 0;
}
