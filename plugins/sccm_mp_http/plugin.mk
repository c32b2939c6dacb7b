# sccm_mp_http: libcurl (GnuTLS flavour, as the core) for the management
# points and the DP content, libxml2 for the reply XML, zlib for message
# payloads, GnuTLS for the content's SHA-256 and the request signatures,
# Jansson for the validation kit's record (mp_trace.c).  The Configuration Manager
# code shared with sccm_sql lives in plugins/common/sccm/.
sccm_mp_http_CFLAGS := $(call pc_cflags,libcurl libxml-2.0 zlib gnutls jansson)
sccm_mp_http_LIBS = $(call pc_libs,libcurl,-lcurl) $(call pc_libs,libxml-2.0,-lxml2) \
	$(call pc_libs,zlib,-lz) $(call pc_libs,gnutls,-lgnutls) $(call pc_libs,jansson,-ljansson)
sccm_mp_http_EXTRA_SRC = plugins/common/sccm/sccm_ids.c plugins/common/sccm/sccm_content.c \
	plugins/common/sccm/sccm_front.c plugins/common/sccm/sccm_menu.c plugins/common/sccm/sccm_guard.c \
	plugins/common/sccm/sccm_kit.c plugins/common/sccm/sccm_media.c \
	plugins/common/curl/curl_loop.c plugins/common/curl/curl_fetch.c
# The unit test and the fuzz target compile the message and XML code in:
# they need libxml2 and zlib too, the unit test GnuTLS for the signing code
# (target-specific, not passed on).
$(B)/tests/unit/test_sccm_mp_http: private DEP_CFLAGS += $(call pc_cflags,libxml-2.0)
$(B)/tests/unit/test_sccm_mp_http: private DEP_LIBS += $(call pc_libs,libxml-2.0,-lxml2) $(call pc_libs,zlib,-lz) \
	$(call pc_libs,gnutls,-lgnutls)
$(B)/fuzz/fuzz_sccm_mp_reply: private DEP_CFLAGS += $(call pc_cflags,libxml-2.0)
$(B)/fuzz/fuzz_sccm_mp_reply: private DEP_LIBS += $(call pc_libs,libxml-2.0,-lxml2) $(call pc_libs,zlib,-lz)
$(B)/fuzz/fuzz_mp_sign: private DEP_CFLAGS += $(call pc_cflags,libxml-2.0 gnutls)
$(B)/fuzz/fuzz_mp_sign: private DEP_LIBS += $(call pc_libs,libxml-2.0,-lxml2) $(call pc_libs,zlib,-lz) \
	$(call pc_libs,gnutls,-lgnutls)
