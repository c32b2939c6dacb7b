# peer: GnuTLS (HMAC-SHA256 of the heartbeats, SHA-256 of the files,
# Ed25519/RSA signature of the manifest), libcurl (GnuTLS flavour) to fetch
# files and manifests from peers and the upstream, Jansson for the status.
# No FMA contraction: every peer must compute the same election scores.
peer_CFLAGS := -ffp-contract=off $(call pc_cflags,gnutls libcurl jansson)
peer_LIBS = $(call pc_libs,gnutls,-lgnutls) $(call pc_libs,libcurl,-lcurl) $(call pc_libs,jansson,-ljansson)
# one blocking GET for the pool threads: plugins/common/curl (shared with
# the sccm content cache)
peer_EXTRA_SRC = plugins/common/curl/curl_fetch.c
