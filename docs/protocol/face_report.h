/*
 * face_report.h - read Face Landmarks+ face reports on a microcontroller (header only).
 *
 * The MaixCAM app sends Maix communication protocol frames over its UART (115200 8N1):
 *   AA CA AC BB | u32 LE length | flags | cmd | body | CRC16/IBM LE
 * (length = flags + cmd + body + CRC bytes; CRC-16/ARC, reflected poly 0xA001, init 0,
 * over every byte before it). This parser takes the stream one byte at a time, skips
 * garbage and corrupted frames up to the next header, checks the CRC and hands out whole
 * frames; the accessors below read the face, landmark and blendshape bodies (layout
 * version checked).
 * No malloc: one fixed buffer of FR_MAX_FRAME bytes per parser. C99, any endianness.
 *
 *   #include "face_report.h"
 *   fr_parser parser;  fr_init(&parser);
 *   ... for every received byte:
 *   fr_feed(&parser, byte);
 *   fr_msg msg;
 *   while (fr_next(&parser, &msg)) {
 *       fr_faces_header hdr;  fr_face face;
 *       if (fr_faces_header_get(&msg, &hdr))
 *           for (uint8_t i = 0; i < hdr.count; i++)
 *               if (fr_face_get(&msg, &hdr, i, &face)) { use face.yaw / 100.0 ... }
 *   }
 *
 * Values are scaled integers (see the FR_SCALE_* of each field); a value the sensor did
 * not measure is FR_NAN_I16 (signed fields) or FR_NAN_U16 (unsigned fields).
 * Layout table and command ids: README.md, "Reporting to a microcontroller".
 */
#ifndef FACE_REPORT_H
#define FACE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Longest frame accepted, and the parser's buffer size. A face report with n faces is
 * 23 + 36 n bytes (10 faces: 383); a landmark report 24 + (2 + 4 K) n (K = 68, 1 face:
 * 298); a blendshape report 19 + 54 n (9 faces: 505; 10 need 559). Define it before the
 * include for more (or less). At most 65535. */
#ifndef FR_MAX_FRAME
#define FR_MAX_FRAME 512
#endif

/* While resynchronising, the CRC register is kept every FR_CRC_STEP bytes (2 bytes of RAM
 * each: 66 for the default buffer), so that a header inside a rejected frame is checked
 * from registers already known instead of a CRC run over its whole frame: CRC work stays
 * linear in the bytes received, whatever they are (each byte goes through the CRC about
 * once, plus at most 2 x FR_CRC_STEP bytes and ~20 16-bit products a candidate frame). */
#ifndef FR_CRC_STEP
#define FR_CRC_STEP 16
#endif

#define FR_PROTOCOL_VERSION 1 /* low 2 bits of flags */
#define FR_LAYOUT_VERSION 1   /* first byte of the face, landmark and blendshape bodies */
#define FR_RECORD_LAYOUT 2    /* the face record's columns this header knows (see below) */

/* Commands: this app's (< 0xC8) and the system's CMD_SET_REPORT. */
#define FR_CMD_FACES 0x01      /* report: face body, every processed frame */
#define FR_CMD_GET_FACES 0x02  /* request (no body) -> resp_ok with the latest face body */
#define FR_CMD_LANDMARKS 0x03  /* report: landmark subset per face (off by default) */
#define FR_CMD_BLENDSHAPES 0x04 /* report: 52 blendshapes per face (off by default) */
#define FR_CMD_SET_REPORT 0xF8 /* request: [cmd] on [event timer_ms] */

/* Flags. */
#define FR_FLAG_RESP 0x80    /* response or report (clear: a request) */
#define FR_FLAG_RESP_OK 0x40
#define FR_FLAG_REPORT 0x20
#define FR_FLAG_VERSION_MASK 0x03
#define FR_FLAGS_REQUEST 0x01 /* what an MCU sends */

/* Face body: header, then `count` records of `record_size` bytes (use record_size as the
 * stride: a later layout may append columns). Record layout 1 is the first 31 bytes
 * (an older app sends only those); layout 2 appends the expression columns. */
