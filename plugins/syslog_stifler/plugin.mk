syslog_stifler_LIBS = $(call pc_libs,gnutls,-lgnutls)
