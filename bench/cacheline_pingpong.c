/* The physical floor of bench/bench_transport.py: a bare cache-line ping-pong between two
 * processes through shared memory, no protocol at all.
 *
 *   cacheline_pingpong --count N --warmup N --out FILE [--cpus A,B]
 *
 * A MAP_SHARED anonymous mapping holds two 8-byte words 128 bytes apart (own cache-line pairs).
 * The parent stores n into `ping` (release) and spins until `pong` == n; the forked child spins
 * until `ping` == n and stores n into `pong`. The time between two consecutive pong sightings
 * in the parent is one round trip: two cache-line transfers each way's worth of coherence
 * traffic and nothing else. --count intervals (ns, little-endian u64) go to --out. With --cpus
 * the parent runs on CPU A and the child on CPU B. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu) {
    if (cpu < 0) {
        return;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

int main(int argc, char **argv) {
    size_t count = 1000000, warmup = 100000;
    const char *out = NULL;
    int cpu_a = -1, cpu_b = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--count") == 0) {
            count = strtoull(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--warmup") == 0) {
            warmup = strtoull(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--out") == 0) {
            out = argv[i + 1];
        } else if (strcmp(argv[i], "--cpus") == 0) {
            if (sscanf(argv[i + 1], "%d,%d", &cpu_a, &cpu_b) != 2) {
                cpu_a = cpu_b = -1;
            }
        }
    }
    if (out == NULL || count == 0) {
        fprintf(stderr, "usage: cacheline_pingpong --count N --warmup N --out FILE [--cpus A,B]\n");
        return 2;
    }
    uint64_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    uint64_t *ping = &shared[0];
    uint64_t *pong = &shared[16]; /* 128 bytes further */
    const uint64_t total = warmup + count;
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    if (child == 0) {
        pin(cpu_b);
        for (uint64_t n = 1; n <= total; n++) {
            while (__atomic_load_n(ping, __ATOMIC_ACQUIRE) != n) {
                relax();
            }
            __atomic_store_n(pong, n, __ATOMIC_RELEASE);
        }
        _exit(0);
    }
    pin(cpu_a);
    uint64_t *values = calloc(count, sizeof(uint64_t));
    if (values == NULL) {
        return 1;
    }
    uint64_t prev = now_ns();
    for (uint64_t n = 1; n <= total; n++) {
        __atomic_store_n(ping, n, __ATOMIC_RELEASE);
        while (__atomic_load_n(pong, __ATOMIC_ACQUIRE) != n) {
            relax();
        }
        uint64_t t = now_ns();
        if (n > warmup) {
            values[n - warmup - 1] = t - prev;
        }
        prev = t;
    }
    int status = 0;
    waitpid(child, &status, 0);
    FILE *f = fopen(out, "wb");
    if (f == NULL || fwrite(values, sizeof(*values), count, f) != count || fclose(f) != 0) {
        perror(out);
        return 1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
