package datasets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wavBytes builds a WAV file by hand: a "fmt " chunk with the given tag,
// channels, rate and bits (block align and byte rate derived), optional
// extra chunks before "data", and the data bytes. dataSize < 0 means
// len(data).
func wavBytes(tag uint16, channels, rate, bits int, extra []byte, data []byte, dataSize int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	put32 := func(v uint32) { binary.Write(&b, le, v) }
	put16 := func(v uint16) { binary.Write(&b, le, v) }
	if dataSize < 0 {
		dataSize = len(data)
	}
	b.WriteString("RIFF")
	put32(uint32(4 + 24 + len(extra) + 8 + len(data)))
	b.WriteString("WAVEfmt ")
	put32(16)
	put16(tag)
	put16(uint16(channels))
	put32(uint32(rate))
	put32(uint32(rate * channels * bits / 8))
	put16(uint16(channels * bits / 8))
	put16(uint16(bits))
	b.Write(extra)
	b.WriteString("data")
	put32(uint32(dataSize))
	b.Write(data)
	return b.Bytes()
}

// TestReadWAVFormats decodes every accepted encoding from bytes written by
// hand; the expected values follow from the scalings in ReadWAV's doc
// comment (e.g. 16-bit -16384 / 32768 = -0.5).
func TestReadWAVFormats(t *testing.T) {
	le := binary.LittleEndian
	f32 := func(vs ...float32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	f64 := func(vs ...float64) []byte {
		b := make([]byte, 8*len(vs))
		for i, v := range vs {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
		return b
	}
	list := []byte("LIST\x04\x00\x00\x00INFO")   // a chunk to skip
	odd := []byte("junk\x03\x00\x00\x00abc\x00") // odd size, padded
	cases := []struct {
		name          string
		tag           uint16
		channels, bit int
		extra, data   []byte
		want          []float32
	}{
		{"pcm8", 1, 1, 8, nil, []byte{128, 0, 255, 192}, []float32{0, -1, 127.0 / 128, 0.5}},
		{"pcm16", 1, 1, 16, list, []byte{0x00, 0xc0, 0xff, 0x7f, 0x00, 0x80}, []float32{-0.5, 32767.0 / 32768, -1}},
		{"pcm24", 1, 1, 24, odd, []byte{0x00, 0x00, 0x40, 0xff, 0xff, 0xff}, []float32{0.5, -1.0 / 8388608}},
		{"pcm32", 1, 1, 32, nil, []byte{0, 0, 0, 0xc0, 0, 0, 0, 0x20}, []float32{-0.5, 0.25}},
		{"float32", 3, 1, 32, nil, f32(0.25, -0.75, 1.5), []float32{0.25, -0.75, 1.5}},
		{"float64", 3, 1, 64, nil, f64(0.125, -1), []float32{0.125, -1}},
		// Stereo frames (0.5, -0.25) and (1-2^-15, 1-2^-15) mix to their means.
		{"stereo16", 1, 2, 16, nil, []byte{0x00, 0x40, 0x00, 0xe0, 0xff, 0x7f, 0xff, 0x7f}, []float32{0.125, 32767.0 / 32768}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := wavBytes(c.tag, c.channels, 8000, c.bit, c.extra, c.data, -1)
			got, rate, err := ReadWAV(bytes.NewReader(raw), c.name)
			if err != nil {
				t.Fatal(err)
			}
			if rate != 8000 {
				t.Errorf("rate %d, want 8000", rate)
			}
			if len(got) != len(c.want) {
				t.Fatalf("%d samples %v, want %v", len(got), got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("sample %d = %g, want %g", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestReadWAVExtensible(t *testing.T) {
	// WAVE_FORMAT_EXTENSIBLE with the PCM sub-format GUID
	// 00000001-0000-0010-8000-00aa00389b71: one 16-bit sample 0x2000 = 0.25.
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(4+48+8+2))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, le, uint32(40))
	for _, v := range []any{uint16(0xFFFE), uint16(1), uint32(16000), uint32(32000), uint16(2), uint16(16), uint16(22), uint16(16), uint32(4)} {
		binary.Write(&b, le, v)
	}
	b.Write([]byte{1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71})
	b.WriteString("data")
	binary.Write(&b, le, uint32(2))
	b.Write([]byte{0x00, 0x20})
	got, info, err := DecodeWAV(&b, "ext")
	if err != nil {
		t.Fatal(err)
	}
	if info.Format != WAVPCM || info.Rate != 16000 || info.Bits != 16 || info.Frames != 1 || len(got) != 1 || got[0] != 0.25 {
		t.Errorf("got %v %+v, want [0.25] PCM 16000 Hz 16 bits 1 frame", got, info)
	}
}

func TestEncodeWAVRoundTrip(t *testing.T) {
	in := []float32{0, 0.5, -0.5, 1, -1, 2, 0.1}
	var b bytes.Buffer
	if err := EncodeWAV(&b, in, 8000); err != nil {
		t.Fatal(err)
	}
	got, rate, err := ReadWAV(&b, "rt")
	if err != nil || rate != 8000 {
		t.Fatalf("%v, rate %d", err, rate)
	}
	// EncodeWAV writes round(v*32767) after clipping to [-1, 1]; ReadWAV
	// divides by 32768.
	for i, v := range in {
		c := max(-1, min(1, float64(v)))
		want := float32(math.Round(c*32767) / 32768)
		if got[i] != want {
			t.Errorf("sample %d: %g, want %g", i, got[i], want)
		}
	}
}

// TestReadWAVErrors checks that each kind of bad input gives one
// *FormatError naming the file, the byte offset and the problem.
func TestReadWAVErrors(t *testing.T) {
	good := wavBytes(1, 1, 8000, 16, nil, make([]byte, 100), -1)
	cases := []struct {
		name   string
		raw    []byte
		offset int64
		msg    string
	}{
		{"empty", nil, 0, "truncated: the RIFF header"},
		{"notriff", append([]byte("RIFX"), good[4:]...), 0, `starts with "RIFX"`},
		{"notwave", append(append([]byte{}, good[:8]...), append([]byte("AVI "), good[12:]...)...), 8, `form type "AVI "`},
		{"alaw", wavBytes(6, 1, 8000, 8, nil, []byte{1, 2}, -1), 20, "format tag 0x0006 (A-law) is not supported"},
		{"adpcm", wavBytes(2, 1, 8000, 4, nil, []byte{1, 2}, -1), 20, "format tag 0x0002 (ADPCM)"},
		{"pcm12", wavBytes(1, 1, 8000, 12, nil, []byte{1, 2}, -1), 34, "PCM with 12 bits per sample"},
		{"float16", wavBytes(3, 1, 8000, 16, nil, []byte{1, 2}, -1), 34, "IEEE float with 16 bits"},
		{"truncated-data", good[:len(good)-10], 44 + 90, "truncated: the data chunk at byte 36 declares 100 bytes (50 frames), the file ends after 90"},
		{"truncated-fmt", good[:30], 30, `truncated: the "fmt " chunk needs 16 bytes`},
		{"no-data", good[:36], 36, `no "data" chunk`},
		{"zero-channels", wavBytes(1, 0, 8000, 16, nil, nil, -1), 22, "0 channels"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ReadWAV(bytes.NewReader(c.raw), c.name+".wav")
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *FormatError", err)
			}
			if fe.File != c.name+".wav" || fe.Offset != c.offset || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("got %q (file %s, byte %d), want file %s.wav, byte %d, message containing %q",
					err, fe.File, fe.Offset, c.name, c.offset, c.msg)
			}
		})
	}
}

func TestReadWAVFileFSDD(t *testing.T) {
	dir := sharedData(t, "fsdd")
	path := filepath.Join(dir, "0_george_0.wav")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, info, err := DecodeWAV(bytes.NewReader(raw), path)
	if err != nil {
		t.Fatal(err)
	}
	// ../shared/data/README.md: PCM 16-bit mono 8 kHz.
	if info.Format != WAVPCM || info.Bits != 16 || info.Channels != 1 || info.Rate != 8000 {
		t.Fatalf("%+v, want PCM 16-bit mono 8000 Hz", info)
	}
	// The data chunk of a 16-bit mono file without extra chunks holds
	// len(file) - 44 bytes; the file's own header says so too.
	dataOff := bytes.Index(raw, []byte("data"))
	n := int(binary.LittleEndian.Uint32(raw[dataOff+4:])) / 2
	if len(x) != n {
		t.Fatalf("%d samples, the data chunk declares %d", len(x), n)
	}
	for i := range x {
		want := float32(int16(binary.LittleEndian.Uint16(raw[dataOff+8+2*i:]))) / 32768
		if x[i] != want {
			t.Fatalf("sample %d = %g, want %g", i, x[i], want)
		}
	}
}

// FuzzWAV checks that ReadWAV never panics and that every failure is a
// *FormatError; a success has one sample per declared frame.
func FuzzWAV(f *testing.F) {
	f.Add(wavBytes(1, 1, 8000, 16, nil, []byte{1, 2, 3, 4}, -1))
	f.Add(wavBytes(1, 2, 44100, 24, []byte("LIST\x04\x00\x00\x00INFO"), make([]byte, 12), -1))
	f.Add(wavBytes(3, 1, 8000, 32, nil, make([]byte, 8), -1))
	f.Add(wavBytes(3, 1, 8000, 64, nil, make([]byte, 16), 1000))
	f.Add(wavBytes(1, 1, 8000, 8, nil, []byte{9}, -1))
	f.Add(wavBytes(6, 1, 8000, 8, nil, []byte{9}, -1))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, info, err := DecodeWAV(bytes.NewReader(b), "fuzz")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			if fe.Offset < 0 || fe.Offset > int64(len(b)) {
				t.Fatalf("offset %d outside the %d input bytes: %v", fe.Offset, len(b), err)
			}
			return
		}
		if len(x) != info.Frames || info.Rate < 1 || info.Channels < 1 {
			t.Fatalf("%d samples, %+v", len(x), info)
		}
	})
}
