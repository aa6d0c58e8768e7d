# gcmon_target_warnings(<target>): the project's warning set, PRIVATE to our
# own targets (generated protobuf code is compiled without it). With
# GCMON_WERROR every warning fails the build, as CI requires.
function(gcmon_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wvla
    -Wundef -Wdouble-promotion)
  if(GCMON_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
