/*
 * tessera_json.h: plain C interface to the simdjson shim.
 *
 * A parser handle parses one document at a time with simdjson's DOM parser, then walks the DOM once
 * and flattens it into a tape of nodes in document order (pre-order) plus a string arena holding the
 * unescaped UTF-8 bytes of every key and string value. The tape and the arena are owned by the
 * handle and stay valid until the next parse or until the handle is destroyed; callers copy them.
 *
 * Tape layout: node 0 is the root. A container's members or elements follow it; each child's subtree
 * ends where its `end` says, so the next sibling of node i is node `end` and a container's subtree is
 * the half-open range [i, end). Object members carry their key on the value node.
 */
#ifndef TESSERA_JSON_H
#define TESSERA_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kind of a node, kept in the low 8 bits of `tj_node.info`. */
enum {
    TJ_KIND_NULL = 0,
    TJ_KIND_BOOL = 1,   /* payload.int_value is 0 or 1 */
    TJ_KIND_INT = 2,    /* payload.int_value */
    TJ_KIND_UINT = 3,   /* payload.uint_value; only for values above INT64_MAX */
    TJ_KIND_DOUBLE = 4, /* payload.double_value; also integers beyond the 64-bit range */
    TJ_KIND_STRING = 5, /* payload.string */
    TJ_KIND_ARRAY = 6,  /* payload.container */
    TJ_KIND_OBJECT = 7  /* payload.container */
};

/* Bytes of the string arena: the offset of the first byte and the byte count. */
typedef struct tj_span {
    uint32_t offset;
    uint32_t length;
} tj_span;

/* Figures of an array or object. */
typedef struct tj_container {
    uint32_t count;          /* members of an object, elements of an array */
    uint32_t longest_string; /* byte length of the longest key or string value in the subtree */
} tj_container;

typedef union tj_payload {
    int64_t int_value;
    uint64_t uint_value;
    double double_value;
    tj_span string;
    tj_container container;
} tj_payload;

/* One value of the document: 24 bytes. */
typedef struct tj_node {
    tj_span key;        /* the member's key when the parent is an object, else {0, 0} */
    uint32_t end;       /* index one past the last node of this value's subtree */
    uint32_t info;      /* kind in bits 0-7; for containers the height of the subtree in bits 8-31 */
    tj_payload payload;
} tj_node;

/* Outcome of a parse. */
typedef enum tj_status {
    TJ_OK = 0,
    TJ_EMPTY,             /* no value: empty input or only whitespace */
    TJ_INVALID_UTF8,      /* the input is not valid UTF-8 */
    TJ_TOO_DEEP,          /* arrays and objects nest deeper than the handle's maximum depth */
    TJ_TOO_LARGE,         /* the input exceeds 4 GiB, the most simdjson and the 32-bit tape address */
    TJ_OUT_OF_MEMORY,     /* a buffer could not be allocated */
    TJ_BAD_STRUCTURE,     /* misplaced or missing comma, colon, brace or bracket; trailing content */
    TJ_BAD_STRING,        /* an invalid escape sequence or a lone surrogate in a string */
    TJ_UNESCAPED_CONTROL, /* a control character that must be escaped inside a string */
    TJ_UNCLOSED_STRING,   /* a string without its closing quote */
    TJ_BAD_LITERAL,       /* a misspelt true, false or null */
    TJ_BAD_NUMBER,        /* a malformed number, or one out of the range of a double */
    TJ_INTERNAL_ERROR     /* simdjson reported something this shim does not expect */
} tj_status;

/* The tape and arena of the last successful parse. */
typedef struct tj_document {
    const tj_node *nodes;
    size_t node_count;
    const uint8_t *strings;
    size_t string_length;
} tj_document;

typedef struct tj_parser tj_parser;

/*
 * Creates a parser that accepts arrays and objects nested up to `max_depth` levels (a scalar root is
 * depth 0, `[]` is depth 1). Returns NULL when memory cannot be allocated. Not thread-safe: use one
 * handle per thread at a time.
 */
tj_parser *tj_parser_create(size_t max_depth);

/* Frees the handle and everything it owns. Accepts NULL. */
void tj_parser_destroy(tj_parser *parser);

/*
 * Parses `length` bytes at `bytes` (which may be NULL when `length` is 0). The input is copied into a
 * padded buffer owned by the handle, so it needs no padding and is not retained. Integers beyond the
 * 64-bit range are read as doubles. On TJ_OK, `tj_parser_document` describes the result.
 */
tj_status tj_parse(tj_parser *parser, const uint8_t *bytes, size_t length);

/* The tape and arena of the last successful parse; empty after a failed one. */
tj_document tj_parser_document(const tj_parser *parser);

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_JSON_H */
