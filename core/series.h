/* The last hour of counters (core/series.c). */
#ifndef PXEHUB_SERIES_H
#define PXEHUB_SERIES_H

struct pxh_server;

int pxh_series_start(struct pxh_server *s);
void pxh_series_stop(struct pxh_server *s);
/* [log] series_interval again (a reload). */
void pxh_series_reload(struct pxh_server *s);
/* Sample now (tests; the timer does it every [log] series_interval). */
void pxh_series_sample(struct pxh_server *s);
/* JSON text: {"interval":..,"times":[..],"series":{"name":[..]}}. */
char *pxh_series_json(struct pxh_server *s);

#endif /* PXEHUB_SERIES_H */
