# Build-time code generation from proto/gcmon.proto. Nothing generated is
# committed; everything lands under ${CMAKE_BINARY_DIR}/generated/.
#
#   gcmon_generate_nanopb(<out_c_var> <out_h_var>)      device side
#   gcmon_generate_protobuf_c(<out_c_var> <out_h_var>)  host side
#   gcmon_generate_python(<out_py_var>)                 test helpers
#
# The nanopb generator is Debian's nanopb_generator.py; it must run under a
# Python that has google.protobuf (GCMON_PYTHON, /usr/bin/python3 on Debian).
set(GCMON_PROTO_DIR "${PROJECT_SOURCE_DIR}/proto")
set(GCMON_PROTO_FILE "${GCMON_PROTO_DIR}/gcmon.proto")
set(GCMON_GENERATED_DIR "${CMAKE_BINARY_DIR}/generated")

function(gcmon_generate_nanopb out_c out_h)
  find_program(NANOPB_GENERATOR nanopb_generator.py
               HINTS /usr/bin /usr/local/bin REQUIRED)
  set(dir "${GCMON_GENERATED_DIR}/nanopb")
  file(MAKE_DIRECTORY "${dir}")
  add_custom_command(
    OUTPUT "${dir}/gcmon.pb.c" "${dir}/gcmon.pb.h"
    COMMAND "${GCMON_PYTHON}" "${NANOPB_GENERATOR}" -q
            -I "${GCMON_PROTO_DIR}" -D "${dir}" "${GCMON_PROTO_FILE}"
    DEPENDS "${GCMON_PROTO_FILE}" "${GCMON_PROTO_DIR}/gcmon.options"
    COMMENT "nanopb: generating gcmon.pb.c/h"
    VERBATIM)
  set(${out_c} "${dir}/gcmon.pb.c" PARENT_SCOPE)
  set(${out_h} "${dir}/gcmon.pb.h" PARENT_SCOPE)
endfunction()

function(gcmon_generate_protobuf_c out_c out_h)
  find_program(PROTOC_C_EXECUTABLE NAMES protoc-c protoc-gen-c REQUIRED)
  set(dir "${GCMON_GENERATED_DIR}/protobuf-c")
  file(MAKE_DIRECTORY "${dir}")
  add_custom_command(
    OUTPUT "${dir}/gcmon.pb-c.c" "${dir}/gcmon.pb-c.h"
    COMMAND "${PROTOC_C_EXECUTABLE}" "--c_out=${dir}"
            "--proto_path=${GCMON_PROTO_DIR}" "${GCMON_PROTO_FILE}"
    DEPENDS "${GCMON_PROTO_FILE}"
    COMMENT "protobuf-c: generating gcmon.pb-c.c/h"
    VERBATIM)
  set(${out_c} "${dir}/gcmon.pb-c.c" PARENT_SCOPE)
  set(${out_h} "${dir}/gcmon.pb-c.h" PARENT_SCOPE)
endfunction()

function(gcmon_generate_python out_py)
  find_program(PROTOC_EXECUTABLE protoc REQUIRED)
  set(dir "${GCMON_GENERATED_DIR}/python")
  file(MAKE_DIRECTORY "${dir}")
  add_custom_command(
    OUTPUT "${dir}/gcmon_pb2.py"
    COMMAND "${PROTOC_EXECUTABLE}" "--python_out=${dir}"
            "--proto_path=${GCMON_PROTO_DIR}" "${GCMON_PROTO_FILE}"
    DEPENDS "${GCMON_PROTO_FILE}"
    COMMENT "protoc: generating gcmon_pb2.py"
    VERBATIM)
  set(${out_py} "${dir}/gcmon_pb2.py" PARENT_SCOPE)
endfunction()
