/* One pass over each listing's title and description (Arrow string views, read in place).
 *
 * Per row it produces what the Polars reference in moderation/features/{text,tabular}.py would,
 * in one read of the bytes instead of a dozen regex passes:
 *   - the tokenised text (look-alike letters folded, lower case, every run of characters that
 *     are neither letters nor digits as one space, no space at either end);
 *   - character, letter, upper-case, digit and '!' counts (the tabular text statistics);
 *   - flags: a token is a spelled-out number, the tokens hold a digit gap ("8 912", "9о5"), and
 *     which literal needle sets occur (prefilters for the regexes that run on a few rows only).
 *   - the fingerprint of a listing: a hash of the letters of its lower-cased title and description
 *     start (letters_hash), so that reposts with other digits, punctuation or tails match.
 *
 * Unicode classes and case maps come from Python (moderation/features/native.py) as tables.
 * A row with a code point those tables do not cover is flagged FALLBACK and left to the Polars
 * reference, so the results are the reference's on every row.
 *
 * The GIL is released while rows are scanned: callers run row slices on parallel threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* in every x86-64 */
#endif

/* Character classes (cls table). */
#define C_LETTER 1
#define C_UPPER 2
#define C_DIGIT 4
#define C_UNKNOWN 8

/* Row flags (output). */
#define F_NULL 1
#define F_FALLBACK 2
#define F_NUMBER_WORD 4
#define F_DIGIT_GAP 8
#define F_RUN10 16    /* a run of ten or more digits in the tokens */
#define F_RUN67 32    /* a run of exactly six or seven digits */
#define F_SPREAD9 64  /* a '9' followed (anywhere later) by nine more digits */
#define F_GLUED2 (1 << 13) /* a Cyrillic letter touches a digit at two places or more ("маши88на") */
#define F_NEEDLES_SHIFT 7 /* bit F_NEEDLES_SHIFT + k: needle set k found (3 raw sets, then 3 token sets) */
#define RAW_SETS 3
#define F_REQUISITE_HINT (1 << (F_NEEDLES_SHIFT + RAW_SETS)) /* the first token set */
#define F_AT (1 << 14)     /* an '@' */
#define F_LATIN4 (1 << 15) /* a Latin identifier: [a-z_] then three of [a-z0-9_], in any case */
#define F_PHONE_DECIDED (1 << 16) /* F_SPREAD9 without requisite words: F_ONE_PHONE is the answer */
#define F_ONE_PHONE (1 << 17)     /* text_norm's digits, measures aside, are one phone */

#define TABLE_SIZE 0x20000 /* classes for planes 0 and 1; beyond: unknown */
#define MAP_SIZE 0x800     /* fold / lower maps cover code points below U+0800 */

static uint8_t cls[TABLE_SIZE];
static uint32_t fp_lower[0x10000];   /* Unicode lower case (0: unchanged, 0xFFFFFFFF: unknown) */
/* Below U+0800, what the fingerprint does with a character: FP_DROP (not a letter once lower-cased),
 * FP_KEEP (its lower case, bytes below) or FP_UNKNOWN (the reference decides the row). */
#define FP_DROP 0
#define FP_KEEP 1
#define FP_UNKNOWN 2
typedef struct { uint8_t action, len, bytes[2]; } FpChar;
static FpChar fp_small[MAP_SIZE];
static int tables_ready = 0;

/* ---- needle sets: Aho-Corasick automata built in Python, one step per code point --------- */
/* raw: over the lower-cased text (accept bit k: contact hint set k: e-mail, link, handle); tok: over " " + tokens + " "
 * (accept bit k: token needle set k, k < 3; bit 3 + k: the hints of raw set k that hold a letter а-я,
 * in their token form, a superset of them: plain letters then never move the raw automaton).
 * Code points are first mapped to the automaton's alphabet (symbol 0: any character no needle
 * holds). A transition entry is the next state in its low STATE_BITS bits and the accept bits of
 * that state (its suffixes' included) above. */
#define ALPHABET 128
#define STATE_BITS 10
#define STATE_MASK ((1u << STATE_BITS) - 1)
typedef struct {
    uint16_t *next; /* states x ALPHABET */
    int states;
    uint8_t leaves_root[ALPHABET]; /* from the root, does this symbol go anywhere? */
} Automaton;

static Automaton raw_ac, tok_ac;
static uint8_t raw_space, tok_space; /* the symbol of ' ' in each alphabet */

#define STEP(ac, st, sym, acc) do { uint16_t v_ = (ac).next[(st) * ALPHABET + (sym)]; (st) = v_ & STATE_MASK; (acc) |= v_ >> STATE_BITS; } while (0)
/* Most characters leave the automaton at its root: a predictable branch instead of a dependent load. */
#define STEP_FAST(ac, st, sym, acc) do { unsigned s_ = (sym); if ((st) | (ac).leaves_root[s_]) STEP(ac, st, s_, acc); } while (0)

/* Per code point below U+0800: class, folded UTF-8 bytes, and its symbols in the automata. */
typedef struct {
    uint8_t cls, fold_len, raw_sym, tok_sym;
    uint8_t fold[2];
    uint8_t kind; /* 1: a Cyrillic letter А-я Ёё, 2: a digit, 0: anything else (glued digits) */
    uint8_t sym;  /* the digit-gap symbol of the folded character */
    uint8_t plain; /* а-я (not ё): a letter, lower case, folded to itself (the fast path) */
} Info;

static Info info[MAP_SIZE];

/* Spelled-out number words (tokens), as a small open-addressing hash table. */
#define WORD_SLOTS 1024
static uint8_t *words[WORD_SLOTS];
static int word_len[WORD_SLOTS];
/* What a number word is written as: its digits, then MARK_H after hundreds ("девятьсот" -> "9H",
 * "сот" -> "H") and MARK_T after tens ("двадцать" -> "2T"), as _NUMBER_WORDS in text.py has it. */
#define MARK_H 0x01
#define MARK_T 0x02
static uint8_t word_repl[WORD_SLOTS][4];
static int word_repl_len[WORD_SLOTS];
static uint8_t word_marked[WORD_SLOTS]; /* written with a marker: the compose passes have work */
static int word_min = 1 << 30, word_max = 0;
static uint8_t word_seen[65536 / 8]; /* word_key of the words (a filter before the table) */

/* A 16-bit key of a token of n >= 4 bytes from its first and last eight (or four) bytes and its
 * length: constant work per token, and common words rarely share the key of a number word
 * (a prefix alone would let through every word starting "де", "по", "со", ...). */
static inline unsigned word_key(const uint8_t *s, int n) {
    uint64_t a, b;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
    } else {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        a = x, b = y;
    }
    uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ b * 0xC2B2AE3D27D4EB4FULL ^ (uint64_t)n * 0x165667B19E3779F9ULL;
    return (unsigned)(h >> 48);
}

/* The slot of the number word s[0..n), or -1. */
static int number_word(const uint8_t *s, int n) {
    if (n < word_min || n > word_max) return -1; /* (word_min >= 4: checked in init) */
    unsigned key = word_key(s, n);
    if (!(word_seen[key >> 3] >> (key & 7) & 1)) return -1;
    for (unsigned k = 0; k < WORD_SLOTS; k++) {
        unsigned slot = (key + k) & (WORD_SLOTS - 1);
        if (!words[slot]) return -1;
        if (word_len[slot] == n && memcmp(words[slot], s, (size_t)n) == 0) return (int)slot;
    }
    return -1;
}

/* ---- UTF-8 ------------------------------------------------------------------------------- */
static inline uint32_t decode(const uint8_t *s, int32_t *i) {
    uint8_t b = s[*i];
    if (b < 0x80) { *i += 1; return b; }
    if (b < 0xE0) { uint32_t c = ((uint32_t)(b & 0x1F) << 6) | (s[*i + 1] & 0x3F); *i += 2; return c; }
    if (b < 0xF0) {
        uint32_t c = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[*i + 1] & 0x3F) << 6) | (s[*i + 2] & 0x3F);
        *i += 3; return c;
    }
    uint32_t c = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[*i + 1] & 0x3F) << 12)
               | ((uint32_t)(s[*i + 2] & 0x3F) << 6) | (s[*i + 3] & 0x3F);
    *i += 4; return c;
}

static inline int encode(uint32_t c, uint8_t *o) {
    if (c < 0x80) { o[0] = (uint8_t)c; return 1; }
    if (c < 0x800) { o[0] = (uint8_t)(0xC0 | (c >> 6)); o[1] = (uint8_t)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (c >> 12)); o[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (c & 0x3F)); return 3;
    }
    o[0] = (uint8_t)(0xF0 | (c >> 18)); o[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)); o[3] = (uint8_t)(0x80 | (c & 0x3F)); return 4;
}

static inline uint8_t class_of(uint32_t c) { return c < TABLE_SIZE ? cls[c] : C_UNKNOWN; }

/* ---- plain letters --------------------------------------------------------------------------- */
/* а-п are D0 B0..BF and р-я D1 80..8F in UTF-8: a character (two bytes, read as a little-endian
 * uint16) is one of them when, its low nibble of the second byte aside, it reads 0xB0D0 or 0x80D1. */
static inline int plain_at(const uint8_t *s) {
    uint16_t u;
    memcpy(&u, s, 2);
    u &= 0xF0FF;
    return u == 0xB0D0 || u == 0x80D1;
}

