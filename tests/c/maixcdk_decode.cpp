/*
 * MaixCDK's request decoder, to see on a PC how a MaixCAM hands a request to the app.
 *
 * The functions between the "verbatim" marks are copied unchanged from MaixCDK
 * components/basic/src/maix_protocol.cpp at commit d9741a207552b6e1a38eb247cf4bf62fd5df987d
 * (https://github.com/sipeed/MaixCDK), Copyright Sipeed Ltd 2023-, Apache License 2.0.
 * maix::comm::CommProtocol::get_msg (components/comm/src/maix_comm_protocol.cpp) reads the
 * UART 128 bytes at a time into Protocol::push_data and calls Protocol::decode once; the
 * driver below does the same with stdin. The scaffolding above the marks stands in for the
 * parts of maix_protocol.hpp those functions use (the MSG fields, Protocol's members).
 *
 * Output: one JSON line per decode() call that returns a message
 * ({"cmd", "is_req", "body_len", "body"}) or throws ({"throws": what}). Each 128-byte
 * chunk of stdin is one frame of the app (get_msg until None or a throw), then three more
 * frames without new bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <exception>
#include <string>

namespace maix
{
    namespace err
    {
        enum Err { ERR_NONE = 0, ERR_BUFF_FULL = 15 };
    }
    namespace protocol
    {
        enum FLAGS
        {
            FLAG_IS_RESP_MASK = 0x80,
            FLAG_RESP_OK_MASK = 0x40,
            FLAG_REPORT_MASK = 0x20,
            FLAG_VERSION_MASK = 0x03
        };
        const uint8_t VERSION = 1;
        class MSG
        {
        public:
            MSG();
            ~MSG();
            uint8_t version;
            uint8_t resp_ok;
            bool has_been_replied{false};
            uint8_t cmd;
            bool is_resp;
            bool is_req;
            bool is_report;
            uint8_t *body;
            int body_len;
            void set_body(uint8_t *body_new, int body_len);
        private:
            int _body_buff_len;
        };
        class Protocol
        {
        public:
            Protocol(int buff_size, uint32_t header);
            ~Protocol();
            err::Err push_data(uint8_t *new_data, int len);
            MSG *decode(uint8_t *new_data = nullptr, size_t len = 0);
        private:
            int _buff_size;
            uint8_t *_buff;
            int _data_len;
            uint32_t _header;
        };
    }
}

namespace maix::protocol
{
// ---- verbatim from MaixCDK maix_protocol.cpp ----
    uint32_t HEADER = 0xBBACCAAA;
    uint16_t crc16_IBM(uint8_t *ptr, size_t len)
    {
        unsigned int i;
        uint16_t crc = 0x0000;

        while (len--)
        {
            crc ^= *ptr++;
            for (i = 0; i < 8; ++i)
            {
                if (crc & 1)
                    crc = (crc >> 1) ^ 0xA001;
                else
                    crc = (crc >> 1);
            }
        }

        return crc;
    }

    bool get_msg(uint8_t *data, int len, MSG *frame, int *idx, const uint32_t header=HEADER)
    {
        size_t data_len = 0;

        *idx = 0;
        if (len < 12)
            return false;
        // find header
        uint32_t i = 0;
        bool found = false;
        for (; i < (uint32_t)len - 4; i++)
        {
            if (data[i] == (header & 0xFF) &&
                data[i + 1] == ((header >> 8) & 0xFF) &&
                data[i + 2] == ((header >> 16) & 0xFF) &&
                data[i + 3] == ((header >> 24) & 0xFF))
            {
                found = true;
                break;
            }
        }
        // len >= 12
        if (!found)
        {
            *idx = i;
            return false;
        }
        if (len - i < 12)
            return false;

        // get data_len, and check data length
        data_len = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
        if (data_len > len - i - 8)
            return false;
        *idx = i + 8 + data_len;
        // check crc
        uint16_t crc16 = crc16_IBM(data + i, data_len + 6);
        if (data[i + 6 + data_len] != (crc16 & 0xFF) || data[i + 7 + data_len] != (crc16 >> 8 & 0xFF))
        {
            return false;
        }
        // parse data
        frame->version = data[i + 8] & FLAG_VERSION_MASK;
        frame->is_resp = data[i + 8] & FLAG_IS_RESP_MASK;
        frame->is_req = !frame->is_resp;
        frame->is_report = data[i + 8] & FLAG_REPORT_MASK;
        frame->resp_ok = data[i + 8] & FLAG_RESP_OK_MASK;
        frame->cmd = data[i + 9];
        frame->set_body(data + i + 10, data_len - 4);
        frame->body_len = data_len - 4;
        return true;
    }

    MSG::MSG()
    {
        version = VERSION;
        is_resp = 0;
        is_req = 1;
        is_report = 0;
        resp_ok = 0;
        cmd = 0;
        body = nullptr;
        body_len = 0;
        _body_buff_len = 0;
    }

    MSG::~MSG()
    {
        if (body)
        {
            delete[] body;
        }
    }

    void MSG::set_body(uint8_t *body_new, int body_len)
    {
        if ((body && _body_buff_len < body_len))
        {
            delete[] body;
            body = new uint8_t[body_len];
            _body_buff_len = body_len;
        }
        else if (!body)
        {
            body = new uint8_t[body_len];
            _body_buff_len = body_len;
        }
        memcpy(body, body_new, body_len);
        this->body_len = body_len;
    }

    Protocol::Protocol(int buff_size, uint32_t header)
    {
        _buff_size = buff_size;
        _buff = new uint8_t[buff_size];
        _data_len = 0;
        _header = header;
        HEADER = header;
    }

    Protocol::~Protocol()
    {
        delete[] _buff;
    }

    err::Err Protocol::push_data(uint8_t *new_data, int len)
    {
        if (_data_len + len > _buff_size)
            return err::ERR_BUFF_FULL;
        memcpy(_buff + _data_len, new_data, len);
        _data_len += len;
        return err::ERR_NONE;
    }

    MSG *Protocol::decode(uint8_t *new_data, size_t len)
    {
        if (len > 0)
        {
            push_data(new_data, len);
        }
        MSG *frame = new MSG();
        int idx = 0;
        if (get_msg(_buff, _data_len, frame, &idx, _header))
        {
            memmove(_buff, _buff + idx, _data_len - idx);
            _data_len -= idx;
            return frame;
        }
        if (idx > 0)
        {
            memmove(_buff, _buff + idx, _data_len - idx);
            _data_len -= idx;
        }
        delete frame;
        return nullptr;
    }
// ---- end of the verbatim part ----
} // namespace maix::protocol

// One frame of the app: CommProtocol::get_msg (one decode each) until it gives None; a
// throw ends the frame (the app sees an exception). Returns whether it threw.
static bool app_frame(maix::protocol::Protocol &p)
{
    using maix::protocol::MSG;
    for (;;) {
        MSG *msg = nullptr;
        try {
            msg = p.decode();
        } catch (const std::exception &e) {
            printf("{\"throws\": \"%s\"}\n", e.what());
            return true;
        }
        if (!msg)
            return false;
        printf("{\"cmd\": %u, \"is_req\": %s, \"body_len\": %d, \"body\": \"", msg->cmd,
               msg->is_req ? "true" : "false", msg->body_len);
        for (int i = 0; i < msg->body_len; i++)
            printf("%02x", msg->body[i]);
        printf("\"}\n");
        delete msg;
    }
}

int main()
{
    maix::protocol::Protocol p(1024, 0xBBACCAAA);   // CommProtocol(buff_size=1024)
    uint8_t chunk[128];                             // CommProtocol's _tmp_buff_len
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (p.push_data(chunk, (int)n) != maix::err::ERR_NONE)
            printf("{\"push_data\": \"ERR_BUFF_FULL\"}\n");
        app_frame(p);
    }
    for (int frame = 0; frame < 3; frame++)   // the app's next frames, no new bytes
        app_frame(p);
    return 0;
}
