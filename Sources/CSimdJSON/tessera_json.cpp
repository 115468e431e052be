// tessera_json.cpp: parses with simdjson's DOM parser and flattens the parsed document into the tape
// described in tessera_json.h.
//
// The flattening reads the DOM document's own tape (`document::tape` and `document::string_buf`,
// laid out as simdjson's doc/tape.md describes) in one linear pass. Walking the same document through
// the element/array/object iterators cost about as much as the parse itself on ~700-byte events;
// this pass costs about half of it. simdjson's inline accessors, which we would otherwise call, read
// exactly these words, so this relies on no layout the public API does not already compile in; the
// static_assert below pins the major version.
#include "tessera_json.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <vector>

namespace {

// The largest input accepted: every offset into the input, the arena and the tape fits in 32 bits.
constexpr size_t max_input_length = size_t(std::numeric_limits<uint32_t>::max()) - simdjson::SIMDJSON_PADDING;

// A buffer of trivially copyable values that grows to the largest size asked for and never shrinks,
// so that a handle parsing similar documents allocates nothing after the first few parses.
template <typename T>
struct growable_buffer {
    std::unique_ptr<T[]> storage;
    size_t capacity = 0;

    void reserve(size_t wanted) {
        if (wanted <= capacity) { return; }
        size_t grown = std::max(wanted, capacity + capacity / 2);
        storage.reset(new T[grown]);
        capacity = grown;
    }
};

static_assert(simdjson::SIMDJSON_VERSION_MAJOR == 3, "the tape layout read below is simdjson 3's");
static_assert(sizeof(tj_node) == 24, "tessera_json.h promises 24-byte nodes");

// An array or object whose children are being walked.
struct open_container {
    uint32_t node;
    uint32_t child_height;
    uint32_t longest_string;
    uint32_t count;
    bool is_object;
};

// Type bytes of simdjson's tape words: the top 8 bits of each 64-bit word.
namespace tape {
constexpr uint8_t start_array = '[';
constexpr uint8_t start_object = '{';
constexpr uint8_t end_array = ']';
constexpr uint8_t end_object = '}';
constexpr uint8_t string = '"';
constexpr uint8_t int64 = 'l';
constexpr uint8_t uint64 = 'u';
constexpr uint8_t float64 = 'd';
constexpr uint8_t true_value = 't';
constexpr uint8_t false_value = 'f';
constexpr uint8_t null_value = 'n';
constexpr uint64_t payload_mask = 0x00FFFFFFFFFFFFFF;
}  // namespace tape

tj_status status_for(simdjson::error_code error) {
    switch (error) {
    case simdjson::SUCCESS: return TJ_OK;
    case simdjson::EMPTY: return TJ_EMPTY;
    case simdjson::UTF8_ERROR: return TJ_INVALID_UTF8;
    case simdjson::DEPTH_ERROR: return TJ_TOO_DEEP;
    case simdjson::CAPACITY: return TJ_TOO_LARGE;
    case simdjson::MEMALLOC: return TJ_OUT_OF_MEMORY;
    case simdjson::TAPE_ERROR:
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
    case simdjson::TRAILING_CONTENT: return TJ_BAD_STRUCTURE;
    case simdjson::STRING_ERROR: return TJ_BAD_STRING;
    case simdjson::UNESCAPED_CHARS: return TJ_UNESCAPED_CONTROL;
    case simdjson::UNCLOSED_STRING: return TJ_UNCLOSED_STRING;
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR: return TJ_BAD_LITERAL;
    case simdjson::NUMBER_ERROR: return TJ_BAD_NUMBER;
    default: return TJ_INTERNAL_ERROR;
    }
}

bool is_digit(uint8_t byte) { return byte >= '0' && byte <= '9'; }

bool continues_number(uint8_t byte) {
    return is_digit(byte) || byte == '-' || byte == '+' || byte == '.' || byte == 'e' || byte == 'E';
}

// True when the integer written with `count` digits at `digits` is beyond what simdjson stores:
// above UINT64_MAX, or below INT64_MIN when negative.
bool beyond_64_bits(const uint8_t *digits, size_t count, bool negative) {
    const char *limit = negative ? "9223372036854775808" : "18446744073709551615";
    size_t limit_count = std::strlen(limit);
    if (count != limit_count) { return count > limit_count; }
    return std::memcmp(digits, limit, count) > 0;
}

// Copies `count` bytes without a call for the short strings that dominate events: pairs of
// overlapping fixed-size moves that read and write only inside both ranges.
inline void copy_bytes(uint8_t *to, const uint8_t *from, size_t count) {
    if (count > 32) {
        std::memcpy(to, from, count);
    } else if (count >= 16) {
        std::memcpy(to, from, 16);
        std::memcpy(to + count - 16, from + count - 16, 16);
    } else if (count >= 8) {
        std::memcpy(to, from, 8);
        std::memcpy(to + count - 8, from + count - 8, 8);
    } else if (count >= 4) {
        std::memcpy(to, from, 4);
        std::memcpy(to + count - 4, from + count - 4, 4);
    } else {
        for (size_t index = 0; index < count; index++) { to[index] = from[index]; }
    }
}

// One pass over a parsed document's tape, appending nodes and strings. Counters live in locals
// rather than in the handle so that the compiler can keep them in registers.
struct tape_walk {
    const uint64_t *words;
    const uint8_t *string_buf;
    tj_node *nodes;
    uint8_t *arena;
    open_container *open;
    size_t depth = 0;
    size_t node_count = 0;
    size_t string_length = 0;