/* Where the run of plain letters а-я (not ё) from s[i] ends: eight characters per step. */
static inline int32_t plain_span(const uint8_t *s, int32_t i, int32_t len) {
#if defined(__SSE2__)
    const __m128i mask = _mm_set1_epi16((short)0xF0FF), lo = _mm_set1_epi16((short)0xB0D0),
                  hi = _mm_set1_epi16((short)0x80D1);
    while (i + 16 <= len) {
        __m128i v = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + i)), mask);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi16(v, lo), _mm_cmpeq_epi16(v, hi)));
        if (m != 0xFFFF) return i + __builtin_ctz(~m & 0xFFFF); /* (two mask bits per character) */
        i += 16;
    }
#endif
    while (i + 1 < len && plain_at(s + i)) i += 2;
    return i;
}

#include "../_arrow_views.h"

static int writable(PyObject *obj, Py_buffer *b, Py_ssize_t min_bytes, const char *name) {
    if (PyObject_GetBuffer(obj, b, PyBUF_WRITABLE) < 0) return -1;
    if (b->len < min_bytes) {
        PyErr_Format(PyExc_ValueError, "%s: buffer of %zd bytes, need %zd", name, b->len, min_bytes);
        PyBuffer_Release(b);
        return -1;
    }
    return 0;
}

/* ---- the scan ------------------------------------------------------------------------------- */
typedef struct {
    int64_t *tok_offsets;  /* n + 1 */
    uint8_t *tok;          /* room for 2 * raw bytes + n + 8: see py_scan */
    int32_t *title_chars, *description_chars, *letters, *upper, *digits, *exclamations, *norm_digits;
    uint32_t *flags;
    /* The fingerprint (as fingerprint_hash gives it), when fp is not NULL. */
    uint64_t *fp_hash;     /* n: letters_hash of the row's fingerprint letters (0 unless fp_state is 1) */
    uint8_t *fp;           /* scratch for one row's letters: fingerprint_room() of the longest title */
    uint8_t *fp_state;     /* 0: title or description null, 1: hashed, 2: the reference decides */
    int64_t fp_chars, fp_letters; /* of the description: its first fp_chars characters, fp_letters letters */
} Out;

/* One character of the fingerprint's text (not a plain letter: see the plain runs): its lower
 * case written when it is a letter and *kept < limit. Returns 0, or -1 when the reference decides. */
static inline int fp_char(uint32_t c, uint8_t k, uint8_t *o, int64_t *w, int64_t *kept, int64_t limit) {
    if (c < MAP_SIZE) {
        const FpChar *f = &fp_small[c];
        if (f->action == FP_UNKNOWN) return -1;
        if (f->action == FP_KEEP && *kept < limit) {
            memcpy(o + *w, f->bytes, 2); /* room: see py_fingerprint_text */
            *w += f->len;
            ++*kept;
        }
        return 0;
    }
    if (c >= 0x10000) return (k & (C_UNKNOWN | C_LETTER)) ? -1 : 0; /* letters beyond the BMP: reference */
    uint32_t l = fp_lower[c];
    if (l == 0xFFFFFFFFu) return -1;
    if (l) c = l;
    if ((class_of(c) & C_LETTER) && *kept < limit) {
        *w += encode(c, o + *w);
        ++*kept;
    }
    return 0;
}

/* The fingerprint's hash of its letters s[0..n): xxHash64's round over eight bytes at a time (one
 * accumulator: a row's letters are short), its length mixed in, then xxHash64's final avalanche.
 * Equal letters give equal hashes in every process; they are only ever compared with hashes of
 * this function (tabular.py's fingerprints). */
#define XXH_P1 0x9E3779B185EBCA87ULL
#define XXH_P2 0xC2B2AE3D27D4EB4FULL
#define XXH_P3 0x165667B19E3779F9ULL
static inline uint64_t xxh_round(uint64_t acc, uint64_t w) {
    acc += w * XXH_P2;
    return ((acc << 31) | (acc >> 33)) * XXH_P1;
}

static uint64_t letters_hash(const uint8_t *s, int64_t n) {
    uint64_t h = XXH_P3 + (uint64_t)n;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = xxh_round(h, w);
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, s + i, (size_t)(n - i));
        h = xxh_round(h, w);
    }
    h ^= h >> 33;
    h *= XXH_P2;
    h ^= h >> 29;
    h *= XXH_P3;
    return h ^ (h >> 32);
}

/* Bytes one row's fingerprint letters may take, its title being title_bytes long: lower-casing
 * below U+10000 keeps a character within 3 bytes, a kept letter takes at most 4, one '|', + 8 (a
 * letter is copied as two bytes). */
static int64_t fingerprint_room(int64_t title_bytes, int64_t description_letters) {
    return 3 * title_bytes + 4 * description_letters + 1 + 8;
}

/* Symbols of the digit-gap history: the last few code points written to the tokens. */
#define S_DIGIT 'd'
#define S_OZ 'o' /* Cyrillic о or з (after folding), which sellers write for 0 and 3 */
#define S_SPACE ' '
#define S_OTHER 'x'
#define H2(a, b) (((uint32_t)(a) << 8) | (uint32_t)(b))
#define H3(a, b, c) (((uint32_t)(a) << 16) | H2(b, c))
#define H4(a, b, c, d) (((uint32_t)(a) << 24) | H3(b, c, d))

/* Would a digit now complete "\d \d" (1) or "\d ?[оз] ?\d" (2)? (hist: the previous symbols,
 * newest lowest) */
static inline int gap_before_digit(uint32_t hist) {
    uint32_t h2 = hist & 0xFFFF, h3 = hist & 0xFFFFFF;
    if (h2 == H2(S_DIGIT, S_SPACE)) return 1;
    return (h2 == H2(S_DIGIT, S_OZ) || h3 == H3(S_DIGIT, S_SPACE, S_OZ) || h3 == H3(S_DIGIT, S_OZ, S_SPACE)
            || hist == H4(S_DIGIT, S_SPACE, S_OZ, S_SPACE)) ? 2 : 0;
}

static inline uint32_t run_flags(int run) {
    return (uint32_t)((run >= 10 ? F_RUN10 : 0) | (run == 6 || run == 7 ? F_RUN67 : 0));
}

/* Is the character at s[i] a digit? */
static inline int digit_at(const uint8_t *s, int32_t i) {
    uint8_t b = s[i];
    if (b < 0x80) return (unsigned)(b - '0') < 10;
    if (b == 0xD0 || b == 0xD1) return 0; /* Cyrillic letters */
    return (class_of(decode(s, &i)) & C_DIGIT) != 0;
}

/* Does the character ending just before s + i (i > 0) count as a digit? */
static inline int digit_before(const uint8_t *s, int32_t i) {
    int32_t j = i - 1;
    while (j > 0 && (s[j] & 0xC0) == 0x80) j--; /* back to the character's first byte */
    return digit_at(s, j);
}

/* The character at s[i]: is it a digit? Sets *next to the index after it. */
static inline int digit_next(const uint8_t *s, int32_t i, int32_t *next) {
    uint8_t b = s[i];
    if (b < 0x80) { *next = i + 1; return (unsigned)(b - '0') < 10; }
    if (b == 0xD0 || b == 0xD1) { *next = i + 2; return 0; } /* Cyrillic letters */
    *next = i;
    return (class_of(decode(s, next)) & C_DIGIT) != 0;
}

/* One pass of replace_all("(\d\s*)X(\s*\d)", "${1}D${2}") on tokens, in place: the letter X
 * between digits becomes the digit D; matches do not overlap, as in the regex. New length. */
static int32_t letter_pass(uint8_t *s, int32_t n, uint32_t letter, uint8_t digit) {
    int32_t r = 0, seg = 0, w = 0; /* read position, first byte not yet copied, write position */
    while (r < n) {
        int32_t i;
        if (r + 1 < n && plain_at(s + r)) { /* letters а-я: no digit to start a match */
            r = plain_span(s, r + 2, n);
            continue;
        }
        if (digit_next(s, r, &i)) {
            int32_t j = i;
            while (j < n && s[j] == ' ') j++;
            if (j < n) {
                int32_t k = j;
                if (decode(s, &k) == letter) {
                    int32_t m = k;
                    while (m < n && s[m] == ' ') m++;
                    int32_t e;
                    if (m < n && digit_next(s, m, &e)) { /* the letter at [j, k) becomes the digit */
                        memmove(s + w, s + seg, (size_t)(j - seg));
                        w += j - seg;
                        s[w++] = digit;
                        seg = k;
                        r = e;
                        continue;
                    }
                }
            }
        }
        r = i;
    }
    memmove(s + w, s + seg, (size_t)(n - seg));
    return w + (n - seg);
}

/* Would letter_pass(s, n, letter, ...) change anything? Is a Cyrillic letter (UTF-8 D0 `second`:
 * о is D0 BE, з D0 B7) within a space of a digit on both sides, as the pass's regex needs (tokens
 * are single-spaced)? Most rows with a number word have none: their two passes are skipped. */
static int letter_between_digits(const uint8_t *s, int32_t n, uint8_t second) {
    for (const uint8_t *p = s; (p = memchr(p, second, (size_t)(s + n - p))) != NULL; p++) {
        int32_t k = (int32_t)(p - s) - 1; /* where the letter starts */
        if (k < 0 || s[k] != 0xD0) continue;
        int left = k > 0 && (digit_before(s, k) || (s[k - 1] == ' ' && k > 1 && digit_before(s, k - 1)));
        int right = k + 2 < n && (digit_at(s, k + 2) || (s[k + 2] == ' ' && k + 3 < n && digit_at(s, k + 3)));
        if (left && right) return 1;
    }
    return 0;
}

