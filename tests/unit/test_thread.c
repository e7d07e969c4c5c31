/* test_thread.c -- the RFC 5256 thread algorithms on crafted message
 * lists: reference chains, In-Reply-To, the override of a parent guessed
 * from another message's References, loops, duplicate Message-IDs, dummy
 * pruning (nested and at the top), the subject step's three merges,
 * sibling order by date with ties by input order, ORDEREDSUBJECT, REFS,
 * the nested-parenthesis form, and a 100,000-message chain (no
 * recursion). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"
#include "imap/mailstore/thread.h"
#include "tests/unit/harness.h"

static struct buf out = BUF_INITIALIZER;

#define M(id, date, subj, refwd, mid, refs, irt)                              \
    { id, date, subj, refwd, mid, refs, irt }

static const char *run(enum thread_algorithm alg, const struct thread_msg *m,
                       size_t n)
{
    buf_reset(&out);
    thread_build(alg, m, n, &out);
    return buf_cstring(&out);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_references_links(void)
{
    /* 3's References make 1 the parent of 2 and 2 of 3; 4 answers 1 by
     * In-Reply-To; 5 has only an unusable In-Reply-To. */
    static const struct thread_msg m[] = {
        M(1, 10, "A", 0, "<1@x>", NULL, NULL),
        M(2, 20, "A", 1, "<2@x>", "<1@x>", NULL),
        M(3, 30, "A", 1, "<3@x>", "<1@x> <2@x>", NULL),
        M(4, 25, "A", 1, "<4@x>", NULL, "<1@x> (sent by x)"),
        M(5, 5, "B", 0, "<5@x>", NULL, "junk"),
    };
    TEST_ASSERT_STR(run(THREAD_REFERENCES, m, N(m)), "(5)(1 (2 3)(4))");
}

static void test_references_override_and_loops(void)
{
    /* 1's References guess 3 is the child of 2; 3's own References say
     * its parent is 9 (missing): the guess is overridden.  4 and 5 point
     * at each other: no loop. */
    static const struct thread_msg m[] = {
        M(1, 10, "x", 0, "<1@x>", "<2@x> <3@x>", NULL),
        M(2, 20, "y", 0, "<2@x>", NULL, NULL),
        M(3, 30, "z", 0, "<3@x>", "<9@x>", NULL),
        M(4, 40, "p", 0, "<4@x>", "<5@x>", NULL),
        M(5, 50, "q", 0, "<5@x>", "<4@x>", NULL),
        M(6, 60, "r", 0, "<6@x>", "<6@x>", NULL),       /* itself */
    };
    TEST_ASSERT_STR(run(THREAD_REFERENCES, m, N(m)),
                    "(2)(3 1)(5 4)(6)");
}

static void test_references_duplicate_ids(void)
{
    /* Two messages with one Message-ID: the second is a message of its
     * own, and replies go to the first. */
    static const struct thread_msg m[] = {
        M(1, 10, "a", 0, "<d@x>", NULL, NULL),
        M(2, 20, "b", 0, "<d@x>", NULL, NULL),
        M(3, 30, "c", 0, "<3@x>", "<d@x>", NULL),
        M(4, 40, "d", 0, NULL, "<d@x>", NULL),          /* no Message-ID */
    };
    TEST_ASSERT_STR(run(THREAD_REFERENCES, m, N(m)), "(1 (3)(4))(2)");
}

static void test_references_dummies(void)
{
    /* 1 and 2 share a missing parent (a dummy at the top, kept); 3's
     * missing parent has one child (promoted); 4 hangs below two missing
     * messages under 1's id chain (nested dummies are spliced out). */
    static const struct thread_msg m[] = {
        M(1, 20, "s", 0, "<1@x>", "<gone@x>", NULL),
        M(2, 10, "t", 0, "<2@x>", "<gone@x>", NULL),
        M(3, 5, "u", 0, "<3@x>", "<lost@x>", NULL),
        M(4, 30, "v", 0, "<4@x>", "<1@x> <m1@x> <m2@x>", NULL),
        M(5, 25, "w", 0, "<5@x>", "<1@x> <m1@x>", NULL),
    };
    TEST_ASSERT_STR(run(THREAD_REFERENCES, m, N(m)),
                    "(3)((2)(1 (5)(4)))");
}

