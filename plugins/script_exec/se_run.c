/* script_exec: one run of an admin's executable, without blocking the
 * loop: posix_spawn in its own process group, facts written to a
 * non-blocking stdin socket, stdout collected up to a cap, stderr logged
 * line by line, a deadline that kills the group, the child reaped. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "script_exec.h"

#define SE_ERRLINE 512 /* longer stderr lines are logged in pieces */

enum { IN, OUT, ERR };

struct se_run {
	struct se *se;
	struct se_entry *e; /* NULL once the result was handed over */
	enum se_hook hook;
	pid_t pid;
	int fd[3]; /* our ends of stdin, stdout, stderr; -1 when closed */
	pxh_io *io[3];
	struct se_facts facts;
	size_t in_off;
	char *out;
	size_t out_len, out_cap;
	char err[SE_ERRLINE];
	size_t err_len;
	unsigned err_lines;
	pxh_timer *timer;
	bool exited;
	int status;
	bool done; /* result handed over */
	pxh_client client;
};

static void run_close(struct se_run *r, int i)
{
	pxh_io_stop(r->io[i]);
	r->io[i] = NULL;
	if (r->fd[i] >= 0)
		close(r->fd[i]);
	r->fd[i] = -1;
}

static void run_release(struct se_run *r)
{
	struct se *se = r->se;

	for (int i = 0; i < 3; i++)
		run_close(r, i);
	pxh_timer_stop(r->timer);
	se_facts_free(&r->facts);
	free(r->out);
	free(r);
	se->n_running--;
	se_slot_free(se);
}

/* The whole group: the script and whatever it started that did not leave
 * the group (setsid children do; they lose their stdout when we close it). */
static void run_kill(struct se_run *r)
{
	if (kill(-r->pid, SIGKILL) && errno == ESRCH && !r->exited)
		kill(r->pid, SIGKILL);
}

static void err_line(struct se_run *r)
{
	struct se *se = r->se;

	if (!r->err_len)
		return;
	r->err[r->err_len] = 0;
	se->c_stderr_lines++;
	r->err_lines++;
	if (r->err_lines <= se->conf.stderr_lines)
		pxh_log(se->h, PXH_LOG_INFO, &r->client, "%s: stderr: %s",
		        se_hook_name(r->hook), r->err);
	else if (r->err_lines == se->conf.stderr_lines + 1)
		pxh_log(se->h, PXH_LOG_INFO, &r->client,
		        "%s: stderr: more than %u lines, the rest is not logged",
		        se_hook_name(r->hook), se->conf.stderr_lines);
	r->err_len = 0;
}

/* Hand the result to the entry; the run stays until the child is reaped. */
static void run_done(struct se_run *r, enum se_outcome o, const char *why)
{
	struct se *se = r->se;
	struct se_entry *e = r->e;
	char *out = r->out;
	size_t len = r->out_len;

	if (r->done)
		return;
	r->done = true;
	err_line(r);
	for (int i = 0; i < 3; i++)
		run_close(r, i);
	pxh_timer_stop(r->timer);
	r->timer = NULL;
	r->out = NULL;
	r->e = NULL;
	e->run = NULL;
	if (o != SE_OK) {
		free(out);
		out = NULL;
		len = 0;
	}
	if (r->exited)
		run_release(r); /* after this, R is gone */
	se_entry_finish(se, e, o, out, len, why);
}

/* Both stdout closed and the child reaped: judge by the exit status. */
static void run_check(struct se_run *r, const char *note)
{
	char why[160];

	if (r->done || !r->exited || (r->fd[OUT] >= 0 && !note))
		return;
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0) {
		run_done(r, SE_OK, note ? note : "");
		return;
	}
	if (WIFEXITED(r->status))
		snprintf(why, sizeof(why), "%s exited with status %d",
		         se_hook_name(r->hook), WEXITSTATUS(r->status));
	else
		snprintf(why, sizeof(why), "%s was killed by signal %d (%s)",
		         se_hook_name(r->hook), WTERMSIG(r->status),
		         strsignal(WTERMSIG(r->status)));
	run_done(r, SE_FAILED, why);
}

static void in_cb(void *ud, int fd, int revents)
{
	struct se_run *r = ud;

	while (r->in_off < r->facts.json_len) {
		ssize_t n = send(fd, r->facts.json + r->in_off,
		                 r->facts.json_len - r->in_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			r->in_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!r->io[IN])
				r->io[IN] = pxh_io_watch(r->se->h, fd, PXH_IO_WRITE,
				                         in_cb, r);
			if (r->io[IN])
				return;
		}
		break; /* EPIPE: the script does not read its stdin; fine */
	}
	run_close(r, IN); /* EOF for the script's reader */
}

static void out_cb(void *ud, int fd, int revents)
{
	struct se_run *r = ud;
	size_t cap = r->se->conf.max_output;
	char why[160];

	for (int rounds = 0; rounds < 64; rounds++) {
		ssize_t n;

		if (r->out_cap - r->out_len < 4096) {
			size_t nc = r->out_cap ? r->out_cap * 2 : 8192;
			char *t;

			if (nc > cap + 4096 + 1)
				nc = cap + 4096 + 1;
			t = realloc(r->out, nc);
			if (!t) {
				run_kill(r);
				run_done(r, SE_FAILED, "out of memory");
				return;
			}
			r->out = t;
			r->out_cap = nc;
		}
		n = read(fd, r->out + r->out_len, r->out_cap - r->out_len - 1);
		if (n > 0) {
			r->out_len += (size_t)n;
			r->out[r->out_len] = 0;
			if (r->out_len > cap) {
				r->se->c_oversize++;
				snprintf(why, sizeof(why), "%s wrote more than %zu bytes "
				         "(max_output): killed", se_hook_name(r->hook), cap);
				run_kill(r);
				run_done(r, SE_FAILED, why);
				return;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		run_close(r, OUT); /* EOF (or an error: same thing here) */
		run_check(r, NULL);
		return;
	}
}

static void err_cb(void *ud, int fd, int revents)
{
	struct se_run *r = ud;
	char buf[4096];

	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			err_line(r);
			run_close(r, ERR);
			return;
		}
		for (ssize_t i = 0; i < n; i++) {
			char ch = buf[i];

			if (ch == '\n') {
				err_line(r);
				continue;
			}
			if (r->err_len + 1 >= sizeof(r->err))
				err_line(r);
			r->err[r->err_len++] = (unsigned char)ch >= 0x20 &&
			                       (unsigned char)ch < 0x7f ? ch : '?';
		}
	}
}

