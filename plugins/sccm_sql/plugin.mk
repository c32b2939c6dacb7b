# sccm_sql: FreeTDS db-lib (Debian's freetds-dev is built with MSDBLIB; we
# define it too so dbopen() takes the Microsoft semantics), libcurl (GnuTLS
# flavour) for boot image content, GnuTLS for SHA-256, Jansson for the
# validation kit's report (ss_check.c).
sccm_sql_CFLAGS := -DMSDBLIB $(call pc_cflags,libcurl gnutls jansson)
sccm_sql_LIBS = -lsybdb $(call pc_libs,libcurl,-lcurl) $(call pc_libs,gnutls,-lgnutls) \
	$(call pc_libs,jansson,-ljansson) -lpthread
# The client-facing part, menu and content cache are shared with sccm_mp_http.
sccm_sql_EXTRA_SRC = plugins/common/sccm/sccm_ids.c plugins/common/sccm/sccm_content.c \
	plugins/common/sccm/sccm_front.c plugins/common/sccm/sccm_menu.c plugins/common/sccm/sccm_guard.c \
	plugins/common/sccm/sccm_kit.c plugins/common/sccm/sccm_media.c \
	plugins/common/curl/curl_fetch.c
