/* Just enough of Arduino's API to build and run the docs/protocol/README.md sketch on a
 * PC: Serial2 reads stdin, Serial prints to stdout (print(double) with 2 decimals, as
 * Arduino's Print does). The test compiles the sketch with this included first. */
#pragma once
#include <cstdint>
#include <cstdio>

#define SERIAL_8N1 0x06

class HardwareSerial {
  public:
    explicit HardwareSerial(FILE *in) : in_(in), next_(-2) {}
    void begin(unsigned long, int = SERIAL_8N1, int = -1, int = -1) {}
    int available() {
        if (next_ == -2)
            next_ = in_ ? std::fgetc(in_) : EOF;
        return next_ != EOF;
    }
    int read() {
        if (!available())
            return -1;
        int c = next_;
        next_ = -2;
        return c;
    }
    size_t write(const uint8_t *data, size_t n) { return std::fwrite(data, 1, n, stdout); }
    void print(const char *s) { std::fputs(s, stdout); }
    void print(long v) { std::printf("%ld", v); }
    void print(unsigned long v) { std::printf("%lu", v); }
    void print(int v) { std::printf("%d", v); }
    void print(unsigned v) { std::printf("%u", v); }
    void print(double v) { std::printf("%.2f", v); }
    template <typename T> void println(T v) { print(v); std::putchar('\n'); }

  private:
    FILE *in_;
    int next_;
};

static HardwareSerial Serial(nullptr);
static HardwareSerial Serial2(stdin);

void setup();
void loop();

int main() {
    setup();
    while (Serial2.available())
        loop();
    return 0;
}
