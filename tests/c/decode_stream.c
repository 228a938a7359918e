/*
 * Test driver for docs/protocol/face_report.h: feeds a stream (file or stdin) one byte at
 * a time and prints one JSON line per message, with the keys tools/face_report.py prints
 * (minus its "name" and "set_report"), so the tests can compare the two decoders.
 * The last line on stderr: "frames N skipped M rejected R".
 *
 *   decode_stream [FILE]                 decode (stdin without FILE)
 *   decode_stream --request CMD HEXBODY  print fr_encode_request's frame as hex
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face_report.h"

static void print_scaled_i16(int16_t v, int scale, int decimals)
{
    if (v == FR_NAN_I16)
        printf("null");
    else if (scale == 1)
        printf("%d", v);
    else
        printf("%.*f", decimals, (double)v / scale);
}

static void print_scaled_u16(uint16_t v, int scale, int decimals)
{
    if (v == FR_NAN_U16)
        printf("null");
    else if (scale == 1)
        printf("%u", (unsigned)v);
    else
        printf("%.*f", decimals, (double)v / scale);
}

static void print_u8_score(uint8_t v)
{
    if (v == FR_NAN_U8)
        printf("null");
    else
        printf("%.3f", (double)v / FR_SCALE_U8);
}

static const char *const expressions[] = {"angry", "disgust", "fear", "happy", "sad",
                                          "surprise", "neutral"};
static const char *const events[] = {"wink_left", "wink_right", "smile", "mouth_open",
                                     "brows_up"};

static void print_expression(uint8_t id)
{
    if (id == FR_EXPR_NONE)
        printf("null");
    else if (id < sizeof expressions / sizeof expressions[0])
        printf("\"%s\"", expressions[id]);
    else
        printf("\"#%u\"", (unsigned)id);
}

static void print_hex(const uint8_t *data, uint16_t len)
{
    for (uint16_t i = 0; i < len; i++)
        printf("%02x", data[i]);
}

static void print_text(const uint8_t *data, uint16_t len)
{
    putchar('"');
    for (uint16_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static const char *kind(const fr_msg *m)
{
    if (fr_is_request(m))
        return "request";
    if (fr_is_report(m))
        return "report";
    return (m->flags & FR_FLAG_RESP_OK) ? "resp_ok" : "resp_err";
}

static void print_faces(const fr_msg *m, const fr_faces_header *h)
{
    printf(", \"version\": %u, \"frame\": %lu, \"image\": [%u, %u], \"faces\": [", h->version,
           (unsigned long)h->frame, h->width, h->height);
    for (uint8_t i = 0; i < h->count; i++) {
        fr_face f;
        fr_face_get(m, h, i, &f);
        printf("%s{\"track_id\": %ld, \"box\": [", i ? ", " : "",
               f.track_id == FR_NOT_TRACKED ? -1L : (long)f.track_id);
        print_scaled_i16(f.x, FR_SCALE_PX, 0);
        printf(", ");
        print_scaled_i16(f.y, FR_SCALE_PX, 0);
        printf(", ");
        print_scaled_u16(f.w, FR_SCALE_PX, 0);
        printf(", ");
        print_scaled_u16(f.h, FR_SCALE_PX, 0);
        printf("], \"score\": ");
        print_scaled_u16(f.score, FR_SCALE_RATIO, 3);
        printf(", \"pose\": [");
        print_scaled_i16(f.yaw, FR_SCALE_DEG, 2);
        printf(", ");
        print_scaled_i16(f.pitch, FR_SCALE_DEG, 2);
        printf(", ");
        print_scaled_i16(f.roll, FR_SCALE_DEG, 2);
        printf("], \"eyes\": [");
        print_scaled_u16(f.eye_left, FR_SCALE_RATIO, 3);
        printf(", ");
        print_scaled_u16(f.eye_right, FR_SCALE_RATIO, 3);
        printf("], \"mouth\": ");
        print_scaled_u16(f.mouth, FR_SCALE_RATIO, 3);
        printf(", \"gaze\": [");
        print_scaled_i16(f.gaze_x, FR_SCALE_RATIO, 3);
        printf(", ");
        print_scaled_i16(f.gaze_y, FR_SCALE_RATIO, 3);
        printf("], \"blinks\": %u, \"flags\": %u", (unsigned)f.blinks, (unsigned)f.flags);
        if (h->record_size >= FR_FACE_RECORD_SIZE) {
            printf(", \"expression\": ");
            print_expression(f.expression);
            printf(", \"expression_score\": ");
            print_u8_score(f.expression_score);
            printf(", \"events\": [");
            for (unsigned b = 0, n = 0; b < 8; b++) {
                if (!(f.events >> b & 1u))
                    continue;
                if (b < sizeof events / sizeof events[0])
                    printf("%s\"%s\"", n++ ? ", " : "", events[b]);
                else
                    printf("%s\"bit%u\"", n++ ? ", " : "", b);
            }
            printf("], \"emotion\": ");
            print_expression(f.emotion);
            printf(", \"emotion_score\": ");
            print_u8_score(f.emotion_score);
        }
        printf("}");
    }
    printf("]");
}

static void print_landmarks(const fr_msg *m, const fr_landmarks_header *h)
{
    printf(", \"version\": %u, \"frame\": %lu, \"image\": [%u, %u], \"points_per_face\": %u, "
           "\"landmarks\": [", h->version, (unsigned long)h->frame, h->width, h->height,
           h->points);
    for (uint8_t i = 0; i < h->count; i++) {
        uint16_t id = fr_landmarks_track_id(m, h, i);
        printf("%s{\"track_id\": %ld, \"points\": [", i ? ", " : "",
               id == FR_NOT_TRACKED ? -1L : (long)id);
        for (uint16_t j = 0; j < h->points; j++) {
            int16_t x4, y4;
            fr_landmark_get(m, h, i, j, &x4, &y4);
            printf("%s[", j ? ", " : "");
            print_scaled_i16(x4, FR_SCALE_LANDMARK, 2);
            printf(", ");
            print_scaled_i16(y4, FR_SCALE_LANDMARK, 2);
            printf("]");
        }
        printf("]}");
    }
    printf("]");
}

static void print_blendshapes(const fr_msg *m, const fr_blendshapes_header *h)
{
    printf(", \"version\": %u, \"frame\": %lu, \"shapes_per_face\": %u, \"blendshapes\": [",
           h->version, (unsigned long)h->frame, h->shapes);
    for (uint8_t i = 0; i < h->count; i++) {
        uint16_t id = fr_blendshapes_track_id(m, h, i);
        int named = h->shapes == FR_BLENDSHAPES;
        printf("%s{\"track_id\": %ld, \"values\": %c", i ? ", " : "",
               id == FR_NOT_TRACKED ? -1L : (long)id, named ? '{' : '[');
        for (uint8_t j = 0; j < h->shapes; j++) {
            printf("%s", j ? ", " : "");
            if (named)
                printf("\"%s\": ", fr_blendshape_name(j));
            printf("%.3f", (double)fr_blendshape_get(m, h, i, j) / FR_SCALE_U8);
        }
        printf("%c}", named ? '}' : ']');
    }
    printf("]");
}

static void print_message(const fr_msg *m)
{
    fr_faces_header fh;
    fr_landmarks_header lh;
    fr_blendshapes_header bh;
    printf("{\"cmd\": %u, \"kind\": \"%s\", \"flags\": %u", m->cmd, kind(m), m->flags);
    int faces = (m->cmd == FR_CMD_FACES && fr_is_report(m)) ||
                (m->cmd == FR_CMD_GET_FACES && fr_is_resp_ok(m));
    int landmarks = m->cmd == FR_CMD_LANDMARKS && fr_is_report(m);
    int blendshapes = m->cmd == FR_CMD_BLENDSHAPES && fr_is_report(m);
    if (fr_is_resp_err(m)) {
        if (m->body_len)
            printf(", \"error\": %u, \"message\": ", m->body[0]);
        else
            printf(", \"error\": null, \"message\": ");
        print_text(m->body + (m->body_len ? 1 : 0), m->body_len ? (uint16_t)(m->body_len - 1) : 0);
    } else if (faces && fr_faces_header_get(m, &fh)) {
        print_faces(m, &fh);
    } else if (landmarks && fr_landmarks_header_get(m, &lh)) {
        print_landmarks(m, &lh);
    } else if (blendshapes && fr_blendshapes_header_get(m, &bh)) {
        print_blendshapes(m, &bh);
    } else {
        if (faces || landmarks || blendshapes)
            printf(", \"decode_error\": true");
        printf(", \"body\": \"");
        print_hex(m->body, m->body_len);
        printf("\"");
    }
    printf("}\n");
}

static int encode_request(const char *cmd_text, const char *hex)
{
    uint8_t body[256], out[300];
    size_t n = strlen(hex) / 2;
    if (n > sizeof body)
        return 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return 2;
        body[i] = (uint8_t)v;
    }
    size_t len = fr_encode_request(out, sizeof out, (uint8_t)strtoul(cmd_text, NULL, 0), body,
                                   (uint16_t)n);
    print_hex(out, (uint16_t)len);
    printf("\n");
    return len ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--request") == 0)
        return encode_request(argv[2], argv[3]);
    FILE *in = argc > 1 ? fopen(argv[1], "rb") : stdin;
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    static fr_parser parser; /* static: FR_MAX_FRAME may be large */
    fr_init(&parser);
    fr_msg msg;
    int c;
    long idle = -1; /* after the end: zeros, as a live stream's next bytes would come, so
                       that a frame whose corrupted length reaches past the end is
                       rejected and the frames inside it found (tools/face_report.py does
                       the same at the end of its input) */
    while ((c = fgetc(in)) != EOF || ++idle < FR_MAX_FRAME) {
        fr_feed(&parser, c == EOF ? 0 : (uint8_t)c);
        while (fr_next(&parser, &msg))
            print_message(&msg);
    }
    parser.skipped -= (uint32_t)idle; /* count only the input's own bytes */
    fprintf(stderr, "frames %lu skipped %lu rejected %lu\n", (unsigned long)parser.frames,
            (unsigned long)parser.skipped, (unsigned long)parser.rejected);
    return 0;
}