    // Copies the string of a tape word (a 32-bit length, then the bytes) into the arena.
    tj_span copy_string(uint64_t word) {
        const uint8_t *source = string_buf + (word & tape::payload_mask);
        uint32_t length;
        std::memcpy(&length, source, sizeof(length));
        uint32_t offset = uint32_t(string_length);
        copy_bytes(arena + string_length, source + sizeof(length), length);
        string_length += length;
        return tj_span{offset, length};
    }

    // Finishes the innermost open container: its end, figures, and what its parent learns from it.
    void close_innermost() {
        open_container done = open[--depth];
        uint32_t height = done.child_height + 1;
        tj_node &node = nodes[done.node];
        node.end = uint32_t(node_count);
        node.info |= height << 8;
        node.payload.container = tj_container{done.count, done.longest_string};
        if (depth > 0) {
            open_container &parent = open[depth - 1];
            parent.child_height = std::max(parent.child_height, height);
            parent.longest_string = std::max(parent.longest_string, done.longest_string);
        }
    }

    // Walks the words in [1, stop); false when the tape holds something simdjson 3 never writes.
    // `open` has room for every container that simdjson's depth limit lets nest.
    bool run(size_t stop) {
        for (size_t position = 1; position < stop;) {
            uint64_t word = words[position];
            uint8_t type = uint8_t(word >> 56);
            if (type == tape::end_array || type == tape::end_object) {
                close_innermost();
                position++;
                continue;
            }

            tj_span key{0, 0};
            open_container *parent = depth > 0 ? &open[depth - 1] : nullptr;
            if (parent != nullptr) {
                parent->count++;
                if (parent->is_object) {
                    // Inside an object the tape alternates a key string and its value.
                    key = copy_string(word);
                    parent->longest_string = std::max(parent->longest_string, key.length);
                    word = words[++position];
                    type = uint8_t(word >> 56);
                }
            }

            uint32_t index = uint32_t(node_count++);
            tj_node &node = nodes[index];
            node.key = key;
            node.end = index + 1;
            switch (type) {
            case tape::string:
                node.info = TJ_KIND_STRING;
                node.payload.string = copy_string(word);
                if (parent != nullptr) {
                    parent->longest_string = std::max(parent->longest_string, node.payload.string.length);
                }
                position += 1;
                break;
            case tape::int64:
                node.info = TJ_KIND_INT;
                std::memcpy(&node.payload.int_value, &words[position + 1], sizeof(uint64_t));
                position += 2;
                break;
            case tape::uint64:
                node.info = TJ_KIND_UINT;
                std::memcpy(&node.payload.uint_value, &words[position + 1], sizeof(uint64_t));
                position += 2;
                break;
            case tape::float64:
                node.info = TJ_KIND_DOUBLE;
                std::memcpy(&node.payload.double_value, &words[position + 1], sizeof(uint64_t));
                position += 2;
                break;
            case tape::true_value:
            case tape::false_value:
                node.info = TJ_KIND_BOOL;
                node.payload.int_value = type == tape::true_value ? 1 : 0;
                position += 1;
                break;
            case tape::null_value:
                node.info = TJ_KIND_NULL;
                node.payload.int_value = 0;
                position += 1;
                break;
            case tape::start_array:
            case tape::start_object:
                node.info = type == tape::start_array ? TJ_KIND_ARRAY : TJ_KIND_OBJECT;
                open[depth++] = open_container{index, 0, 0, 0, type == tape::start_object};
                position += 1;
                break;
            default:
                return false;
            }
        }
        return depth == 0;
    }
};

}  // namespace

struct tj_parser {
    simdjson::dom::parser dom;
    simdjson::dom::document document;
    growable_buffer<uint8_t> input;
    growable_buffer<uint8_t> widened_input;
    growable_buffer<tj_node> nodes;
    growable_buffer<uint8_t> strings;
    growable_buffer<open_container> open;
    size_t max_depth;
    size_t node_count = 0;
    size_t string_length = 0;

    explicit tj_parser(size_t max_depth) : max_depth(max_depth) {}

    tj_status parse(const uint8_t *bytes, size_t length);

private:
    const uint8_t *padded_copy(growable_buffer<uint8_t> &buffer, const uint8_t *bytes, size_t length);
    size_t widen_big_integers(const uint8_t *bytes, size_t length);
    tj_status flatten(size_t input_length);
};