/* Every space between two digits removed, in place: what two passes of
 * replace_all("(\d)\s+(\d)", "${1}${2}") do on single-spaced tokens (the second pass takes the
 * gaps the first left, whose digit an earlier match had consumed). Returns the new length. */
static int32_t join_digits(uint8_t *s, int32_t n) {
    int32_t r = 0, w = 0;
    while (r < n) {
        const uint8_t *sp = memchr(s + r, ' ', (size_t)(n - r));
        int32_t end = sp ? (int32_t)(sp - s) : n; /* the segment [r, end) has no space */
        /* the space at end stays unless a digit is on both sides (read before anything moves) */
        int keep = sp && !(end > 0 && end + 1 < n && digit_at(s, end + 1) && digit_before(s, end));
        if (w != r) memmove(s + w, s + r, (size_t)(end - r));
        w += end - r;
        if (!sp) break;
        if (keep) s[w++] = ' ';
        r = end + 1;
    }
    return w;
}

/* join_digits for tokens whose spaces between digits are known: s[0..n) without the spaces at
 * gaps[0..count) (ascending). Returns the new length. */
#define MAX_GAPS 32
static int32_t without_gaps(uint8_t *s, int32_t n, const int32_t *gaps, int count) {
    if (count == 0) return n;
    int32_t w = gaps[0];
    for (int k = 0; k < count; k++) {
        int32_t from = gaps[k] + 1, to = k + 1 < count ? gaps[k + 1] : n;
        memmove(s + w, s + from, (size_t)(to - from));
        w += to - from;
    }
    return w;
}

/* Per plain letter а-я, indexed by its two UTF-8 bytes xor-ed (а-п: D0 ^ B0..BF = 0x60..0x6F, р-я:
 * D1 ^ 80..8F = 0x50..0x5F, one operation per letter): its symbol in the token automaton. */
static uint8_t plain_tok[256];

/* The token automaton over the plain letters s[i..j): one step each, without a branch (whether a
 * letter moves the automaton is too random to predict). */
static inline void plain_steps(const uint8_t *s, int32_t i, int32_t j, unsigned *state, unsigned *accept) {
    unsigned st = *state, acc = *accept;
    const uint16_t *next = tok_ac.next;
    for (int32_t k = i; k < j; k += 2) {
        uint16_t v = next[st * ALPHABET + plain_tok[s[k] ^ s[k + 1]]];
        st = v & STATE_MASK;
        acc |= v >> STATE_BITS;
    }
    *state = st, *accept = acc;
}

#define DIGIT_FLAGS (F_RUN10 | F_RUN67 | F_SPREAD9)

/* The digit-run flags of tokens s[0..n), and their digits: what the main loop counted, for tokens
 * it rewrote afterwards (number words, letters standing for digits). Their needle flags stay as
 * the main loop found them: a rewrite only turns letters into digits and removes spaces between
 * digits, and no needle holds a digit, so the needles found before are a superset of those after
 * (each needle flag is a prefilter: a superset gives the same features). */
static uint32_t digit_flags(const uint8_t *s, int32_t n, int32_t *digits) {
    int run = 0, after9 = -1;
    int32_t d = 0, i = 0;
    uint32_t f = 0;
    while (i < n) {
        if (i + 1 < n && plain_at(s + i)) {
            i = plain_span(s, i + 2, n);
            f |= run_flags(run);
            run = 0;
            continue;
        }
        uint32_t c = decode(s, &i);
        if (class_of(c) & C_DIGIT) {
            d++;
            run++;
            if (after9 >= 0) after9++;
            else if (c == '9') after9 = 0;
        } else {
            f |= run_flags(run);
            run = 0;
        }
    }
    f |= run_flags(run);
    if (after9 >= 9) f |= F_SPREAD9;
    *digits = d;
    return f;
}

/* What plain_run carries: the token automaton and digit-gap history in and out; out, the single
 * spaces it went across and where its last word starts in s. */
typedef struct {
    unsigned st, acc;
    uint32_t hist;
    int32_t spaces, word;
} PlainRun;

/* From s[i], plain letters а-я (not ё) in words joined by single spaces: copies them to o, steps
 * the token automaton over them (the raw one stays at its root: see the automata above and init),
 * sets the digit-gap history and returns where the run ends. A space is gone across only when
 * the word before it is no number word, so END_TOKEN would do nothing there; before: the bytes
 * of the current token written ahead of s[i].
 * Kept out of the main loop so that its few variables stay in registers. */
static __attribute__((noinline)) int32_t plain_run(const uint8_t *s, int32_t i, int32_t len, uint8_t *o,
                                                   int32_t before, PlainRun *r) {
    unsigned st = r->st, acc = r->acc;
    uint32_t hist = r->hist;
    int32_t w = i, j, spaces = 0; /* w: the current word's start (a plain letter) */
    for (;;) {
        j = plain_span(s, w + 2, len);
        plain_steps(s, w, j, &st, &acc);
        /* The digit-gap history: after two letters or more no gap can end at the next digit (each
         * gap pattern has a digit, a space or at most one о/з after it), whatever the letters were. */
        hist = j - w == 2 ? hist << 8 | info[((uint32_t)(s[w] & 0x1F) << 6) | (s[w + 1] & 0x3F)].sym
                          : H2(S_OTHER, S_OTHER);
        if (j + 2 >= len || s[j] != ' ' || !plain_at(s + j + 1)) break;
        int32_t n = j - w + (w == i ? before : 0); /* the token's bytes */
        if (n >= word_min && n <= word_max) {
            const uint8_t *t = s + w;
            if (w == i && before) { memcpy(o, s + i, (size_t)(j - i)); t = o - before; } /* all of it */
            if (number_word(t, n) >= 0) break; /* the main loop's END_TOKEN writes it */
        }
        STEP(tok_ac, st, tok_space, acc); /* the space, as TOKEN_CHARACTER writes it */
        hist = hist << 8 | S_SPACE;
        spaces++;
        w = j + 1;
    }
    memcpy(o, s + i, (size_t)(j - i));
    r->st = st, r->acc = acc, r->hist = hist, r->spaces = spaces, r->word = w;
    return j;
}

/* The fingerprint of plain words s[i..j) between single spaces, as the main loop writes it word
 * by word: their letters (their own lower case), within chars_left characters (a space is one)
 * and letters_left letters. Returns the letters written to o. */
static int64_t fp_plain_words(const uint8_t *s, int32_t i, int32_t j, int64_t chars_left, int64_t letters_left,
                              uint8_t *o) {
    int64_t kept = 0;
    while (i < j && chars_left > 0 && kept < letters_left) {
        const uint8_t *sp = memchr(s + i, ' ', (size_t)(j - i));
        int32_t e = sp ? (int32_t)(sp - s) : j;
        int64_t take = (e - i) / 2;
        if (take > chars_left) take = chars_left;
        if (take > letters_left - kept) take = letters_left - kept;
        memcpy(o + 2 * kept, s + i, (size_t)(2 * take));
        kept += take;
        chars_left -= (e - i) / 2 + 1; /* the word and the space after it */
        i = e + 1;
    }
    return kept;
}

/* Before a letter or digit is written: the separator since the last token character, as one
 * space (none at the start), and the start of a token. */
#define TOKEN_CHARACTER() do {                                                                   \
        if (pending) {                                                                           \
            if (pos > start) {                                                                   \
                out->tok[pos++] = ' ';                                                           \
                STEP_FAST(tok_ac, tok_st, tok_space, tok_acc);                                   \
                hist = (hist << 8) | S_SPACE;                                                    \
            }                                                                                    \
            pending = 0;                                                                         \
        }                                                                                        \
        if (!in_token) { token_at = pos; in_token = 1; }                                         \
    } while (0)

/* At a token's end: a number word is written as its digits and marker (the text only shrinks). */
#define END_TOKEN() do {                                                                         \
        if (in_token && pos - token_at >= word_min && pos - token_at <= word_max) {              \
            int slot_ = number_word(out->tok + token_at, (int)(pos - token_at));                 \
            if (slot_ >= 0) {                                                                    \
                flags |= F_NUMBER_WORD;                                                          \
                marked |= word_marked[slot_];                                                    \
                memcpy(out->tok + token_at, word_repl[slot_], (size_t)word_repl_len[slot_]);    \
                pos = token_at + word_repl_len[slot_];                                           \
            }                                                                                    \
        }                                                                                        \
    } while (0)

/* ---- a phone spread over the text ------------------------------------------------------- */
/* Measures ("89 см", "7 лет", "170000 рублей"): a number token followed by a unit token, exact
 * or a prefix followed by letters (_MEASURE_UNITS, _MEASURE_PREFIXES in text.py). */
#define MAX_UNITS 64
static uint8_t *units[MAX_UNITS], *unit_prefixes[MAX_UNITS];
static int unit_len[MAX_UNITS], prefix_len[MAX_UNITS], n_units, n_prefixes;

static int has_digit(const uint8_t *s, int32_t n) {
    int32_t i = 0;
    while (i < n) if (class_of(decode(s, &i)) & C_DIGIT) return 1;
    return 0;
}