#define FR_FACES_HEADER_SIZE 11
#define FR_FACE_RECORD_SIZE_V1 31 /* layout 1: track_id .. flags */
#define FR_FACE_RECORD_SIZE 36    /* layout 2: all the columns below */
/* Column offsets in a record (all little-endian). */
#define FR_FACE_OFF_TRACK_ID 0  /* u16, wraps; 65535 = not tracked */
#define FR_FACE_OFF_X 2         /* i16 px, box left */
#define FR_FACE_OFF_Y 4         /* i16 px, box top */
#define FR_FACE_OFF_W 6         /* u16 px */
#define FR_FACE_OFF_H 8         /* u16 px */
#define FR_FACE_OFF_SCORE 10    /* u16 x1000 */
#define FR_FACE_OFF_YAW 12      /* i16 degrees x100 */
#define FR_FACE_OFF_PITCH 14    /* i16 degrees x100 */
#define FR_FACE_OFF_ROLL 16     /* i16 degrees x100 */
#define FR_FACE_OFF_EYE_LEFT 18 /* u16 x1000 */
#define FR_FACE_OFF_EYE_RIGHT 20 /* u16 x1000 */
#define FR_FACE_OFF_MOUTH 22    /* u16 x1000 */
#define FR_FACE_OFF_GAZE_X 24   /* i16 x1000 */
#define FR_FACE_OFF_GAZE_Y 26   /* i16 x1000 */
#define FR_FACE_OFF_BLINKS 28   /* u16, wraps */
#define FR_FACE_OFF_FLAGS 30    /* u8 bits */
#define FR_FACE_OFF_EXPRESSION 31 /* u8 FR_EXPR_*, FR_EXPR_NONE: not read (layout 2) */
#define FR_FACE_OFF_EXPRESSION_SCORE 32 /* u8 x255, FR_NAN_U8: none (layout 2) */
#define FR_FACE_OFF_EVENTS 33   /* u8 FR_EVENT_* bits (layout 2) */
#define FR_FACE_OFF_EMOTION 34  /* u8 FR_EXPR_*: the device's emotion classifier (layout 2) */
#define FR_FACE_OFF_EMOTION_SCORE 35 /* u8 x255, FR_NAN_U8: none (layout 2) */

#define FR_SCALE_PX 1
#define FR_SCALE_RATIO 1000   /* score, eyes, mouth, gaze */
#define FR_SCALE_DEG 100      /* yaw, pitch, roll */
#define FR_SCALE_LANDMARK 4   /* landmark points: quarter pixels */
#define FR_SCALE_U8 255       /* expression and emotion scores, blendshapes */
#define FR_NAN_I16 (-32768)   /* "not measured" in a signed column */
#define FR_NAN_U16 0xFFFF     /* "not measured" in an unsigned column */
#define FR_NAN_U8 0xFF        /* "not measured" in a u8 score column */
#define FR_NOT_TRACKED 0xFFFF /* track_id of a face without a tracker id */
#define FR_FACE_EYES_CLOSED_LONG 0x01 /* flags bit 0 */

/* Expression (and emotion) ids: Sipeed's 7 face-emotion classes, in their order. */
#define FR_EXPR_ANGRY 0
#define FR_EXPR_DISGUST 1
#define FR_EXPR_FEAR 2
#define FR_EXPR_HAPPY 3
#define FR_EXPR_SAD 4
#define FR_EXPR_SURPRISE 5
#define FR_EXPR_NEUTRAL 6
#define FR_EXPR_NONE 0xFF /* not read: expressions off, not yet, or no classifier */
/* Event bits. */
#define FR_EVENT_WINK_LEFT 0x01
#define FR_EVENT_WINK_RIGHT 0x02
#define FR_EVENT_SMILE 0x04
#define FR_EVENT_MOUTH_OPEN 0x08
#define FR_EVENT_BROWS_UP 0x10

/* Landmark body: header, then per face a u16 track id and `points` (x, y) i16 pairs. */
#define FR_LANDMARKS_HEADER_SIZE 12
/* Blendshape body: version u8, frame u32, count u8, shapes u8; then per face a u16 track
 * id and `shapes` u8 values x255 (MediaPipe's order: fr_blendshape_name). */