static void child_cb(void *ud, pid_t pid, int status)
{
	struct se_run *r = ud;

	r->exited = true;
	r->status = status;
	if (r->done) {
		run_release(r);
		return;
	}
	run_check(r, NULL);
}

static void timeout_cb(void *ud)
{
	struct se_run *r = ud;
	char why[200];

	pxh_timer_stop(r->timer);
	r->timer = NULL;
	if (r->exited) {
		/* The script is gone but something it started still holds its
		 * stdout: what it wrote is its answer. */
		pxh_log(r->se->h, PXH_LOG_WARNING, &r->client,
		        "%s: exited, but its stdout was still open at the deadline "
		        "(a background process holds it): answer taken as written",
		        se_hook_name(r->hook));
		run_kill(r);
		run_check(r, "stdout held open by a background process");
		return;
	}
	r->se->c_timeouts++;
	snprintf(why, sizeof(why), "%s did not finish within %.0f ms: killed",
	         se_hook_name(r->hook), r->se->conf.timeout * 1000);
	run_kill(r);
	run_done(r, SE_TIMEOUT, why);
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

static int spawn(struct se_run *r, const char *path, int child[3])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	char *argv[] = {(char *)path, NULL};
	const char *dir = pxh_host_state_dir(r->se->h);
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)))
		return -rc;
	if ((rc = posix_spawnattr_init(&at))) {
		posix_spawn_file_actions_destroy(&fa);
		return -rc;
	}
	sigemptyset(&none);
	sigfillset(&all);
	for (int i = 0; !rc && i < 3; i++)
		rc = posix_spawn_file_actions_adddup2(&fa, child[i], i);
	/* nothing of the daemon's leaks into the script, whatever its flags */
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!rc && dir && *dir)
		rc = posix_spawn_file_actions_addchdir_np(&fa, dir);
	if (!rc)
		rc = posix_spawnattr_setpgroup(&at, 0);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&at, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&at, &all);
	if (!rc)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
		                                       POSIX_SPAWN_SETSIGMASK |
		                                       POSIX_SPAWN_SETSIGDEF);
	if (!rc)
		rc = posix_spawn(&r->pid, path, &fa, &at, argv, r->facts.envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return -rc;
}

int se_run_start(struct se *se, struct se_entry *e)
{
	struct se_run *r = calloc(1, sizeof(*r));
	int sv[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1};
	int rc = 0;

	if (!r)
		return -ENOMEM;
	r->se = se;
	r->e = e;
	r->hook = e->hook;
	r->client = e->client;
	r->fd[IN] = r->fd[OUT] = r->fd[ERR] = -1;
	r->facts = e->facts;
	memset(&e->facts, 0, sizeof(e->facts));
	/* stdin is a socket so a script that never reads it costs us an
	 * EPIPE from send(MSG_NOSIGNAL), never a SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		rc = -errno;
		goto fail;
	}
	r->fd[IN] = sv[0];
	r->fd[OUT] = po[0];
	r->fd[ERR] = pe[0];
	for (int i = 0; i < 3; i++)
		if ((rc = nonblock(r->fd[i])))
			goto fail;
	rc = spawn(r, se->conf.path[e->hook], (int[3]){sv[1], po[1], pe[1]});
	close(sv[1]);
	close(po[1]);
	close(pe[1]);
	sv[1] = po[1] = pe[1] = -1;
	if (rc)
		goto fail;
	rc = pxh_child_watch(se->h, r->pid, child_cb, r);
	if (rc) {
		/* cannot be reaped by the loop: do it here, it is killed */
		kill(-r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		goto fail;
	}
	se->n_running++;
	se->c_spawned++;
	if (se->n_running > se->max_running_seen)
		se->max_running_seen = se->n_running;
	e->run = r;
	r->timer = pxh_timer_start(se->h, se->conf.timeout, 0, timeout_cb, r);
	r->io[OUT] = pxh_io_watch(se->h, r->fd[OUT], PXH_IO_READ, out_cb, r);
	r->io[ERR] = pxh_io_watch(se->h, r->fd[ERR], PXH_IO_READ, err_cb, r);
	if (!r->timer || !r->io[OUT] || !r->io[ERR]) {
		run_kill(r);
		run_done(r, SE_FAILED, "out of memory");
		return 0;
	}
	pxh_log(se->h, PXH_LOG_DEBUG, &r->client, "%s: started pid=%d",
	        se_hook_name(r->hook), (int)r->pid);
	in_cb(r, r->fd[IN], PXH_IO_WRITE);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	e->facts = r->facts;
	free(r);
	return rc;
}

/* Plugin going away: nothing should run by now; kill what does. */
void se_run_abort(struct se_run *r)
{
	if (r && !r->done)
		run_kill(r);
}