static int is_unit(const uint8_t *t, int32_t n) {
    for (int k = 0; k < n_units; k++)
        if (unit_len[k] == n && memcmp(units[k], t, (size_t)n) == 0) return 1;
    for (int k = 0; k < n_prefixes; k++)
        if (n >= prefix_len[k] && memcmp(unit_prefixes[k], t, (size_t)prefix_len[k]) == 0)
            return !has_digit(t + prefix_len[k], n - prefix_len[k]); /* tokens: letters and digits */
    return 0;
}

/* Do the digits of text_norm s[0..n), measures aside, make one phone: [78], 9, nine more? This is
 * what _without_measures(...).str.contains(r"^\D*[78]\D*9(?:\D*\d){9}\D*$") says of such text
 * (its two passes remove every number token followed by a unit token). */
static int one_phone(const uint8_t *s, int32_t n) {
    int32_t count = 0, a = 0;
    uint32_t first = 0, second = 0;
    while (a < n) {
        const uint8_t *sp = memchr(s + a, ' ', (size_t)(n - a));
        int32_t b = sp ? (int32_t)(sp - s) : n, i = a, digits = 0, others = 0;
        while (i < b) {
            if (class_of(decode(s, &i)) & C_DIGIT) digits++;
            else others++;
        }
        if (digits && !others && b < n) { /* a number: a measure if a unit token follows */
            const uint8_t *sp2 = memchr(s + b + 1, ' ', (size_t)(n - b - 1));
            int32_t e = sp2 ? (int32_t)(sp2 - s) : n;
            if (is_unit(s + b + 1, e - b - 1)) digits = 0;
        }
        for (i = a; digits && i < b;) {
            uint32_t c = decode(s, &i);
            if (!(class_of(c) & C_DIGIT)) continue;
            if (count == 0) first = c;
            else if (count == 1) second = c;
            if (++count > 11) return 0;
        }
        a = b + 1;
    }
    return count == 11 && (first == '7' || first == '8') && second == '9';
}

/* ---- spelled-out numbers ---------------------------------------------------------------- */
typedef struct { int32_t at, len; } Span;

/* Scratch for compose_numbers, kept across the rows of one scan call. */
typedef struct {
    Span *spans[2];
    uint8_t *arena[2];
    int64_t span_cap, arena_cap;
} Work;

static int work_fit(Work *w, int64_t spans, int64_t bytes) {
    if (spans > w->span_cap) {
        int64_t cap = spans * 2 + 16;
        for (int k = 0; k < 2; k++) {
            Span *p = realloc(w->spans[k], (size_t)cap * sizeof(Span));
            if (!p) return -1;
            w->spans[k] = p;
        }
        w->span_cap = cap;
    }
    if (bytes > w->arena_cap) {
        int64_t cap = bytes * 2 + 64;
        for (int k = 0; k < 2; k++) {
            uint8_t *p = realloc(w->arena[k], (size_t)cap);
            if (!p) return -1;
            w->arena[k] = p;
        }
        w->arena_cap = cap;
    }
    return 0;
}

/* Is s[0..n) exactly `count` digits (any script), optionally followed by one `marker` byte? */
static int digits_then(const uint8_t *s, int32_t n, int count, int marker) {
    if (marker) {
        if (n < 1 || s[n - 1] != marker) return 0;
        n--;
    }
    int32_t i = 0;
    for (int k = 0; k < count; k++) {
        if (i >= n || !(class_of(decode(s, &i)) & C_DIGIT)) return 0;
    }
    return i == n;
}

/* The regex passes of _numbers_as_digits, on tokens. Each pass reads one token list and writes
 * the next; a match joins a token ending in a marker with the token after it, and the scan
 * goes on after that token, as a regex's next match starts after the previous one. */
enum { JOIN_H_TENS, JOIN_H_TWO, JOIN_H_ONE, H_TO_00, JOIN_T_ONE, T_TO_0 };

static int32_t compose_pass(int kind, const uint8_t *src, const Span *in, int32_t count, uint8_t *dst, Span *out) {
    int32_t n = 0, w = 0;
    for (int32_t i = 0; i < count; i++) {
        const uint8_t *a = src + in[i].at;
        int32_t al = in[i].len;
        uint8_t mark = (kind <= H_TO_00) ? MARK_H : MARK_T;
        int ends = al > 0 && a[al - 1] == mark;
        out[n].at = w;
        if (ends && (kind == H_TO_00 || kind == T_TO_0)) {
            memcpy(dst + w, a, (size_t)(al - 1));
            w += al - 1;
            dst[w++] = '0';
            if (kind == H_TO_00) dst[w++] = '0';
        } else if (ends && i + 1 < count) {
            const uint8_t *b = src + in[i + 1].at;
            int32_t bl = in[i + 1].len;
            int joins = kind == JOIN_H_TENS ? digits_then(b, bl, 1, MARK_T)
                      : kind == JOIN_H_TWO  ? digits_then(b, bl, 2, 0)
                      : (kind == JOIN_H_ONE || kind == JOIN_T_ONE) ? digits_then(b, bl, 1, 0) : 0;
            memcpy(dst + w, a, (size_t)(al - (joins ? 1 : 0)));
            w += al - (joins ? 1 : 0);
            if (joins) {
                if (kind == JOIN_H_ONE) dst[w++] = '0'; /* девятьсот три -> 903 */
                memcpy(dst + w, b, (size_t)bl);
                w += bl;
                i++;
            }
        } else {
            memcpy(dst + w, a, (size_t)al);
            w += al;
        }
        out[n].len = w - out[n].at;
        n++;
    }
    return n;
}

/* s[0..n): single-spaced tokens with number words written as digits + marker. Rewrites s in place
 * with what _numbers_as_digits gives, single-spaced (never longer than the words it came from).
 * Returns the new length, or -1 when memory runs out. */
static int32_t compose_numbers(uint8_t *s, int32_t n, Work *work) {
    if (work_fit(work, n / 2 + 2, 2 * (int64_t)n + 16) < 0) return -1;
    Span *spans = work->spans[0];
    int32_t count = 0, at = 0;
    for (int32_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ' ') {
            spans[count].at = at;
            spans[count].len = i - at;
            count++;
            at = i + 1;
        }
    }
    const uint8_t *src = s;
    int cur = 0;
    for (int kind = JOIN_H_TENS; kind <= T_TO_0; kind++) {
        count = compose_pass(kind, src, work->spans[cur], count, work->arena[cur ^ 1], work->spans[cur ^ 1]);
        cur ^= 1;
        src = work->arena[cur];
    }
    int32_t w = 0;
    for (int32_t k = 0; k < count; k++) {
        if (k) s[w++] = ' ';
        memcpy(s + w, src + work->spans[cur][k].at, (size_t)work->spans[cur][k].len);
        w += work->spans[cur][k].len;
    }
    return w;
}

/* Does the description's character after chars_seen characters, kept letters in, still count for
 * the fingerprint? Within its first fp_chars characters, until fp_letters letters are kept: what
 * comes after changes no kept letter (each character is lower-cased on its own), not even a
 * character the tables do not cover. */
static inline int fp_description(const Out *out, int32_t chars_seen, int64_t kept) {
    return chars_seen < out->fp_chars && kept < out->fp_letters;
}

