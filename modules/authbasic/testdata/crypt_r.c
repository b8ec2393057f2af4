/*
 * How libxcrypt.txt and unsupported.txt were made (Debian 12, libcrypt1 1:4.4.33-2):
 *   gcc -o crypt_r crypt_r.c -lcrypt
 *   ./crypt_r < pairs    (pairs: a password line, then a setting line, repeated)
 *   ./crypt_r -g '$y$' '$gy$' '$7$' '$sha1' '$md5' '$3$' _   (hashes of "password" with new salts)
 * Not part of the build.
 */
#include <crypt.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    struct crypt_data cd;
    if (argc > 1 && strcmp(argv[1], "-g") == 0) {
        for (int i = 2; i < argc; i++) {
            char *s = crypt_gensalt(argv[i], 0, NULL, 0);
            memset(&cd, 0, sizeof cd);
            char *v = s ? crypt_r("password", s, &cd) : NULL;
            printf("%s\n", v ? v : "NULL");
        }
        return 0;
    }
    char key[4096], setting[4096];
    while (fgets(key, sizeof key, stdin) && fgets(setting, sizeof setting, stdin)) {
        key[strcspn(key, "\n")] = 0;
        setting[strcspn(setting, "\n")] = 0;
        memset(&cd, 0, sizeof cd);
        char *v = crypt_r(key, setting, &cd);
        printf("%s\t%s\n", key, v ? v : "NULL");
    }
    return 0;
}
