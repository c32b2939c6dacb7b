# referral: libcurl (Debian's libcurl4-gnutls-dev, the GnuTLS flavour, as the
# core) for upstream boot scripts, web services and health checks.
referral_CFLAGS := $(call pc_cflags,libcurl)
referral_LIBS = $(call pc_libs,libcurl,-lcurl)
# libcurl on the loop: plugins/common/curl (shared with sccm_mp_http).
referral_EXTRA_SRC = plugins/common/curl/curl_loop.c