/* Scans rows [0, n); the caller checked that tok can hold 2 * raw bytes + n. */
static int scan_rows(const Column *title, const Column *desc, int64_t n, Out *out) {
    int64_t pos = 0;
    Work work = {0};
    int oom = 0;
    out->tok_offsets[0] = 0;
    for (int64_t r = 0; r < n; r++) {
        const uint8_t *parts[2];
        int32_t lens[2];
        int has[2];
        has[0] = column_get(title, r, &parts[0], &lens[0]);
        has[1] = column_get(desc, r, &parts[1], &lens[1]);
        uint32_t flags = 0;
        int32_t chars[2] = {0, 0}, letters = 0, upper = 0, digits = 0, excl = 0, norm_digits = 0;
        int64_t start = pos;
        /* The fingerprint: the title's letters, '|', the letters of the description's start. */
        int fp_on = out->fp && has[0] && has[1], fp_bad = 0;
        int64_t fp_pos = 0, fp_kept = 0, fp_limit = INT64_MAX; /* (letters: the title's are all kept) */
        if (!has[0] && !has[1]) {
            flags = F_NULL;
            goto row_done;
        }
        unsigned raw_st = 0, tok_st = 0, raw_acc = 0, tok_acc = 0;
        STEP(tok_ac, tok_st, tok_space, tok_acc); /* the token automaton reads " " + tokens + " " */
        int pending = 0;        /* a separator since the last token character */
        int32_t gaps[MAX_GAPS], n_gaps = 0; /* where a space between two digits was written (from start) */
        int64_t token_at = pos; /* where the current token starts in tok */
        int in_token = 0, run = 0, after9 = -1, letter_gap = 0, prev_digit = 0;
        int marked = 0; /* a number word written with a marker: compose_numbers has work */
        int prev_kind = 0, touches = 0; /* kind: 1 a Cyrillic letter, 2 a digit, 0 anything else */
        int at = 0, latin = 0, ident = 0;  /* ident: length of the current [a-z_][a-z0-9_]* run */
        uint32_t hist = 0;
        for (int p = 0; p < 2; p++) {
            if (!has[p]) continue;
            if (p == 1 && fp_on) {
                out->fp[fp_pos++] = '|';
                fp_kept = 0;
                fp_limit = out->fp_letters;
            }
            if (p == 1 && has[0]) { /* the joining space: a separator */
                STEP(raw_ac, raw_st, raw_space, raw_acc);
                prev_kind = 0;
                ident = 0;
                END_TOKEN();
                in_token = 0;
                pending = 1;
            }
            const uint8_t *s = parts[p];
            int32_t i = 0, len = lens[p];
            while (i < len) {
                if (i + 1 < len && plain_at(s + i)) {
                    /* Plain lower-case Cyrillic words between single spaces (most of any text):
                     * only the token automaton sees each letter; counts and bytes are taken for
                     * the run, which ends as it starts, inside a token. */
                    TOKEN_CHARACTER(); /* (the digit run before it is closed after the run) */
                    PlainRun pr = {tok_st, tok_acc, hist, 0, 0};
                    int32_t j = plain_run(s, i, len, out->tok + pos, (int32_t)(pos - token_at), &pr);
                    int32_t count = (j - i - pr.spaces) / 2;
                    tok_st = pr.st, tok_acc = pr.acc, hist = pr.hist;
                    raw_st = 0;
                    if (pr.spaces) token_at = pos + (pr.word - i); /* the last word's token */
                    pos += j - i;
                    if (fp_on && (p == 0 || fp_description(out, chars[1], fp_kept))) { /* their own lower case */
                        int64_t kept = fp_plain_words(s, i, j, p == 0 ? INT64_MAX : out->fp_chars - chars[1],
                                                      fp_limit - fp_kept, out->fp + fp_pos);
                        fp_pos += 2 * kept;
                        fp_kept += kept;
                    }
                    chars[p] += count + pr.spaces;
                    letters += count;
                    touches += prev_kind == 2; /* a digit just before the first letter */
                    prev_kind = 1;
                    ident = 0;
                    if (run) { flags |= run_flags(run); run = 0; }
                    prev_digit = 0;
                    i = j;
                    continue;
                }
                uint8_t b = s[i];
                if (b == ' ') { /* the commonest separator: no count, class or hint but these */
                    chars[p]++;
                    prev_kind = 0;
                    ident = 0;
                    STEP(raw_ac, raw_st, raw_space, raw_acc);
                    END_TOKEN();
                    in_token = 0;
                    pending = 1;
                    i++;
                    continue;
                }
                uint32_t c;
                int w;
                if (b < 0x80) { c = b; w = 1; }
                else if (b < 0xE0) { c = ((uint32_t)(b & 0x1F) << 6) | (s[i + 1] & 0x3F); w = 2; }
                else if (b < 0xF0) {
                    c = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
                    w = 3;
                } else {
                    c = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12)
                      | ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
                    w = 4;
                }
                const Info *in = c < MAP_SIZE ? &info[c] : NULL;
                uint8_t k = in ? in->cls : class_of(c);
                if (k & C_UNKNOWN) { flags = F_FALLBACK; goto row_done; }
                if (fp_on && (p == 0 || fp_description(out, chars[1], fp_kept))
                    && fp_char(c, k, out->fp, &fp_pos, &fp_kept, fp_limit) < 0)
                    fp_bad = 1;
                chars[p]++;
                letters += k & C_LETTER;
                upper += (k & C_UPPER) >> 1;
                digits += (k & C_DIGIT) >> 2;
                excl += c == '!';
                int kind = in ? in->kind : (k & C_DIGIT) ? 2 : 0;
                touches += (prev_kind | kind) == 3;
                prev_kind = kind;
                if (c < 0x80) {
                    uint32_t l = c | 0x20; /* ASCII letters in lower case */
                    if ((l >= 'a' && l <= 'z') || c == '_') { if (++ident > latin) latin = ident; }
                    else if (c >= '0' && c <= '9') { if (ident) { if (++ident > latin) latin = ident; } }
                    else { ident = 0; at |= c == '@'; }
                } else ident = 0;
                STEP_FAST(raw_ac, raw_st, in ? in->raw_sym : 0, raw_acc);
                if (k & (C_LETTER | C_DIGIT)) {
                    int digit = (k & C_DIGIT) != 0;
                    /* "\d \d": a gap text_norm joins, so the digit run goes on across it */
                    if (pending && !(digit && prev_digit)) { if (run) flags |= run_flags(run); run = 0; }
                    int spaced = pending && pos > start;
                    TOKEN_CHARACTER();
                    if (spaced && digit && prev_digit) {
                        if (n_gaps < MAX_GAPS) gaps[n_gaps] = (int32_t)(pos - 1 - start);
                        n_gaps++;
                    }
                    if (digit) {
                        int gap = gap_before_digit(hist);
                        if (gap) flags |= F_DIGIT_GAP;
                        if (gap == 2) letter_gap = 1;
                        run++;
                        if (after9 >= 0) after9++;
                        else if (c == '9') after9 = 0;
                    } else if (run) {
                        flags |= run_flags(run);
                        run = 0;
                    }
                    prev_digit = digit;
                    if (in) {
                        memcpy(out->tok + pos, in->fold, 2); /* tok has room: see py_scan */
                        pos += in->fold_len;
                        STEP_FAST(tok_ac, tok_st, in->tok_sym, tok_acc);
                        hist = (hist << 8) | in->sym;
                    } else {
                        memcpy(out->tok + pos, s + i, (size_t)w);
                        pos += w;
                        STEP_FAST(tok_ac, tok_st, 0, tok_acc);
                        hist = (hist << 8) | (digit ? S_DIGIT : S_OTHER);
                    }
                } else {
                    END_TOKEN();
                    in_token = 0;
                    pending = 1;
                }
                i += w;
            }
        }
        END_TOKEN();
        flags |= run_flags(run);
        if (after9 >= 9) flags |= F_SPREAD9;
        if (touches >= 2) flags |= F_GLUED2;
        STEP(tok_ac, tok_st, tok_space, tok_acc);
        flags |= (uint32_t)((raw_acc | tok_acc >> 3) & 7) << F_NEEDLES_SHIFT;
        flags |= (uint32_t)(tok_acc & 7) << (F_NEEDLES_SHIFT + RAW_SETS);
        if (at) flags |= F_AT;
        if (latin >= 4) flags |= F_LATIN4;
        norm_digits = digits;
        if (flags & F_NUMBER_WORD) {
            /* _deobfuscate: number words composed ("9H 2T 8" -> "928"), then letters standing
             * for digits and the gaps between digits, then the digit flags of the result */
            uint8_t *t = out->tok + start;
            int32_t m = (int32_t)(pos - start);
            if (marked && (m = compose_numbers(t, m, &work)) < 0) { oom = 1; break; }
            if (letter_between_digits(t, m, 0xBE)) m = letter_pass(t, m, 0x43E, '0');
            if (letter_between_digits(t, m, 0xB7)) m = letter_pass(t, m, 0x437, '3');
            m = join_digits(t, m);
            flags = (flags & ~(uint32_t)DIGIT_FLAGS) | digit_flags(t, m, &norm_digits);
            pos = start + m;
        } else if (flags & F_DIGIT_GAP) {
            /* text_norm of a row without number words: letters standing for digits, then the
             * spaces between digits, undone as _join_digits(_letters_as_digits(tokens)) does */
            uint8_t *t = out->tok + start;
            int32_t m = (int32_t)(pos - start);
            if (letter_gap) { /* rare: the exact regex passes, then the digit flags again */
                m = letter_pass(t, m, 0x43E, '0');
                m = letter_pass(t, m, 0x437, '3');
                m = join_digits(t, m);
                flags = (flags & ~(uint32_t)DIGIT_FLAGS) | digit_flags(t, m, &norm_digits);
            } else { /* no token needle holds a digit, and the digit runs were counted joined */
                m = n_gaps <= MAX_GAPS ? without_gaps(t, m, gaps, n_gaps) : join_digits(t, m);
            }
            pos = start + m;
        }
        if ((flags & F_SPREAD9) && !(flags & F_REQUISITE_HINT)) {
            flags |= F_PHONE_DECIDED;
            if (one_phone(out->tok + start, (int32_t)(pos - start))) flags |= F_ONE_PHONE;
        }
    row_done:
        if (out->fp) {
            out->fp_state[r] = !fp_on ? 0 : (fp_bad || (flags & F_FALLBACK)) ? 2 : 1;
            out->fp_hash[r] = out->fp_state[r] == 1 ? letters_hash(out->fp, fp_pos) : 0;
        }
        if (flags & F_FALLBACK) {
            pos = start;
            chars[0] = chars[1] = letters = upper = digits = excl = norm_digits = 0;
        }
        out->norm_digits[r] = norm_digits;
        out->tok_offsets[r + 1] = pos;
        out->title_chars[r] = chars[0];
        out->description_chars[r] = chars[1];
        out->letters[r] = letters;
        out->upper[r] = upper;
        out->digits[r] = digits;
        out->exclamations[r] = excl;
        out->flags[r] = flags;
    }
    free(work.spans[0]);
    free(work.spans[1]);
    free(work.arena[0]);
    free(work.arena[1]);
    return oom ? -1 : 0;
}

static void total_bytes(const Column *c, int64_t n, int64_t *total) {
    for (int64_t r = 0; r < n; r++) {
        const uint8_t *s;
        int32_t len;
        if (column_get(c, r, &s, &len)) *total += len;
    }
}

/* The bytes of the longest string of c's first n rows. */
static int64_t longest(const Column *c, int64_t n) {
    int64_t most = 0;
    for (int64_t r = 0; r < n; r++) {
        const uint8_t *s;
        int32_t len;
        if (column_get(c, r, &s, &len) && len > most) most = len;
    }
    return most;
}

