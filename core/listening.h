/* Sockets this process listens on (core/listening.c). */
#ifndef PXEHUB_LISTENING_H
#define PXEHUB_LISTENING_H

struct json_t;

/* Sockets this process listens on or is bound to, from /proc:
 * [{"proto":"tcp","address":"0.0.0.0","port":80}, ...] (core/listening.c). */
struct json_t *pxh_listening_json(void);

#endif /* PXEHUB_LISTENING_H */
