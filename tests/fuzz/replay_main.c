/*
 * Replay every file under a directory through a fuzz target's
 * LLVMFuzzerTestOneInput (libgit2's standalone driver idea), so corpora
 * run with gcc in `make test` and under sanitizers in `make check`.
 * Usage: replay_fuzz_X DIR
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT	(16L * 1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	FILE *f;
	unsigned char *buf;
	long len;
	size_t n;

	f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (len < 0 || len > REPLAY_MAX_INPUT || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot size\n", path);
		(void)fclose(f);
		return -1;
	}
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL) {
		(void)fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)len, f);
	if (fclose(f) != 0 || n != (size_t)len) {
		fprintf(stderr, "%s: short read\n", path);
		free(buf);
		return -1;
	}
	(void)LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
replay_dir(const char *dir, int *count)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char path[4096];
	int rc = 0, len;

	d = opendir(dir);
	if (d == NULL) {
		perror(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		len = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (len < 0 || (size_t)len >= sizeof(path)) {
			rc = -1;
			continue;
		}
		if (stat(path, &st) == -1) {
			perror(path);
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(path, count) == -1)
				rc = -1;
		} else if (S_ISREG(st.st_mode)) {
			if (replay_file(path) == -1)
				rc = -1;
			else
				(*count)++;
		}
	}
	if (closedir(d) != 0)
		rc = -1;
	return rc;
}

int
main(int argc, char *argv[])
{
	int count = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	if (replay_dir(argv[1], &count) == -1)
		return 1;
	printf("%s: %d input(s) replayed\n", argv[0], count);
	return 0;
}