/* scan(title_spec, description_spec, n, tok_offsets, tok, title_chars, description_chars,
 *      letters, upper, digits, exclamations, norm_digits, flags
 *      [, fp_hash, fp_state, fp_chars, fp_letters]) -> bytes used in tok
 * tok: text_norm of every row (null and fallback rows aside); norm_digits: its digits. With the
 * fp buffers, also what fingerprint_hash(..., fp_chars, fp_letters) gives. */
static PyObject *py_scan(PyObject *self, PyObject *args) {
    PyObject *tspec, *dspec, *o_off, *o_tok, *o_tc, *o_dc, *o_let, *o_up, *o_dig, *o_ex, *o_nd, *o_fl;
    PyObject *o_fph = NULL, *o_fps = NULL;
    long long n, fp_chars = 0, fp_letters = 0;
    if (!tables_ready) { PyErr_SetString(PyExc_RuntimeError, "_textscan.init() was not called"); return NULL; }
    if (!PyArg_ParseTuple(args, "OOLOOOOOOOOOO|OOLL", &tspec, &dspec, &n, &o_off, &o_tok, &o_tc, &o_dc, &o_let,
                          &o_up, &o_dig, &o_ex, &o_nd, &o_fl, &o_fph, &o_fps, &fp_chars, &fp_letters))
        return NULL;
    if (o_fph && (!o_fps || fp_chars < 0 || fp_letters < 0)) {
        PyErr_SetString(PyExc_ValueError, "the fingerprint needs fp_hash, fp_state, fp_chars >= 0, fp_letters >= 0");
        return NULL;
    }
    Column title, desc;
    Py_buffer b[12];
    uint8_t *scratch = NULL;
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    memset(&desc, 0, sizeof(desc));
    if (column_from(tspec, n, &title) < 0) { column_release(&title); return NULL; }
    if (column_from(dspec, n, &desc) < 0) goto done;
    int64_t raw = 0;
    total_bytes(&title, n, &raw);
    total_bytes(&desc, n, &raw);
    /* folding can turn a one-byte Latin letter into a two-byte Cyrillic one; one joining space */
    int64_t need = 2 * raw + n + 8; /* + 8: a folded character is copied as two bytes */
    if (writable(o_off, &b[0], (Py_ssize_t)(8 * (n + 1)), "tok_offsets") < 0) goto done;
    if (writable(o_tok, &b[1], (Py_ssize_t)need, "tok") < 0) goto done;
    PyObject *ints[] = {o_tc, o_dc, o_let, o_up, o_dig, o_ex, o_nd};
    const char *names[] = {"title_chars", "description_chars", "letters", "upper", "digits", "exclamations",
                           "norm_digits"};
    for (int k = 0; k < 7; k++)
        if (writable(ints[k], &b[2 + k], (Py_ssize_t)(4 * n), names[k]) < 0) goto done;
    if (writable(o_fl, &b[9], (Py_ssize_t)(4 * n), "flags") < 0) goto done;
    Out out = {b[0].buf, b[1].buf, b[2].buf, b[3].buf, b[4].buf, b[5].buf, b[6].buf, b[7].buf, b[8].buf,
               b[9].buf, NULL, NULL, NULL, fp_chars, fp_letters};
    if (o_fph) {
        if (writable(o_fph, &b[10], (Py_ssize_t)(8 * n), "fp_hash") < 0) goto done;
        if (writable(o_fps, &b[11], (Py_ssize_t)n, "fp_state") < 0) goto done;
        if (!(scratch = malloc((size_t)fingerprint_room(longest(&title, n), fp_letters)))) { PyErr_NoMemory(); goto done; }
        out.fp_hash = b[10].buf, out.fp = scratch, out.fp_state = b[11].buf;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = scan_rows(&title, &desc, n, &out);
    Py_END_ALLOW_THREADS
    if (rc < 0) { PyErr_NoMemory(); goto done; }
    result = PyLong_FromLongLong(out.tok_offsets[n]);
done:
    for (int k = 0; k < 12; k++) if (b[k].obj) PyBuffer_Release(&b[k]);
    free(scratch);
    column_release(&title);
    column_release(&desc);
    return result;
}

/* ---- fingerprint text ------------------------------------------------------------------------ */
/* Lower-cased letters of s (its first max_chars characters; at most keep letters kept; keep < 0:
 * all). Returns bytes written, or -1 when a character is not covered by the tables. */
static int64_t letters_of(const uint8_t *s, int32_t len, int64_t max_chars, int64_t keep, uint8_t *o) {
    int32_t i = 0;
    int64_t chars = 0, kept = 0, w = 0;
    const int64_t limit = max_chars < 0 ? INT64_MAX : max_chars, keep_limit = keep < 0 ? INT64_MAX : keep;
    while (i < len && chars < limit && kept < keep_limit) { /* (past the letter budget nothing counts) */
        /* A run of plain lower-case Cyrillic letters (most of any text) is its own fingerprint:
         * copied as it is, within the character and letter budgets. */
        if (i + 1 < len && plain_at(s + i)) {
            int32_t j = plain_span(s, i + 2, len);
            int64_t run = (j - i) >> 1, copied;
            if (run > limit - chars) run = limit - chars;
            copied = run < keep_limit - kept ? run : keep_limit - kept;
            memcpy(o + w, s + i, (size_t)(2 * copied));
            w += 2 * copied;
            chars += run;
            kept += copied;
            i += 2 * (int32_t)run;
            continue;
        }
        if (s[i] == ' ') { /* the commonest non-letter */
            i++;
            chars++;
            continue;
        }
        uint32_t c = decode(s, &i);
        chars++;
        if (fp_char(c, class_of(c), o, &w, &kept, keep_limit) < 0) return -1;
    }
    return w;
}

/* fingerprint_hash(title_spec, description_spec, n, hashes, state, desc_chars, desc_letters).
 * Per row letters_hash of "letters(title)|letters(description[:desc_chars])[:desc_letters]";
 * state[r] = 0 when either is null (no fingerprint), 2 when the row needs the reference (a
 * character the tables do not cover), 1 otherwise (hashes[r] is 0 unless 1). */
static PyObject *py_fingerprint_hash(PyObject *self, PyObject *args) {
    PyObject *tspec, *dspec, *o_hash, *o_state;
    long long n, desc_chars, desc_letters;
    if (!tables_ready) { PyErr_SetString(PyExc_RuntimeError, "_textscan.init() was not called"); return NULL; }
    if (!PyArg_ParseTuple(args, "OOLOOLL", &tspec, &dspec, &n, &o_hash, &o_state, &desc_chars, &desc_letters))
        return NULL;
    if (desc_chars < 0 || desc_letters < 0) {
        PyErr_SetString(PyExc_ValueError, "desc_chars and desc_letters must be >= 0");
        return NULL;
    }
    Column title, desc;
    Py_buffer b[2];
    memset(b, 0, sizeof(b));
    memset(&desc, 0, sizeof(desc));
    PyObject *result = NULL;
    uint8_t *scratch = NULL;
    if (column_from(tspec, n, &title) < 0) { column_release(&title); return NULL; }
    if (column_from(dspec, n, &desc) < 0) goto done;
    if (writable(o_hash, &b[0], (Py_ssize_t)(8 * n), "hashes") < 0) goto done;
    if (writable(o_state, &b[1], (Py_ssize_t)n, "state") < 0) goto done;
    if (!(scratch = malloc((size_t)fingerprint_room(longest(&title, n), desc_letters)))) { PyErr_NoMemory(); goto done; }
    uint64_t *hashes = b[0].buf;
    uint8_t *state = b[1].buf;
    Py_BEGIN_ALLOW_THREADS
    for (int64_t r = 0; r < n; r++) {
        const uint8_t *ts, *ds;
        int32_t tl, dl;
        int ht = column_get(&title, r, &ts, &tl), hd = column_get(&desc, r, &ds, &dl);
        hashes[r] = 0;
        if (!ht || !hd) {
            state[r] = 0;
            continue;
        }
        int64_t a = letters_of(ts, tl, -1, -1, scratch);
        int64_t c = a < 0 ? -1 : letters_of(ds, dl, desc_chars, desc_letters, scratch + a + 1);
        if (a < 0 || c < 0) {
            state[r] = 2;
            continue;
        }
        scratch[a] = '|';
        hashes[r] = letters_hash(scratch, a + 1 + c);
        state[r] = 1;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    for (int k = 0; k < 2; k++) if (b[k].obj) PyBuffer_Release(&b[k]);
    free(scratch);
    column_release(&title);
    column_release(&desc);
    return result;
}

/* hash_texts(spec, n, hashes, valid): letters_hash of each string (the fingerprint letters that
 * the reference wrote for rows fingerprint_hash leaves to it); valid[r] = 0 for a null. */
static PyObject *py_hash_texts(PyObject *self, PyObject *args) {
    PyObject *spec, *o_hash, *o_valid;
    long long n;
    if (!PyArg_ParseTuple(args, "OLOO", &spec, &n, &o_hash, &o_valid)) return NULL;
    Column c;
    Py_buffer b[2];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (column_from(spec, n, &c) < 0) goto done;
    if (writable(o_hash, &b[0], (Py_ssize_t)(8 * n), "hashes") < 0) goto done;
    if (writable(o_valid, &b[1], (Py_ssize_t)n, "valid") < 0) goto done;
    uint64_t *hashes = b[0].buf;
    uint8_t *valid = b[1].buf;
    Py_BEGIN_ALLOW_THREADS
    for (int64_t r = 0; r < n; r++) {
        const uint8_t *s;
        int32_t len;
        valid[r] = (uint8_t)column_get(&c, r, &s, &len);
        hashes[r] = valid[r] ? letters_hash(s, len) : 0;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    for (int k = 0; k < 2; k++) if (b[k].obj) PyBuffer_Release(&b[k]);
    column_release(&c);
    return result;
}

/* Is one of rows[0..m) outside [0, height)? (IndexError set then.) */
static int rows_outside(const int64_t *rows, int64_t m, int64_t height) {
    for (int64_t k = 0; k < m; k++) {
        if (rows[k] < 0 || rows[k] >= height) {
            PyErr_Format(PyExc_IndexError, "row %lld is outside the %lld rows", (long long)rows[k], (long long)height);
            return 1;
        }
    }
    return 0;
}

/* ---- lower-cased raw text ------------------------------------------------------------------- */
/* s[0..n) lower-cased as text.py's _LOWER map has it (A-Z, А-Я; Ё and ё as е) into o: every
 * mapped character keeps its length in UTF-8, so o gets n bytes. A two-byte character led by
 * D0 / D1 (Cyrillic) is looked up in lower2 (its two bytes as they go out), without branches
 * on which letter it is. */
static uint16_t lower2[128]; /* by ((lead & 1) << 6) | (second byte & 0x3F) */

static void lower_bytes(const uint8_t *s, int32_t n, uint8_t *o) {
    int32_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if ((b & 0xFE) == 0xD0 && i + 1 < n) {
            uint16_t v = lower2[((b & 1) << 6) | (s[i + 1] & 0x3F)];
            memcpy(o + i, &v, 2);
            i += 2;
        } else {
            o[i++] = (uint8_t)(b + (((unsigned)(b - 'A') < 26u) << 5));
        }
    }
}

static void lower2_init(void) {
    for (uint32_t k = 0; k < 128; k++) {
        uint32_t c = ((0x10u | (k >> 6)) << 6) | (k & 0x3F); /* U+0400..U+047F */
        if (c >= 0x410 && c <= 0x42F) c += 0x20;
        else if (c == 0x401 || c == 0x451) c = 0x435;
        uint8_t out[2] = {(uint8_t)(0xC0 | (c >> 6)), (uint8_t)(0x80 | (c & 0x3F))};
        memcpy(&lower2[k], out, 2);
    }
}

/* lower_text(title_spec, description_spec, rows, offsets, data, valid) -> bytes used.
 * For each row index in rows (int64): title + " " + description (a null one left out, no space
 * then), lower-cased by lower_bytes; valid[k] = 0 where both are null. */
static PyObject *py_lower_text(PyObject *self, PyObject *args) {
    PyObject *tspec, *dspec, *o_rows, *o_off, *o_data, *o_valid;
    if (!PyArg_ParseTuple(args, "OOOOOO", &tspec, &dspec, &o_rows, &o_off, &o_data, &o_valid)) return NULL;
    Column title, desc;
    Py_buffer b[4];
    memset(b, 0, sizeof(b));
    memset(&desc, 0, sizeof(desc));
    PyObject *result = NULL;
    if (column_from(tspec, 0, &title) < 0) { column_release(&title); return NULL; }
    if (column_from(dspec, 0, &desc) < 0) goto done;
    if (PyObject_GetBuffer(o_rows, &b[0], PyBUF_SIMPLE) < 0) goto done;
    int64_t m = b[0].len / 8, height = column_rows(&title);
    if (column_rows(&desc) < height) height = column_rows(&desc);
    const int64_t *rows = b[0].buf;
    if (rows_outside(rows, m, height)) goto done;
    int64_t need = 0;
    for (int64_t k = 0; k < m; k++) {
        const uint8_t *s;
        int32_t len;
        if (column_get(&title, rows[k], &s, &len)) need += len + 1;
        if (column_get(&desc, rows[k], &s, &len)) need += len;
    }
    if (writable(o_off, &b[1], (Py_ssize_t)(8 * (m + 1)), "offsets") < 0) goto done;
    if (writable(o_data, &b[2], (Py_ssize_t)need, "data") < 0) goto done;
    if (writable(o_valid, &b[3], (Py_ssize_t)m, "valid") < 0) goto done;
    int64_t *off = b[1].buf;
    uint8_t *data = b[2].buf, *valid = b[3].buf;
    Py_BEGIN_ALLOW_THREADS
    int64_t pos = 0;
    off[0] = 0;
    for (int64_t k = 0; k < m; k++) {
        const uint8_t *ts = NULL, *ds = NULL;
        int32_t tl = 0, dl = 0;
        int ht = column_get(&title, rows[k], &ts, &tl), hd = column_get(&desc, rows[k], &ds, &dl);
        if (ht) { lower_bytes(ts, tl, data + pos); pos += tl; }
        if (ht && hd) data[pos++] = ' ';
        if (hd) { lower_bytes(ds, dl, data + pos); pos += dl; }
        valid[k] = ht || hd;
        off[k + 1] = pos;
    }
    Py_END_ALLOW_THREADS
    result = PyLong_FromLongLong(off[m]);
done:
    for (int k = 0; k < 4; k++) if (b[k].obj) PyBuffer_Release(&b[k]);
    column_release(&title);
    column_release(&desc);
    return result;
}

/* ---- the phone in a text ------------------------------------------------------------------------ */
/* _PHONE_RE = (?:^|\D)(ONE)(?:ONE)*(?:\D|$), ONE = [78]\d{10} | 9\d{9} | 89\d{8}: the first run of
 * digits made only of phones; group 1 its first phone, the alternatives tried in that order. */

/* Can the digits d[0..n) be cut into phones? */
static int phones_only(const uint8_t *d, int32_t n) {
    if (n == 0) return 1;
    if (n >= 11 && (d[0] == '7' || d[0] == '8') && phones_only(d + 11, n - 11)) return 1;
    if (n >= 10 && d[0] == '9' && phones_only(d + 10, n - 10)) return 1;
    return n >= 10 && d[0] == '8' && d[1] == '9' && phones_only(d + 10, n - 10);
}

/* The length of group 1 for a run of digits d[0..n) that is only phones, else 0. */
static int first_phone(const uint8_t *d, int32_t n) {
    if (n >= 11 && (d[0] == '7' || d[0] == '8') && phones_only(d + 11, n - 11)) return 11;
    if (n >= 10 && d[0] == '9' && phones_only(d + 10, n - 10)) return 10;
    if (n >= 10 && d[0] == '8' && d[1] == '9' && phones_only(d + 10, n - 10)) return 10;
    return 0;
}

/* Of s[0..n): the character offset of the last ten digits of _PHONE_RE's group 1; -1 when it
 * does not match; -2 when a digit outside ASCII makes the regex the judge. */
static int32_t phone_at(const uint8_t *s, int32_t n) {
    int32_t i = 0, chars = 0;
    while (i < n) {
        if ((unsigned)(s[i] - '0') < 10) {
            int32_t a = i, at = chars;
            while (i < n && (unsigned)(s[i] - '0') < 10) i++;
            chars += i - a;
            if (i < n && s[i] >= 0x80 && !(s[i] == 0xD0 || s[i] == 0xD1)) { /* a digit of another script next? */
                int32_t j = i;
                if (class_of(decode(s, &j)) & (C_DIGIT | C_UNKNOWN)) return -2;
            }
            int len = i - a >= 10 ? first_phone(s + a, i - a) : 0;
            if (len) return at + len - 10;
            continue;
        }
        if (s[i] >= 0x80 && !(s[i] == 0xD0 || s[i] == 0xD1)) {
            int32_t j = i;
            if (class_of(decode(s, &j)) & (C_DIGIT | C_UNKNOWN)) return -2;
            i = j;
        } else {
            i += s[i] < 0x80 ? 1 : 2;
        }
        chars++;
    }
    return -1;
}

/* phone_at(spec, rows, out): for each row index in rows (int64), phone_at of the string there
 * (-1 for a null one) into out (int32). */
static PyObject *py_phone_at(PyObject *self, PyObject *args) {
    PyObject *spec, *o_rows, *o_out;
    if (!tables_ready) { PyErr_SetString(PyExc_RuntimeError, "_textscan.init() was not called"); return NULL; }
    if (!PyArg_ParseTuple(args, "OOO", &spec, &o_rows, &o_out)) return NULL;
    Column col;
    Py_buffer b[2];
    memset(b, 0, sizeof(b));
    PyObject *result = NULL;
    if (column_from(spec, 0, &col) < 0) goto done;
    if (PyObject_GetBuffer(o_rows, &b[0], PyBUF_SIMPLE) < 0) goto done;
    int64_t m = b[0].len / 8, height = column_rows(&col);
    const int64_t *rows = b[0].buf;
    if (rows_outside(rows, m, height)) goto done;
    if (writable(o_out, &b[1], (Py_ssize_t)(4 * m), "out") < 0) goto done;
    int32_t *out = b[1].buf;
    Py_BEGIN_ALLOW_THREADS
    for (int64_t k = 0; k < m; k++) {
        const uint8_t *s = NULL;
        int32_t len = 0;
        out[k] = column_get(&col, rows[k], &s, &len) ? phone_at(s, len) : -1;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    for (int k = 0; k < 2; k++) if (b[k].obj) PyBuffer_Release(&b[k]);
    column_release(&col);
    return result;
}

/* ---- init ------------------------------------------------------------------------------------ */
static int copy_table(PyObject *obj, void *dst, Py_ssize_t bytes, const char *name) {
    Py_buffer b;
    if (PyObject_GetBuffer(obj, &b, PyBUF_SIMPLE) < 0) return -1;
    if (b.len != bytes) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, expected %zd", name, b.len, bytes);
        PyBuffer_Release(&b);
        return -1;
    }
    memcpy(dst, b.buf, (size_t)bytes);
    PyBuffer_Release(&b);
    return 0;
}

static int load_automaton(PyObject *o_next, Automaton *ac, const char *name) {
    Py_buffer nb;
    if (PyObject_GetBuffer(o_next, &nb, PyBUF_SIMPLE) < 0) return -1;
    int64_t states = nb.len / (ALPHABET * 2);
    int ok = states > 0 && states <= (1 << STATE_BITS) && nb.len == states * ALPHABET * 2;
    if (ok) {
        ac->states = (int)states;
        ac->next = malloc((size_t)nb.len);
        memcpy(ac->next, nb.buf, (size_t)nb.len);
        for (int64_t k = 0; k < states * ALPHABET; k++)
            if ((ac->next[k] & STATE_MASK) >= states) ok = 0;
        for (int k = 0; k < ALPHABET; k++) ac->leaves_root[k] = ac->next[k] != 0;
    }
    PyBuffer_Release(&nb);
    if (!ok) PyErr_Format(PyExc_ValueError, "%s: not an automaton (states x %d uint16, at most %d states)", name, ALPHABET, 1 << STATE_BITS);
    return ok ? 0 : -1;
}

/* A list of bytes objects into words / lengths (at most MAX_UNITS). */
static int load_words(PyObject *list, uint8_t **out, int *lens, int *count) {
    PyObject *seq = PySequence_Fast(list, "units must be a sequence of bytes");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > MAX_UNITS) { Py_DECREF(seq); PyErr_SetString(PyExc_ValueError, "too many units"); return -1; }
    for (Py_ssize_t k = 0; k < n; k++) {
        char *s;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(PySequence_Fast_GET_ITEM(seq, k), &s, &len) < 0) { Py_DECREF(seq); return -1; }
        out[k] = malloc((size_t)len + 1);
        memcpy(out[k], s, (size_t)len);
        lens[k] = (int)len;
    }
    *count = (int)n;
    Py_DECREF(seq);
    return 0;
}

