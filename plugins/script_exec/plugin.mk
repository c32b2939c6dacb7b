# script_exec: Jansson parses the scripts' JSON answers and writes their facts.
script_exec_CFLAGS := $(call pc_cflags,jansson)
script_exec_LIBS := $(call pc_libs,jansson,-ljansson)