static void test_references_subjects(void)
{
    /* Top-level threads gathered by base subject (step 5):
     * 2 is a reply, 1 not: 2 under 1.  3 and 4 are both replies: a new
     * dummy holds them.  5 and 6 are dummies with one subject: merged.
     * 7 has an empty subject: never gathered. */
    static const struct thread_msg m[] = {
        M(1, 10, "A", 0, "<1@x>", NULL, NULL),
        M(2, 20, "A", 1, "<2@x>", NULL, NULL),
        M(3, 30, "B", 1, "<3@x>", NULL, NULL),
        M(4, 40, "B", 1, "<4@x>", NULL, NULL),
        M(5, 50, "C", 0, "<5@x>", "<g1@x>", NULL),
        M(6, 55, "C", 0, "<6@x>", "<g1@x>", NULL),
        M(8, 60, "C", 0, "<8@x>", "<g2@x>", NULL),
        M(9, 65, "C", 0, "<9@x>", "<g2@x>", NULL),
        M(7, 70, "", 0, "<7@x>", NULL, NULL),
        M(10, 80, "", 0, "<10@x>", NULL, NULL),
    };
    TEST_ASSERT_STR(run(THREAD_REFERENCES, m, N(m)),
                    "(1 2)((3)(4))((5)(6)(8)(9))(7)(10)");
    /* a non-reply replaces a reply in the table: here 2 (reply, first)
     * goes under 1 (non-reply, later) */
    {
        static const struct thread_msg r[] = {
            M(1, 20, "A", 0, "<1@x>", NULL, NULL),
            M(2, 10, "A", 1, "<2@x>", NULL, NULL),
        };
        TEST_ASSERT_STR(run(THREAD_REFERENCES, r, N(r)), "(1 2)");
    }
}

static void test_sibling_order(void)
{
    /* Siblings by date; equal dates keep the input order. */
    static const struct thread_msg m[] = {
        M(1, 10, "a", 0, "<1@x>", NULL, NULL),
        M(2, 50, "b", 0, "<2@x>", "<1@x>", NULL),
        M(3, 30, "c", 0, "<3@x>", "<1@x>", NULL),
        M(4, 30, "d", 0, "<4@x>", "<1@x>", NULL),
        M(5, 10, "e", 0, "<5@x>", NULL, NULL),
    };
    TEST_ASSERT_STR(run(THREAD_REFERENCES, m, N(m)),
                    "(1 (3)(4)(2))(5)");
}

static void test_orderedsubject(void)
{
    static const struct thread_msg m[] = {
        M(1, 40, "B", 0, NULL, NULL, NULL),
        M(2, 30, "A", 0, NULL, NULL, NULL),
        M(3, 10, "B", 1, NULL, NULL, NULL),
        M(4, 20, "A", 1, NULL, NULL, NULL),
        M(5, 50, "C", 0, NULL, NULL, NULL),
        M(6, 60, "B", 0, NULL, NULL, NULL),
    };
    /* RFC 5256 3: groups by subject, first (by date) the parent of the
     * rest, groups by their first message's date */
    TEST_ASSERT_STR(run(THREAD_ORDEREDSUBJECT, m, N(m)),
                    "(3 (1)(6))(4 2)(5)");
    TEST_ASSERT_STR(run(THREAD_ORDEREDSUBJECT, m, 0), "");
}