static int utf8_of(uint16_t c, uint8_t *o) {
    if (c < 0x80) { o[0] = (uint8_t)c; return 1; }
    o[0] = (uint8_t)(0xC0 | (c >> 6));
    o[1] = (uint8_t)(0x80 | (c & 0x3F));
    return 2;
}

/* init(classes, fold, fp_lower, number_words, units, unit_prefixes, raw_next, raw_symbols, tok_next,
 *      tok_symbols)
 * raw_symbols[c]: the raw automaton's symbol for code point c (< U+0800) once lower-cased;
 * tok_symbols[c]: the token automaton's symbol for c once folded. */
static PyObject *py_init(PyObject *self, PyObject *args) {
    PyObject *o_cls, *o_fold, *o_fp, *o_words, *o_units, *o_prefixes, *o_rn, *o_rs, *o_tn, *o_ts;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOO", &o_cls, &o_fold, &o_fp, &o_words, &o_units, &o_prefixes, &o_rn, &o_rs,
                          &o_tn, &o_ts))
        return NULL;
    if (tables_ready) { PyErr_SetString(PyExc_RuntimeError, "_textscan.init() may be called once"); return NULL; }
    static uint16_t fold_map[MAP_SIZE];
    static uint8_t raw_symbols[MAP_SIZE], tok_symbols[MAP_SIZE];
    if (copy_table(o_cls, cls, sizeof(cls), "classes") < 0) return NULL;
    if (copy_table(o_fold, fold_map, sizeof(fold_map), "fold") < 0) return NULL;
    if (copy_table(o_fp, fp_lower, sizeof(fp_lower), "fp_lower") < 0) return NULL;
    if (copy_table(o_rs, raw_symbols, sizeof(raw_symbols), "raw_symbols") < 0) return NULL;
    if (copy_table(o_ts, tok_symbols, sizeof(tok_symbols), "tok_symbols") < 0) return NULL;
    for (uint16_t c = 0; c < MAP_SIZE; c++) {
        if (raw_symbols[c] >= ALPHABET || tok_symbols[c] >= ALPHABET) {
            PyErr_SetString(PyExc_ValueError, "automaton symbol out of range");
            return NULL;
        }
        info[c].cls = cls[c];
        info[c].fold_len = (uint8_t)utf8_of(fold_map[c] ? fold_map[c] : c, info[c].fold);
        info[c].raw_sym = raw_symbols[c];
        info[c].tok_sym = tok_symbols[c];
        info[c].kind = ((c >= 0x410 && c <= 0x44F) || c == 0x401 || c == 0x451) ? 1 : (cls[c] & C_DIGIT) ? 2 : 0;
        uint16_t folded = fold_map[c] ? fold_map[c] : c;
        info[c].sym = (cls[c] & C_DIGIT) ? S_DIGIT : (folded == 0x43E || folded == 0x437) ? S_OZ : S_OTHER;
        info[c].plain = c >= 0x430 && c <= 0x44F && folded == c && (cls[c] & (C_LETTER | C_UPPER)) == C_LETTER;
    }
    for (uint32_t c = 0x430; c <= 0x44F; c++) {
        if (!info[c].plain) { /* plain_span takes every one of а-я for one */
            PyErr_Format(PyExc_ValueError, "U+%04X is not a plain letter (lower case, folded to itself)", c);
            return NULL;
        }
        if (info[c].raw_sym) { /* plain_run leaves the raw automaton at its root */
            PyErr_Format(PyExc_ValueError, "raw needles hold U+%04X: put them in the token automaton", c);
            return NULL;
        }
    }
    for (uint32_t c = 0; c < MAP_SIZE; c++) {
        uint32_t l = fp_lower[c] ? fp_lower[c] : c;
        FpChar *f = &fp_small[c];
        if (fp_lower[c] == 0xFFFFFFFFu || l >= MAP_SIZE || (class_of(l) & C_UNKNOWN)) f->action = FP_UNKNOWN;
        else if (class_of(l) & C_LETTER) { f->action = FP_KEEP; f->len = (uint8_t)utf8_of((uint16_t)l, f->bytes); }
        else f->action = FP_DROP;
    }
    raw_space = raw_symbols[' '];
    tok_space = tok_symbols[' '];
    PyObject *seq = PySequence_Fast(o_words, "number words must be a sequence of (word, replacement)");
    if (!seq) return NULL;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
        char *s, *r;
        Py_ssize_t len, rlen;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, k), "y#y#", &s, &len, &r, &rlen)) { Py_DECREF(seq); return NULL; }
        if (len < 4 || rlen < 1 || rlen > 4 || rlen > len) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "a number word is longer than 4 bytes, its replacement 1-4 bytes and shorter");
            return NULL;
        }
        unsigned key = word_key((const uint8_t *)s, (int)len), slot = key & (WORD_SLOTS - 1);
        while (words[slot]) slot = (slot + 1) & (WORD_SLOTS - 1);
        words[slot] = malloc((size_t)len);
        memcpy(words[slot], s, (size_t)len);
        word_len[slot] = (int)len;
        memcpy(word_repl[slot], r, (size_t)rlen);
        word_repl_len[slot] = (int)rlen;
        word_marked[slot] = memchr(r, MARK_H, (size_t)rlen) || memchr(r, MARK_T, (size_t)rlen);
        word_seen[key >> 3] |= (uint8_t)(1 << (key & 7));
        if (len < word_min) word_min = (int)len;
        if (len > word_max) word_max = (int)len;
    }
    Py_DECREF(seq);
    if (load_words(o_units, units, unit_len, &n_units) < 0) return NULL;
    if (load_words(o_prefixes, unit_prefixes, prefix_len, &n_prefixes) < 0) return NULL;
    if (load_automaton(o_rn, &raw_ac, "raw automaton") < 0) return NULL;
    if (load_automaton(o_tn, &tok_ac, "token automaton") < 0) return NULL;
    if (raw_ac.leaves_root[raw_space]) { /* plain_run goes across spaces at the raw automaton's root */
        PyErr_SetString(PyExc_ValueError, "a raw needle starts with a space: plain_run would miss it");
        return NULL;
    }
    for (uint32_t c = 0x430; c <= 0x44F; c++)
        plain_tok[(0xC0 | c >> 6) ^ (0x80 | (c & 0x3F))] = info[c].tok_sym;
    lower2_init();
    tables_ready = 1;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"init", py_init, METH_VARARGS, "Load the Unicode tables, number words and needle sets (once)."},
    {"scan", py_scan, METH_VARARGS, "Tokenise, count and flag title + description of each row."},
    {"fingerprint_hash", py_fingerprint_hash, METH_VARARGS, "Hash of the letters of title and description start."},
    {"hash_texts", py_hash_texts, METH_VARARGS, "The fingerprint letters' hash of each string."},
    {"lower_text", py_lower_text, METH_VARARGS, "Lower-cased title + description of some rows."},
    {"phone_at", py_phone_at, METH_VARARGS, "Where the phone _PHONE_RE finds in some rows is."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_textscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__textscan(void) { return PyModule_Create(&module); }
