// A minimal test framework for the Fund's tests: TEST(name) registers a case, CHECK records a
// failure and goes on, REQUIRE ends the case. main() comes from FUNDOS_TEST_MAIN. Each program
// prints one line per case and "N passed, N failed" at the end; exit status 0 only if all pass.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace fundos::test {

struct Case {
    const char* name;
    void (*fn)();
};

inline std::vector<Case>& registry() {
    static std::vector<Case> cases;
    return cases;
}

inline int& case_failures() {
    static int failures = 0;
    return failures;
}

struct RequireFailed : std::exception {};

inline bool add(const char* name, void (*fn)()) {
    registry().push_back({name, fn});
    return true;
}

inline void fail(const char* file, int line, const std::string& what) {
    ++case_failures();
    std::fprintf(stderr, "  %s:%d: CHECK failed: %s\n", file, line, what.c_str());
}

template <class T>
auto printable(const T& v) {
    if constexpr (std::is_enum_v<T>) {
        return +static_cast<std::underlying_type_t<T>>(v);
    } else if constexpr (std::is_integral_v<T>) {
        return +v;
    } else {
        return v;
    }
}

template <class A, class B>
std::string describe(const char* expr_a, const char* expr_b, const A& a, const B& b) {
    std::ostringstream out;
    out << expr_a << " == " << expr_b << " (" << printable(a) << " vs " << printable(b) << ")";
    return out.str();
}

inline int run_all(int argc, char** argv) {
    int passed = 0;
    int failed = 0;
    for (const Case& c : registry()) {
        if (argc > 1) {
            bool wanted = false;
            for (int i = 1; i < argc; ++i) {
                wanted = wanted || std::strcmp(argv[i], c.name) == 0;
            }
            if (!wanted) {
                continue;
            }
        }
        case_failures() = 0;
        try {
            c.fn();
        } catch (const RequireFailed&) {
        }
        if (case_failures() == 0) {
            ++passed;
            std::printf("ok    %s\n", c.name);
        } else {
            ++failed;
            std::printf("FAIL  %s\n", c.name);
        }
        std::fflush(stdout);
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

}  // namespace fundos::test

#define TEST(name)                                                          \
    static void name();                                                     \
    static const bool name##_registered = ::fundos::test::add(#name, name); \
    static void name()

#define CHECK(cond)                                            \
    do {                                                       \
        if (!(cond)) {                                         \
            ::fundos::test::fail(__FILE__, __LINE__, #cond);   \
        }                                                      \
    } while (0)

#define CHECK_EQ(a, b)                                                                           \
    do {                                                                                         \
        const auto& check_a_ = (a);                                                              \
        const auto& check_b_ = (b);                                                              \
        if (!(check_a_ == check_b_)) {                                                           \
            ::fundos::test::fail(__FILE__, __LINE__, ::fundos::test::describe(#a, #b, check_a_, check_b_)); \
        }                                                                                        \
    } while (0)

#define REQUIRE(cond)                                          \
    do {                                                       \
        if (!(cond)) {                                         \
            ::fundos::test::fail(__FILE__, __LINE__, #cond);   \
            throw ::fundos::test::RequireFailed{};             \
        }                                                      \
    } while (0)

#define FUNDOS_TEST_MAIN \
    int main(int argc, char** argv) { return ::fundos::test::run_all(argc, argv); }
