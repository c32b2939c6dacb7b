/* sccm_mp_http: the pluggable signing step.  The admin's program (argv
 * from sign_command, no shell) gets the UTF-16LE payload on stdin and
 * prints the signature text on stdout; it runs on a pool thread, bounded
 * by sign_timeout. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "sccm_mp_http.h"

extern char **environ;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Feed DATA to IN and collect OUT until EOF or the deadline. */
static int exchange(int *inp, int out, const uint8_t *data, size_t len, char *sig,
                    size_t sig_len, double end, char *why, size_t why_len)
{
	size_t off = 0, got = 0;
	int in = *inp, rc = 0;

	for (;;) {
		struct pollfd fds[2] = {{.fd = out, .events = POLLIN}, {.fd = in, .events = POLLOUT}};
		int wait_ms = (int)((end - mono()) * 1000), n;

		if (wait_ms <= 0) {
			snprintf(why, why_len, "signer did not finish in time");
			rc = -ETIMEDOUT;
			break;
		}
		n = poll(fds, in >= 0 ? 2 : 1, wait_ms);
		if (n < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (n <= 0)
			continue;
		if (in >= 0 && fds[1].revents) {
			ssize_t w = write(in, data + off, len - off);
			if (w > 0)
				off += (size_t)w;
			if (w < 0 || off == len) {
				close(in);
				in = -1;
			}
		}
		if (fds[0].revents) {
			ssize_t r = read(out, sig + got, sig_len - 1 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			if (got + 1 >= sig_len) {
				snprintf(why, why_len, "signature longer than %zu bytes", sig_len - 1);
				rc = -E2BIG;
				break;
			}
		}
	}
	if (in >= 0)
		close(in);
	*inp = -1;
	sig[got] = '\0';
	if (rc)
		return rc;
	while (got && (sig[got - 1] == '\n' || sig[got - 1] == '\r' || sig[got - 1] == ' '))
		sig[--got] = '\0';
	return 0;
}

int mp_sign_exec(char *const argv[], int timeout_ms, const uint8_t *data, size_t len,
                 char *sig, size_t sig_len, char *why, size_t why_len)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, rc, status = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	double end = mono() + timeout_ms / 1000.0;

	sig[0] = '\0';
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		rc = -errno;
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	if (rc) {
		snprintf(why, why_len, "%.200s: %s", argv[0], strerror(rc));
		rc = -rc;
		goto out;
	}
	/* stdin must not raise SIGPIPE in the daemon when the signer quits early */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	rc = exchange(&in[1], out[0], data, len, sig, sig_len, end, why, why_len);
	/* Its end, within the same deadline: a signer that closed stdout and
	 * hangs must not hold this worker (and shutdown) forever.  The core
	 * may reap children for its own watchers: ECHILD is no error.  A pid
	 * waitpid says is still running is ours, safe to kill. */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (w == 0 && (rc || mono() >= end)) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (!rc) {
				snprintf(why, why_len, "signer did not exit in time");
				rc = -ETIMEDOUT;
			}
			break;
		}
		if (w == 0)
			usleep(5000);
	}
	if (!rc && WIFEXITED(status) && WEXITSTATUS(status)) {
		snprintf(why, why_len, "signer exited with %d", WEXITSTATUS(status));
		rc = -EIO;
	}
	if (!rc && !sig[0]) {
		snprintf(why, why_len, "signer printed nothing");
		rc = -EIO;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return rc;
}
