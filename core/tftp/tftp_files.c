/* Opening the file a TFTP request names: the core's confined open, which
 * also does the case-insensitive lookup Windows loaders need. */
#include "tftp_server.h"
#include "files.h"

int tftp_file_open(struct pxh_tftp *t, const char *req, const pxh_client *c,
                   struct pxh_open_file *f)
{
	return pxh_file_open(t->srv, t->cfg.root, req, c, t->cfg.file_flags, f);
}