#define FR_BLENDSHAPES_HEADER_SIZE 7
#define FR_BLENDSHAPES 52

typedef struct {
    uint8_t buf[FR_MAX_FRAME];
    uint16_t len;      /* bytes held */
    uint16_t consumed; /* bytes of the frame fr_next last returned (dropped next call) */
    uint32_t frames;   /* good frames */
    uint32_t skipped;  /* bytes skipped while resynchronising */
    uint32_t rejected; /* frames rejected: bad CRC, bad or too long length */
    /* CRC registers over the bytes held (see fr_crc_at): the register before buf[0], the
     * index up to which they are known, and every FR_CRC_STEP-th one from buf[reg_first] */
    uint16_t crc0;
    uint16_t crc_known;
    uint16_t reg_first;
    uint16_t reg[FR_MAX_FRAME / FR_CRC_STEP + 1];
} fr_parser;

typedef struct {
    uint8_t flags;
    uint8_t cmd;
    const uint8_t *body; /* points into the parser: valid until the next fr_feed/fr_next */
    uint16_t body_len;   /* an error response: error code byte, then the message */
} fr_msg;

typedef struct {
    uint8_t version;
    uint32_t frame;    /* processed-frame counter, wraps */
    uint16_t width;    /* image size in px, to normalise the boxes */
    uint16_t height;
    uint8_t count;     /* faces */
    uint8_t record_size;
} fr_faces_header;

typedef struct {
    uint16_t track_id;            /* FR_NOT_TRACKED: none */
    int16_t x, y;                 /* px */
    uint16_t w, h;                /* px */
    uint16_t score;               /* x1000 */
    int16_t yaw, pitch, roll;     /* degrees x100 */
    uint16_t eye_left, eye_right; /* x1000, ~0 closed .. ~1000 open */
    uint16_t mouth;               /* x1000 */
    int16_t gaze_x, gaze_y;       /* x1000, -1000..1000 */
    uint16_t blinks;              /* wraps */
    uint8_t flags;                /* FR_FACE_EYES_CLOSED_LONG */
    /* layout 2; from a layout-1 record (an older app): FR_EXPR_NONE, FR_NAN_U8, 0 */
    uint8_t expression;           /* FR_EXPR_* or FR_EXPR_NONE */
    uint8_t expression_score;     /* x255 */
    uint8_t events;               /* FR_EVENT_* bits active this frame */
    uint8_t emotion;              /* FR_EXPR_* or FR_EXPR_NONE */
    uint8_t emotion_score;        /* x255 */
} fr_face;

typedef struct {
    uint8_t version;
    uint32_t frame;
    uint16_t width, height;
    uint8_t count;   /* faces */
    uint16_t points; /* points per face (5, 68, ...) */
} fr_landmarks_header;

typedef struct {
    uint8_t version;
    uint32_t frame;  /* the face report's frame counter of the same frame */
    uint8_t count;   /* faces */
    uint8_t shapes;  /* blendshapes per face (FR_BLENDSHAPES) */
} fr_blendshapes_header;

