/* Counters and gauges (core/counters.c): /metrics and /api/v1/status. */
#ifndef PXEHUB_COUNTERS_H
#define PXEHUB_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

struct pxh_server;
struct json_t;

/* Register (or find) a counter by full Prometheus name with labels, e.g.
 * "pxehub_dhcp_dropped_total{reason=\"malformed\"}".  The pointer stays
 * valid for the server's life; increment it on the hot path. */
uint64_t *pxh_counter(struct pxh_server *s, const char *name, const char *help);
/* Gauges are computed when read. */
typedef double (*pxh_gauge_fn)(struct pxh_server *s, void *ud);
void pxh_gauge(struct pxh_server *s, const char *name, const char *help,
               pxh_gauge_fn fn, void *ud);
/* Prometheus text exposition (malloc'd, NUL terminated). */
char *pxh_metrics_text(struct pxh_server *s, size_t *len);
void pxh_counters_free(struct pxh_server *s);
/* {"plugin": {"figure": value}} from the report hooks (new reference). */
struct json_t *pxh_plugin_reports(struct pxh_server *s);
/* {"counter{labels}": value} (new reference). */
struct json_t *pxh_counters_json(struct pxh_server *s);
/* Each counter (not gauges) with its value. */
void pxh_counters_each(struct pxh_server *s,
                       void (*fn)(void *ud, const char *name, uint64_t v),
                       void *ud);

#endif /* PXEHUB_COUNTERS_H */