static void test_refs(void)
{
    /* No subject step; threads by their newest message. */
    static const struct thread_msg m[] = {
        M(1, 10, "A", 0, "<1@x>", NULL, NULL),
        M(2, 90, "A", 1, "<2@x>", "<1@x>", NULL),
        M(3, 20, "A", 1, "<3@x>", NULL, NULL),
        M(4, 30, "B", 0, "<4@x>", NULL, NULL),
    };
    TEST_ASSERT_STR(run(THREAD_REFS, m, N(m)), "(3)(4)(1 2)");
    TEST_ASSERT_STR(run(THREAD_REFERENCES, m, N(m)), "(1 (3)(2))(4)");
}

static void test_lookup(void)
{
    TEST_ASSERT_INT(thread_algorithm_lookup("references"), THREAD_REFERENCES);
    TEST_ASSERT_INT(thread_algorithm_lookup("OrderedSubject"),
                    THREAD_ORDEREDSUBJECT);
    TEST_ASSERT_INT(thread_algorithm_lookup("REFS"), THREAD_REFS);
    TEST_ASSERT_INT(thread_algorithm_lookup("REF"), -1);
}

static void test_long_chain(void)
{
    /* 100,000 messages, each answering the one before: one thread of
     * 100,000 numbers, no stack overflow.  Then a comb (each message
     * with a leaf beside it) for the nested-parenthesis walk. */
    size_t n = 100000;
    struct thread_msg *m = xcalloc(n, sizeof(*m));
    char **ids = xcalloc(n, sizeof(*ids)), **refs = xcalloc(n, sizeof(*refs));
    struct buf want = BUF_INITIALIZER;

    for (size_t i = 0; i < n; i++) {
        ids[i] = xasprintf("<%zu@x>", i);
        refs[i] = i ? xasprintf("<%zu@x>", i - 1) : NULL;
        m[i].id = (uint32_t)i + 1;
        m[i].date = (int64_t)i;
        m[i].subject = "s";
        m[i].message_id = ids[i];
        m[i].in_reply_to = refs[i];
    }
    buf_putc(&want, '(');
    for (size_t i = 0; i < n; i++)
        buf_printf(&want, i ? " %zu" : "%zu", i + 1);
    buf_putc(&want, ')');
    TEST_ASSERT_STR(run(THREAD_REFERENCES, m, n), buf_cstring(&want));
    TEST_ASSERT_STR(run(THREAD_REFS, m, n), buf_cstring(&want));
    /* comb: messages 2k+3 and 2k+4 both answer 2k+1: a thread nested
     * 50,000 deep, "(1 (3 (5 ... (99999)(100000)) ... (6))(4))(2)" */
    for (size_t i = 0; i < n; i++) {
        free(refs[i]);
        refs[i] = i < 2 ? NULL : xasprintf("<%zu@x>", (i - 2) & ~(size_t)1);
        m[i].in_reply_to = refs[i];
        m[i].subject = "";      /* 1 and 2 would be gathered by subject */
    }
    run(THREAD_REFERENCES, m, n);
    TEST_ASSERT(!strncmp(buf_cstring(&out), "(1 (3 (5 (7 (9 ", 15));
    TEST_ASSERT(strstr(buf_cstring(&out), "(99999)(100000))(99998))"));
    TEST_ASSERT(out.len > 11 && !strcmp(out.s + out.len - 11,
                                        "(6))(4))(2)"));
    for (size_t i = 0; i < n; i++) {
        free(ids[i]);
        free(refs[i]);
    }
    free(ids);
    free(refs);
    free(m);
    buf_free(&want);
}

TEST_MAIN("thread", TEST_CASE(test_references_links),
          TEST_CASE(test_references_override_and_loops),
          TEST_CASE(test_references_duplicate_ids),
          TEST_CASE(test_references_dummies),
          TEST_CASE(test_references_subjects), TEST_CASE(test_sibling_order),
          TEST_CASE(test_orderedsubject), TEST_CASE(test_refs),
          TEST_CASE(test_lookup), TEST_CASE(test_long_chain))
