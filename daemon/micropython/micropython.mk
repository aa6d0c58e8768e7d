# gcmon as a MicroPython user C module, for make-based ports (unix, CanMV
# K230). MicroPython's py/py.mk includes this file for every
# $(USER_C_MODULES)/*/micropython.mk, with USERMOD_DIR set to this folder:
#
#   mkdir usermods && ln -s /path/to/gcmon/daemon/micropython usermods/gcmon
#   make -C ports/unix USER_C_MODULES=$PWD/usermods
#
# The link must not be called "micropython": py.mk puts a module's objects
# in $(BUILD)/<its folder name>/, and $(BUILD)/micropython is the unix
# port's executable. The same folder can hold other modules (CanMV's ulab);
# docs/micropython.md has the recipes.
#
# Knobs (make variables; defaults suit a Debian 12 unix build):
#   GCMON_PYTHON        Python with google.protobuf, runs the nanopb
#                       generator                       (/usr/bin/python3)
#   NANOPB_GENERATOR    nanopb_generator.py             (from PATH)
#   NANOPB_DIR          nanopb source tree (pb.h, pb_common.c, pb_encode.c,
#                       pb_decode.c) compiled into the firmware; empty = the
#                       system's pb.h and libprotobuf-nanopb.a (NANOPB_LIB)
#   GCMON_LIBUV_CFLAGS  libuv compile flags        (pkg-config --cflags libuv)
#   GCMON_LIBUV_LIBS    libuv link flags           (pkg-config --libs libuv);
#                       for K230 the absolute path of a static RT-Smart libuv.a
#   GCMON_PLATFORM      linux, or rtsmart: the poll-only libuv of
#                       scripts/build-libuv-rtsmart.sh (its libuv_rtsmart.a
#                       in GCMON_LIBUV_LIBS), its uv_rtsmart.h layout, the
#                       RT-Smart UART (docs/design.md)               (linux)
#   GCMON_MP_K230       1: sys_* counters from /dev/canmv_misc and
#                       /proc/media-mem (the k230 source)               (0)
#   GCMON_GC_HOOK       1: time every collection where it happens, by
#                       linking with -Wl,--wrap=gc_collect (gc_hook.h); 0
#                       where that cannot work (LTO, a port that calls
#                       gc_collect() from the file defining it): no wrap,
#                       collections only counted                        (1)
#   GCMON_MBEDTLS_LIBS  mbedTLS for challenge-response control, only when
#                       the port does not build its own: with
#                       MICROPY_SSL_MBEDTLS=1 (the unix port's default, and
#                       CanMV K230's k230 port) gcmon uses the firmware's
#                       mbedTLS, whose headers and config extmod.mk already
#                       puts on every object's command line; otherwise
#                       Debian's libmbedcrypto                (-lmbedcrypto)
#
# gcmon.pb.c/.h are generated into $(BUILD)/gcmon-nanopb at build time from
# proto/gcmon.proto; nothing generated is kept in the source tree.

ifeq ($(notdir $(USERMOD_DIR)),micropython)
$(error gcmon: link daemon/micropython into USER_C_MODULES under another name, e.g. gcmon (see micropython.mk))
endif
GCMON_MP_DIR := $(realpath $(USERMOD_DIR))
GCMON_ROOT := $(abspath $(GCMON_MP_DIR)/../..)
GCMON_GEN := $(abspath $(BUILD))/gcmon-nanopb

