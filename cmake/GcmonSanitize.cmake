# GCMON_SANITIZE=address,undefined instruments every target (ours and the
# generated code alike, so no frame crosses an uninstrumented boundary).
# UBSan findings abort instead of printing and continuing, so ctest fails.
if(GCMON_SANITIZE)
  add_compile_options(-fsanitize=${GCMON_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${GCMON_SANITIZE})
endif()
