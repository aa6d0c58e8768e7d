# GCMON_SANITIZE=address,undefined instruments every target (ours and the
# generated code alike, so no frame crosses an uninstrumented boundary).
# UBSan findings abort instead of printing and continuing, so ctest fails.
if(GCMON_SANITIZE)
  add_compile_options(-fsanitize=${GCMON_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${GCMON_SANITIZE})
endif()

# GCMON_FUZZ=ON: coverage instrumentation for libFuzzer on every target, so
# the fuzzers see edges in the code they drive, not only in their own file.
# The fuzz targets themselves link -fsanitize=fuzzer (tests/fuzz). clang only.
if(GCMON_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "GCMON_FUZZ needs clang (CC=clang; Debian packages "
                        "clang and libclang-rt-14-dev)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