static inline uint16_t fr_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline int16_t fr_i16(const uint8_t *p) { return (int16_t)fr_u16(p); }
static inline uint32_t fr_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* CRC-16/ARC ("crc16_IBM" in maix), bitwise: no table in flash. Pass crc = 0 to start. */
static inline uint16_t fr_crc16(uint16_t crc, const uint8_t *data, size_t len)
{
    while (len--) {
        crc ^= *data++;
        for (uint8_t i = 0; i < 8; i++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
    }
    return crc;
}

static inline void fr_init(fr_parser *p) { memset(p, 0, sizeof *p); }

/* a(x) b(x) mod the CRC polynomial, both reflected as the register is (bit 15 = x^0) */
static inline uint16_t fr_crc_mulmod(uint16_t a, uint16_t b)
{
    uint16_t product = 0;
    for (uint16_t bit = 0x8000; bit; bit >>= 1) {
        if (a & bit)
            product ^= b;
        b = (b & 1) ? (uint16_t)((b >> 1) ^ 0xA001) : (uint16_t)(b >> 1);
    }
    return product;
}

/* The register crc after n more zero bytes: crc x^(8n). With init 0 and no final xor, the
 * CRC of buf[0..t) is fr_crc_at(t) ^ fr_crc_shift(crc0, t). */
static inline uint16_t fr_crc_shift(uint16_t crc, uint32_t n)
{
    uint16_t power = 0x0080; /* x^8 */
    while (n) {
        if (n & 1)
            crc = fr_crc_mulmod(power, crc);
        n >>= 1;
        if (n)
            power = fr_crc_mulmod(power, power);
    }
    return crc;
}

/* The register before buf[i], i <= crc_known: from the kept one at or before i. */
static inline uint16_t fr_crc_kept(const fr_parser *p, uint16_t i)
{
    uint16_t from = 0, crc = p->crc0;
    if (i >= p->reg_first) {
        uint16_t j = (uint16_t)((i - p->reg_first) / FR_CRC_STEP);
        from = (uint16_t)(p->reg_first + j * FR_CRC_STEP);
        crc = p->reg[j];
    }
    return fr_crc16(crc, p->buf + from, (size_t)(i - from));
}

/* The register before buf[t] (t <= len), the registers known extended to t: each byte held
 * goes through the CRC once, however many candidate frames cover it. */
static inline uint16_t fr_crc_at(fr_parser *p, uint16_t t)
{
    uint16_t i = p->crc_known, crc;
    if (t <= i)
        return fr_crc_kept(p, t);
    crc = fr_crc_kept(p, i);
    while (i < t) {
        crc = fr_crc16(crc, p->buf + i, 1);
        i++;
        if (i >= p->reg_first && (uint16_t)(i - p->reg_first) % FR_CRC_STEP == 0)
            p->reg[(i - p->reg_first) / FR_CRC_STEP] = crc;
    }
    p->crc_known = t;
    return crc;
}

static inline void fr_drop(fr_parser *p, uint16_t n)
{
    if (n <= p->crc_known) { /* the registers of the bytes kept stay, from the new buf[0] */
        uint16_t crc0 = fr_crc_kept(p, n), gone = 0;
        uint16_t kept = (uint16_t)((p->crc_known - p->reg_first) / FR_CRC_STEP + 1);
        if (p->crc_known < p->reg_first)
            kept = 0;
        if (n > p->reg_first)
            gone = (uint16_t)((n - p->reg_first + FR_CRC_STEP - 1) / FR_CRC_STEP);
        memmove(p->reg, p->reg + gone, (size_t)(kept - gone) * sizeof p->reg[0]);
        p->reg_first = (uint16_t)(p->reg_first + gone * FR_CRC_STEP - n);
        p->crc_known = (uint16_t)(p->crc_known - n);
        p->crc0 = crc0;
    } else { /* bytes no candidate has covered: registers from 0 */
        p->crc0 = 0;
        p->crc_known = 0;
        p->reg_first = 0;
        p->reg[0] = 0;
    }
    memmove(p->buf, p->buf + n, (size_t)(p->len - n));
    p->len = (uint16_t)(p->len - n);
}

/* Add one received byte. Call fr_next until it returns 0 after each byte (or chunk). */
static inline void fr_feed(fr_parser *p, uint8_t byte)
{
    if (p->consumed) {
        fr_drop(p, p->consumed);
        p->consumed = 0;
    }
    if (p->len == FR_MAX_FRAME) { /* fr_next not called: make room */
        fr_drop(p, 1);
        p->skipped++;
    }
    p->buf[p->len++] = byte;
}

static inline void fr_reject(fr_parser *p)
{
    fr_drop(p, 1); /* skip this header's first byte: frames inside it are found again */
    p->skipped++;
    p->rejected++;
}

/* A frame header (and a face or landmark body's own header) that no sender writes, told
 * from the bytes held (at least 10): 1 = reject it now, rather than wait for the body a
 * corrupted length promised (seconds of nothing on a live link); 0 = the CRC decides. */
static inline int fr_implausible(const fr_parser *p, uint32_t length)
{
    uint8_t flags = p->buf[8], cmd = p->buf[9];
    uint8_t resp = flags & FR_FLAG_RESP, ok = flags & FR_FLAG_RESP_OK, report = flags & FR_FLAG_REPORT;
    uint32_t head, stride;
    if ((flags & 0x1C) || (!resp && (ok || report))) /* reserved bits; kind bits */
        return 1;
    if (resp && !ok && !report) /* an error answer: its code and a short message */
        return length > 4u + 1u + 255u;
    if (!resp && cmd == FR_CMD_GET_FACES)
        return length != 4u;
    if (!resp && cmd == FR_CMD_SET_REPORT)
        return length != 5u && length != 6u && length != 11u;
    if ((cmd == FR_CMD_FACES && report) || (cmd == FR_CMD_GET_FACES && ok && !report))
        head = FR_FACES_HEADER_SIZE;
    else if (cmd == FR_CMD_LANDMARKS && report)
        head = FR_LANDMARKS_HEADER_SIZE;
    else if (cmd == FR_CMD_BLENDSHAPES && report)
        head = FR_BLENDSHAPES_HEADER_SIZE;
    else
        return 0;
    if (p->len < 10u + head)
        return length < 4u + head;
    if (head == FR_BLENDSHAPES_HEADER_SIZE)
        return length != 4u + head + (uint32_t)p->buf[15] * (2u + p->buf[16]);
    /* any layout version keeps this header and steps through its records by their size */
    if (head == FR_FACES_HEADER_SIZE) {
        stride = p->buf[20];
        if (p->buf[10] == FR_LAYOUT_VERSION && stride < FR_FACE_RECORD_SIZE_V1)
            return 1;
    } else {
        stride = 2u + 4u * fr_u16(p->buf + 20);
    }
    return length != 4u + head + (uint32_t)p->buf[19] * stride;
}

/* The next whole, CRC-checked frame: 1 and *msg filled, or 0 (more bytes needed). */
static inline int fr_next(fr_parser *p, fr_msg *msg)
{
    static const uint8_t header[4] = {0xAA, 0xCA, 0xAC, 0xBB};
    if (p->consumed) {
        fr_drop(p, p->consumed);
        p->consumed = 0;
    }
    for (;;) {
        uint16_t start = 0, k;
        /* first position where the header (or, at the end, its beginning) matches */
        for (; start < p->len; start++) {
            for (k = 0; k < 4 && start + k < p->len && p->buf[start + k] == header[k]; k++)
                ;
            if (k == 4 || start + k == p->len)
                break;
        }
        if (start) {
            fr_drop(p, start);
            p->skipped += start;
        }
        if (p->len < 10)
            return 0;
        uint32_t length = fr_u32(p->buf + 4);
        uint8_t flags = p->buf[8];
        /* MaixCDK writes an error response's length one byte short (the error code is
         * not counted): follow the sender. */
        uint32_t total = 8 + length + (((flags & 0xE0) == FR_FLAG_RESP) ? 1u : 0u);
        if (length < 4 || length > FR_MAX_FRAME || total > FR_MAX_FRAME ||
            fr_implausible(p, length)) {
            fr_reject(p);
            continue;
        }
        if (p->len < total)
            return 0;
        uint16_t crc = fr_crc_at(p, (uint16_t)(total - 2));
        if (p->crc0) /* a header inside a rejected frame: its registers serve */
            crc ^= fr_crc_shift(p->crc0, total - 2);
        if (crc != fr_u16(p->buf + total - 2)) {
            fr_reject(p);
            continue;
        }
        msg->flags = flags;
        msg->cmd = p->buf[9];
        msg->body = p->buf + 10;
        msg->body_len = (uint16_t)(total - 12);
        p->consumed = (uint16_t)total;
        p->frames++;
        return 1;
    }
}

static inline int fr_is_request(const fr_msg *m) { return !(m->flags & FR_FLAG_RESP); }
static inline int fr_is_report(const fr_msg *m)
{
    return (m->flags & (FR_FLAG_RESP | FR_FLAG_REPORT)) == (FR_FLAG_RESP | FR_FLAG_REPORT);
}
static inline int fr_is_resp_ok(const fr_msg *m)
{
    return (m->flags & (FR_FLAG_RESP | FR_FLAG_RESP_OK | FR_FLAG_REPORT)) == (FR_FLAG_RESP | FR_FLAG_RESP_OK);
}
static inline int fr_is_resp_err(const fr_msg *m)
{
    return (m->flags & (FR_FLAG_RESP | FR_FLAG_RESP_OK | FR_FLAG_REPORT)) == FR_FLAG_RESP;
}

/* A face body: a CMD_FACES report or the answer to CMD_GET_FACES. 1 when it is one,
 * with the layout version this header reads and a consistent length. */
static inline int fr_faces_header_get(const fr_msg *m, fr_faces_header *h)
{
    int faces = (m->cmd == FR_CMD_FACES && fr_is_report(m)) ||
                (m->cmd == FR_CMD_GET_FACES && fr_is_resp_ok(m));
    if (!faces || m->body_len < FR_FACES_HEADER_SIZE || m->body[0] != FR_LAYOUT_VERSION)
        return 0;
    h->version = m->body[0];
    h->frame = fr_u32(m->body + 1);
    h->width = fr_u16(m->body + 5);
    h->height = fr_u16(m->body + 7);
    h->count = m->body[9];
    h->record_size = m->body[10];
    return h->record_size >= FR_FACE_RECORD_SIZE_V1 &&
           m->body_len == FR_FACES_HEADER_SIZE + (uint32_t)h->count * h->record_size;
}

/* Face `i` (0 .. h->count - 1) of a face body; 1 on success. */
static inline int fr_face_get(const fr_msg *m, const fr_faces_header *h, uint8_t i, fr_face *f)
{
    if (i >= h->count)
        return 0;
    const uint8_t *r = m->body + FR_FACES_HEADER_SIZE + (size_t)i * h->record_size;
    f->track_id = fr_u16(r + FR_FACE_OFF_TRACK_ID);
    f->x = fr_i16(r + FR_FACE_OFF_X);
    f->y = fr_i16(r + FR_FACE_OFF_Y);
    f->w = fr_u16(r + FR_FACE_OFF_W);
    f->h = fr_u16(r + FR_FACE_OFF_H);
    f->score = fr_u16(r + FR_FACE_OFF_SCORE);
    f->yaw = fr_i16(r + FR_FACE_OFF_YAW);
    f->pitch = fr_i16(r + FR_FACE_OFF_PITCH);
    f->roll = fr_i16(r + FR_FACE_OFF_ROLL);
    f->eye_left = fr_u16(r + FR_FACE_OFF_EYE_LEFT);
    f->eye_right = fr_u16(r + FR_FACE_OFF_EYE_RIGHT);
    f->mouth = fr_u16(r + FR_FACE_OFF_MOUTH);
    f->gaze_x = fr_i16(r + FR_FACE_OFF_GAZE_X);
    f->gaze_y = fr_i16(r + FR_FACE_OFF_GAZE_Y);
    f->blinks = fr_u16(r + FR_FACE_OFF_BLINKS);
    f->flags = r[FR_FACE_OFF_FLAGS];
    if (h->record_size >= FR_FACE_RECORD_SIZE) {
        f->expression = r[FR_FACE_OFF_EXPRESSION];
        f->expression_score = r[FR_FACE_OFF_EXPRESSION_SCORE];
        f->events = r[FR_FACE_OFF_EVENTS];
        f->emotion = r[FR_FACE_OFF_EMOTION];
        f->emotion_score = r[FR_FACE_OFF_EMOTION_SCORE];
    } else { /* a layout-1 record: none of them */
        f->expression = FR_EXPR_NONE;
        f->expression_score = FR_NAN_U8;
        f->events = 0;
        f->emotion = FR_EXPR_NONE;
        f->emotion_score = FR_NAN_U8;
    }
    return 1;
}

/* A CMD_LANDMARKS report; 1 when it is one, with a consistent length. */
static inline int fr_landmarks_header_get(const fr_msg *m, fr_landmarks_header *h)
{
    if (m->cmd != FR_CMD_LANDMARKS || !fr_is_report(m) || m->body_len < FR_LANDMARKS_HEADER_SIZE ||
        m->body[0] != FR_LAYOUT_VERSION)
        return 0;
    h->version = m->body[0];
    h->frame = fr_u32(m->body + 1);
    h->width = fr_u16(m->body + 5);
    h->height = fr_u16(m->body + 7);
    h->count = m->body[9];
    h->points = fr_u16(m->body + 10);
    return m->body_len == FR_LANDMARKS_HEADER_SIZE + (uint32_t)h->count * (2u + 4u * h->points);
}

/* Track id of face `i` of a landmark body. */
static inline uint16_t fr_landmarks_track_id(const fr_msg *m, const fr_landmarks_header *h, uint8_t i)
{
    return fr_u16(m->body + FR_LANDMARKS_HEADER_SIZE + (size_t)i * (2u + 4u * h->points));
}

/* Point `j` of face `i`, in quarter pixels (FR_NAN_I16: missing). */
static inline void fr_landmark_get(const fr_msg *m, const fr_landmarks_header *h, uint8_t i,
                                   uint16_t j, int16_t *x4, int16_t *y4)
{
    const uint8_t *q = m->body + FR_LANDMARKS_HEADER_SIZE + (size_t)i * (2u + 4u * h->points) + 2u + 4u * j;
    *x4 = fr_i16(q);
    *y4 = fr_i16(q + 2);
}

/* A CMD_BLENDSHAPES report; 1 when it is one, with a consistent length. */
static inline int fr_blendshapes_header_get(const fr_msg *m, fr_blendshapes_header *h)
{
    if (m->cmd != FR_CMD_BLENDSHAPES || !fr_is_report(m) ||
        m->body_len < FR_BLENDSHAPES_HEADER_SIZE || m->body[0] != FR_LAYOUT_VERSION)
        return 0;
    h->version = m->body[0];
    h->frame = fr_u32(m->body + 1);
    h->count = m->body[5];
    h->shapes = m->body[6];
    return m->body_len == FR_BLENDSHAPES_HEADER_SIZE + (uint32_t)h->count * (2u + h->shapes);
}

/* Track id of face `i` of a blendshape body. */
static inline uint16_t fr_blendshapes_track_id(const fr_msg *m, const fr_blendshapes_header *h,
                                               uint8_t i)
{
    return fr_u16(m->body + FR_BLENDSHAPES_HEADER_SIZE + (size_t)i * (2u + h->shapes));
}

/* Blendshape `j` of face `i`, x255 (0 .. 255 = 0 .. 1). */
static inline uint8_t fr_blendshape_get(const fr_msg *m, const fr_blendshapes_header *h,
                                        uint8_t i, uint8_t j)
{
    return m->body[FR_BLENDSHAPES_HEADER_SIZE + (size_t)i * (2u + h->shapes) + 2u + j];
}

/* MediaPipe's name of blendshape `j` ("jawOpen", ...), or NULL past the 52. */
static inline const char *fr_blendshape_name(uint8_t j)
{
    static const char *const names[FR_BLENDSHAPES] = {
        "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
        "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
        "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
        "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight",
        "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft",
        "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose",
        "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
        "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
        "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
        "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft",
        "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft",
        "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight"};
    return j < FR_BLENDSHAPES ? names[j] : NULL;
}

/* Encode a request (e.g. FR_CMD_GET_FACES, or FR_CMD_SET_REPORT with {cmd, on}) into
 * `out`; returns its length, or 0 if `cap` is too small. */
static inline size_t fr_encode_request(uint8_t *out, size_t cap, uint8_t cmd,
                                       const uint8_t *body, uint16_t body_len)
{
    size_t total = 12u + body_len;
    if (cap < total)
        return 0;
    uint32_t length = 4u + body_len;
    out[0] = 0xAA; out[1] = 0xCA; out[2] = 0xAC; out[3] = 0xBB;
    out[4] = (uint8_t)length; out[5] = (uint8_t)(length >> 8);
    out[6] = (uint8_t)(length >> 16); out[7] = (uint8_t)(length >> 24);
    out[8] = FR_FLAGS_REQUEST;
    out[9] = cmd;
    if (body_len)
        memcpy(out + 10, body, body_len);
    uint16_t crc = fr_crc16(0, out, 10u + body_len);
    out[10 + body_len] = (uint8_t)crc;
    out[11 + body_len] = (uint8_t)(crc >> 8);
    return total;
}

#endif /* FACE_REPORT_H */
