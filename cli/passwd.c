/*
 * passwd.c — the user look-ups of the static release binary (readline's `~user`
 * expansion and user-name completion, which the REPL never reaches: it completes by
 * itself), answered from /etc/passwd. In a static glibc link getpwnam and its kin bring
 * in glibc's name service switch, and the link warns that it needs the shared libraries
 * of the glibc it was made with at run time. The release binary is a static PIE
 * (Makefile: the dynamic loader was a fourth of a `SELECT 1` process's CPU), so these
 * take their place there: what static glibc's own files backend answers, read with
 * fgetpwent, and a link without warnings. Only in that binary (SHOAL_STATIC_PIE).
 */
#ifdef SHOAL_STATIC_PIE
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

static FILE *ent;   /* getpwent's place in the file */

void setpwent(void)
{
    if (ent) rewind(ent);
}

void endpwent(void)
{
    if (ent) fclose(ent);
    ent = NULL;
}

struct passwd *getpwent(void)
{
    if (!ent && !(ent = fopen("/etc/passwd", "re"))) return NULL;
    return fgetpwent(ent);
}

/* The entry of user name, or of uid when name is NULL (in fgetpwent's storage). */
static struct passwd *find(const char *name, uid_t uid)
{
    FILE *f = fopen("/etc/passwd", "re");
    if (!f) return NULL;
    struct passwd *p;
    while ((p = fgetpwent(f)) && (name ? strcmp(p->pw_name, name) != 0 : p->pw_uid != uid)) {}
    fclose(f);
    return p;
}

struct passwd *getpwnam(const char *name) { return find(name, 0); }
struct passwd *getpwuid(uid_t uid) { return find(NULL, uid); }
#else
typedef int shoal_passwd_unused;   /* (a translation unit may not be empty) */
#endif
