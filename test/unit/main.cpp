// The one translation unit that provides doctest's main(); every other file in
// test/unit/ only registers test cases.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
