/* pop3d_parse.c -- the pure parsing of POP3 command lines; see
 * pop3d_parse.h. */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "imap/pop3d/pop3d_parse.h"

int pop3d_parse_command(char *line, size_t len, const char **name_r,
                        const char **args_r)
{
    char *args;

    if (memchr(line, '\0', len))
        return -1;
    args = line + strcspn(line, " ");
    if (*args)
        *args++ = '\0';
    *name_r = line;
    *args_r = args;
    return 0;
}

int pop3d_parse_numbers(const char *args, unsigned min, unsigned max,
                        unsigned long *v, unsigned *n_r)
{
    const char *p = args;
    unsigned n = 0;

    while (*p) {
        unsigned long val = 0;
        if (n == max || !isdigit((unsigned char)*p))
            return -1;
        for (; isdigit((unsigned char)*p); p++) {
            val = val * 10 + (unsigned long)(*p - '0');
            if (val > 0x7fffffffUL)
                return -1;
        }
        v[n++] = val;
        if (*p == ' ' && p[1])
            p++;
        else if (*p)
            return -1;
    }
    if (n < min)
        return -1;
    *n_r = n;
    return 0;
}

int pop3d_parse_apop(const char *args, char **user_r, const char **digest_r)
{
    const char *sp = strchr(args, ' ');

    if (!sp || sp == args || strlen(sp + 1) != 32)
        return -1;
    *user_r = xstrndup(args, (size_t)(sp - args));
    *digest_r = sp + 1;
    return 0;
}

void pop3d_parse_auth(const char *args, char **mech_r, char **initial_r)
{
    char *mech = xstrdup(args), *initial = strchr(mech, ' ');

    if (initial)
        *initial++ = '\0';
    *mech_r = mech;
    *initial_r = initial;
}