const uint8_t *tj_parser::padded_copy(growable_buffer<uint8_t> &buffer, const uint8_t *bytes, size_t length) {
    buffer.reserve(length + simdjson::SIMDJSON_PADDING);
    std::memcpy(buffer.storage.get(), bytes, length);
    std::memset(buffer.storage.get() + length, 0, simdjson::SIMDJSON_PADDING);
    return buffer.storage.get();
}

// simdjson 3.0.1 rejects integers beyond the 64-bit range (its BIGINT fallback came later). This
// copies the input into `widened_input` with ".0" appended to each such integer, so that simdjson
// reads them as doubles, and returns the new length, or 0 when there was nothing to widen.
size_t tj_parser::widen_big_integers(const uint8_t *bytes, size_t length) {
    std::vector<size_t> ends;
    bool in_string = false;
    for (size_t index = 0; index < length; index++) {
        uint8_t byte = bytes[index];
        if (in_string) {
            if (byte == '\\') { index++; } else if (byte == '"') { in_string = false; }
            continue;
        }
        if (byte == '"') { in_string = true; continue; }
        bool starts_number = (byte == '-' || is_digit(byte)) && (index == 0 || !continues_number(bytes[index - 1]));
        if (!starts_number) { continue; }
        bool negative = byte == '-';
        size_t digits = index + (negative ? 1 : 0);
        size_t after = digits;
        while (after < length && is_digit(bytes[after])) { after++; }
        bool is_integer = after == length || (bytes[after] != '.' && bytes[after] != 'e' && bytes[after] != 'E');
        if (is_integer && beyond_64_bits(bytes + digits, after - digits, negative)) { ends.push_back(after); }
        index = after - 1;
    }
    if (ends.empty()) { return 0; }

    size_t widened_length = length + 2 * ends.size();
    widened_input.reserve(widened_length + simdjson::SIMDJSON_PADDING);
    uint8_t *out = widened_input.storage.get();
    size_t copied = 0;
    for (size_t end : ends) {
        std::memcpy(out, bytes + copied, end - copied);
        out += end - copied;
        *out++ = '.';
        *out++ = '0';
        copied = end;
    }
    std::memcpy(out, bytes + copied, length - copied);
    std::memset(widened_input.storage.get() + widened_length, 0, simdjson::SIMDJSON_PADDING);
    return widened_length;
}

tj_status tj_parser::parse(const uint8_t *bytes, size_t length) {
    node_count = 0;
    string_length = 0;
    if (length == 0) { return TJ_EMPTY; }
    if (length > max_input_length) { return TJ_TOO_LARGE; }

    const uint8_t *padded = padded_copy(input, bytes, length);
    simdjson::error_code error = dom.parse_into_document(document, padded, length, false).error();
    if (error == simdjson::NUMBER_ERROR) {
        size_t widened_length = widen_big_integers(padded, length);
        if (widened_length > 0 && widened_length <= max_input_length) {
            length = widened_length;
            error = dom.parse_into_document(document, widened_input.storage.get(), length, false).error();
        }
    }
    if (error) { return status_for(error); }

    return flatten(length);
}

tj_status tj_parser::flatten(size_t input_length) {
    // A document of n bytes holds at most (n + 1) / 2 values (each needs a byte of its own and a
    // separator), and its unescaped strings never outgrow it, so both buffers are sized up front.
    nodes.reserve(input_length / 2 + 1);
    strings.reserve(input_length);
    open.reserve(std::min(max_depth, input_length / 2) + 1);

    // Word 0 is the root word; its payload is one past the closing root word, which ends the walk.
    const uint64_t *words = document.tape.get();
    size_t stop = size_t(words[0] & tape::payload_mask) - 1;
    tape_walk walk{words, document.string_buf.get(), nodes.storage.get(), strings.storage.get(),
                   open.storage.get()};
    if (!walk.run(stop)) { return TJ_INTERNAL_ERROR; }
    node_count = walk.node_count;
    string_length = walk.string_length;
    return TJ_OK;
}

extern "C" {

tj_parser *tj_parser_create(size_t max_depth) {
    try {
        std::unique_ptr<tj_parser> parser(new tj_parser(max_depth));
        // simdjson counts the document itself as a level, so one more than our container depth.
        if (parser->dom.allocate(simdjson::dom::MINIMAL_DOCUMENT_CAPACITY, max_depth + 1) != simdjson::SUCCESS) {
            return nullptr;
        }
        return parser.release();
    } catch (const std::bad_alloc &) {
        return nullptr;
    }
}

void tj_parser_destroy(tj_parser *parser) { delete parser; }

tj_status tj_parse(tj_parser *parser, const uint8_t *bytes, size_t length) {
    try {
        return parser->parse(bytes, length);
    } catch (const std::bad_alloc &) {
        parser->node_count = 0;
        parser->string_length = 0;
        return TJ_OUT_OF_MEMORY;
    }
}

tj_document tj_parser_document(const tj_parser *parser) {
    return tj_document{parser->nodes.storage.get(), parser->node_count, parser->strings.storage.get(),
                       parser->string_length};
}

}  // extern "C"