GCMON_PYTHON ?= /usr/bin/python3
NANOPB_GENERATOR ?= $(shell command -v nanopb_generator.py || command -v nanopb_generator)
NANOPB_DIR ?=
NANOPB_LIB ?= $(firstword $(wildcard /usr/lib/*/libprotobuf-nanopb.a /usr/lib/libprotobuf-nanopb.a /usr/local/lib/libprotobuf-nanopb.a))
GCMON_PKG_CONFIG ?= pkg-config
GCMON_LIBUV_CFLAGS ?= $(shell $(GCMON_PKG_CONFIG) --cflags libuv)
GCMON_LIBUV_LIBS ?= $(shell $(GCMON_PKG_CONFIG) --libs libuv)
GCMON_MP_K230 ?= 0
GCMON_PLATFORM ?= linux
GCMON_GC_HOOK ?= 1

# The one file with QSTRs (scanned and compiled).
SRC_USERMOD_C += $(USERMOD_DIR)/modgcmon.c

# Compiled only: the module's other files and the gcmon core it shares with
# gcmond (agent, transports, sources, protocol core), plus generated code.
GCMON_SRC := \
	$(addprefix $(GCMON_MP_DIR)/, vm_micropython.c mailbox.c \
		source_micropython.c runner.c lifecycle.c console.c \
		console_micropython.c gc_hook_micropython.c) \
	$(wildcard $(GCMON_ROOT)/daemon/agent/*.c) \
	$(wildcard $(GCMON_ROOT)/daemon/transport/*.c) \
	$(wildcard $(GCMON_ROOT)/daemon/sources/*.c) \
	$(addprefix $(GCMON_ROOT)/proto/, gcmon_frame.c gcmon_crc32.c \
		gcmon_error.c gcmon_compact.c gcmon_insight_names.c \
		gcmon_pb_limits.c gcmon_mac.c) \
	$(GCMON_GEN)/gcmon.pb.c
ifeq ($(GCMON_GC_HOOK),1)
GCMON_SRC += $(GCMON_MP_DIR)/gc_hook.c
LDFLAGS_USERMOD += -Wl,--wrap=gc_collect
endif
ifneq ($(NANOPB_DIR),)
GCMON_SRC += $(addprefix $(abspath $(NANOPB_DIR))/, pb_common.c pb_encode.c \
	pb_decode.c)
endif
SRC_USERMOD_LIB_C += $(GCMON_SRC)

CFLAGS_USERMOD += \
	-I$(GCMON_ROOT)/include -I$(GCMON_ROOT)/proto \
	-I$(GCMON_ROOT)/daemon/agent -I$(GCMON_ROOT)/daemon/sources \
	-I$(GCMON_ROOT)/daemon/transport -I$(GCMON_MP_DIR) -I$(GCMON_GEN) \
	$(GCMON_LIBUV_CFLAGS) \
	-DGCMON_MP_K230=$(GCMON_MP_K230) -DGCMON_GC_HOOK=$(GCMON_GC_HOOK)
ifeq ($(GCMON_PLATFORM),rtsmart)
CFLAGS_USERMOD += -DGCMON_PLATFORM_RTSMART=1 \
	-include $(GCMON_ROOT)/daemon/rtsmart/uv_rtsmart.h
endif
ifneq ($(NANOPB_DIR),)
CFLAGS_USERMOD += -I$(abspath $(NANOPB_DIR))
else
LDFLAGS_USERMOD += $(NANOPB_LIB)
endif
LDFLAGS_USERMOD += $(GCMON_LIBUV_LIBS) -lpthread
ifneq ($(MICROPY_SSL_MBEDTLS),1)
GCMON_MBEDTLS_LIBS ?= -lmbedcrypto
LDFLAGS_USERMOD += $(GCMON_MBEDTLS_LIBS)
endif

# Generate the nanopb code before anything that includes gcmon.pb.h is
# compiled (the object names are the ones py/py.mk derives).
$(GCMON_GEN)/gcmon.pb.c: $(GCMON_ROOT)/proto/gcmon.proto \
		$(GCMON_ROOT)/proto/gcmon.options
	$(ECHO) "GEN $@"
	$(Q)mkdir -p $(GCMON_GEN)
	$(Q)$(GCMON_PYTHON) $(NANOPB_GENERATOR) -q -I $(GCMON_ROOT)/proto \
		-D $(GCMON_GEN) $(GCMON_ROOT)/proto/gcmon.proto
$(GCMON_GEN)/gcmon.pb.h: $(GCMON_GEN)/gcmon.pb.c

GCMON_OBJ := $(addprefix $(BUILD)/, \
	$(patsubst %.c,%.o,$(patsubst $(USER_C_MODULES)/%.c,%.c,$(GCMON_SRC))))
$(GCMON_OBJ): | $(GCMON_GEN)/gcmon.pb.h
