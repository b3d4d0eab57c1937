package datasets

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// WAVFormat is the sample encoding of a WAV file.
type WAVFormat int

const (
	// WAVPCM is integer PCM (format tag 1): unsigned 8-bit, or signed
	// little-endian 16-, 24- or 32-bit samples.
	WAVPCM WAVFormat = 1
	// WAVFloat is IEEE floating point (format tag 3): 32- or 64-bit
	// little-endian samples.
	WAVFloat WAVFormat = 3
)

// String returns "PCM" or "IEEE float".
func (f WAVFormat) String() string {
	switch f {
	case WAVPCM:
		return "PCM"
	case WAVFloat:
		return "IEEE float"
	}
	return fmt.Sprintf("WAVFormat(%d)", int(f))
}

// WAVInfo describes the stream of a WAV file as its "fmt " chunk declares it.
type WAVInfo struct {
	// Format is PCM or IEEE float (WAVE_FORMAT_EXTENSIBLE files report the
	// format of their sub-format GUID).
	Format WAVFormat
	// Channels is the number of interleaved channels.
	Channels int
	// Rate is the sample rate in hertz (samples per second per channel).
	Rate int
	// Bits is the number of bits per sample.
	Bits int
	// Frames is the number of sample frames (samples per channel).
	Frames int
}

// maxWAVBytes bounds the data chunk of one WAV file: a header declaring
// more is rejected.
const maxWAVBytes = 1 << 31

// ReadWAV decodes a RIFF WAVE file from r into samples in [-1, 1] and
// returns them with the sample rate in hertz. A multi-channel file is mixed
// down to mono (the mean of its channels). name is used in errors.
//
// The format (Microsoft's RIFF WAVE, as in the Multimedia Programming
// Interface and Data Specifications 1.0, 1991, and the
// WAVE_FORMAT_EXTENSIBLE amendment): the 12-byte header "RIFF", a
// little-endian uint32 length, "WAVE"; then chunks of a 4-byte id, a uint32
// size and the payload, padded to an even length. The "fmt " chunk (which
// must precede "data") gives the format tag, channels, sample rate, byte
// rate, block align and bits per sample; "data" holds the interleaved
// samples. Other chunks (LIST, fact, cue ...) are skipped.
//
// Accepted encodings, and how a sample s becomes a value in [-1, 1]:
//
//	PCM 8-bit (unsigned)  (s - 128) / 128
//	PCM 16-bit            s / 32768
//	PCM 24-bit            s / 8388608
//	PCM 32-bit            s / 2147483648
//	IEEE float 32/64-bit  s (not clipped)
//
// Anything else (A-law, mu-law, ADPCM, 12-bit PCM ...), a missing "fmt " or
// "data" chunk, a block align that does not match, and a data chunk shorter
// than its declared size (a truncated file) give one *FormatError naming
// the file and the byte offset, for example
//
//	datasets: 0_george_0.wav: byte 20: format tag 0x0002 (ADPCM) is not supported: only PCM (1) and IEEE float (3)
//
// A trailing odd data byte and chunks after "data" are ignored.
func ReadWAV(r io.Reader, name string) (samples []float32, rate int, err error) {
	samples, info, err := DecodeWAV(r, name)
	if err != nil {
		return nil, 0, err
	}
	return samples, info.Rate, nil
}

// ReadWAVFile is ReadWAV of the file at path.
func ReadWAVFile(path string) (samples []float32, rate int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	return ReadWAV(bufio.NewReaderSize(f, 64<<10), path)
}

// DecodeWAV is ReadWAV returning the whole description of the stream.
func DecodeWAV(r io.Reader, name string) (samples []float32, info WAVInfo, err error) {
	d := wavDecoder{r: r, name: name}
	return d.decode()
}

type wavDecoder struct {
	r    io.Reader
	name string
	off  int64
	buf  [40]byte
}

func (d *wavDecoder) errf(off int64, cause error, format string, args ...any) error {
	return &FormatError{File: d.name, Offset: off, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// read fills b from the stream, reporting a short read as truncation.
func (d *wavDecoder) read(b []byte, what string) error {
	n, err := io.ReadFull(d.r, b)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return d.errf(d.off+int64(n), err, "truncated: %s needs %d bytes, the file ends after %d", what, len(b), n)
	}
	d.off += int64(n)
	return nil
}

// skip discards n bytes of the stream.
func (d *wavDecoder) skip(n int64, what string) error {
	m, err := io.CopyN(io.Discard, d.r, n)
	d.off += m
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return d.errf(d.off, err, "truncated: %s declares %d bytes, the file ends after %d", what, n, m)
	}
	return nil
}

func (d *wavDecoder) decode() ([]float32, WAVInfo, error) {
	var info WAVInfo
	h := d.buf[:12]
	if err := d.read(h, "the RIFF header"); err != nil {
		return nil, info, err
	}
	if string(h[0:4]) != "RIFF" {
		return nil, info, d.errf(0, nil, "not a WAV file: starts with %q, want \"RIFF\"", h[0:4])
	}
	if string(h[8:12]) != "WAVE" {
		return nil, info, d.errf(8, nil, "not a WAV file: RIFF form type %q, want \"WAVE\"", h[8:12])
	}
	haveFmt := false
	for {
		start := d.off
		ch := d.buf[:8]
		if n, err := io.ReadFull(d.r, ch); err != nil {
			if n == 0 && errors.Is(err, io.EOF) {
				if !haveFmt {
					return nil, info, d.errf(start, nil, "no \"fmt \" chunk before the end of the file")
				}
				return nil, info, d.errf(start, nil, "no \"data\" chunk before the end of the file")
			}
			return nil, info, d.errf(start+int64(n), io.ErrUnexpectedEOF, "truncated chunk header")
		}
		d.off += 8
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if haveFmt {
				return nil, info, d.errf(start, nil, "a second \"fmt \" chunk")
			}
			if err := d.readFmt(start, size, &info); err != nil {
				return nil, info, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, info, d.errf(start, nil, "\"data\" chunk before the \"fmt \" chunk")
			}
			samples, err := d.readData(start, size, &info)
			return samples, info, err
		default:
			if err := d.skip(size+size&1, fmt.Sprintf("chunk %q at byte %d", id, start)); err != nil {
				return nil, info, err
			}
		}
	}
}

func (d *wavDecoder) readFmt(start, size int64, info *WAVInfo) error {
	if size < 16 || size > 1<<16 {
		return d.errf(start+4, nil, "\"fmt \" chunk of %d bytes, want 16 to 65536", size)
	}
	b := make([]byte, size+size&1)
	if err := d.read(b, "the \"fmt \" chunk"); err != nil {
		return err
	}
	base := start + 8
	tag := binary.LittleEndian.Uint16(b[0:2])
	info.Channels = int(binary.LittleEndian.Uint16(b[2:4]))
	info.Rate = int(binary.LittleEndian.Uint32(b[4:8]))
	align := int(binary.LittleEndian.Uint16(b[12:14]))
	info.Bits = int(binary.LittleEndian.Uint16(b[14:16]))
	tagOff := base
	if tag == 0xFFFE { // WAVE_FORMAT_EXTENSIBLE: the real tag opens the sub-format GUID
		if size < 40 {
			return d.errf(base, nil, "WAVE_FORMAT_EXTENSIBLE \"fmt \" chunk of %d bytes, want 40", size)
		}
		tag = binary.LittleEndian.Uint16(b[24:26])
		tagOff = base + 24
	}
	switch tag {
	case 1:
		info.Format = WAVPCM
		if info.Bits != 8 && info.Bits != 16 && info.Bits != 24 && info.Bits != 32 {
			return d.errf(base+14, nil, "PCM with %d bits per sample is not supported: only 8, 16, 24 and 32", info.Bits)
		}
	case 3:
		info.Format = WAVFloat
		if info.Bits != 32 && info.Bits != 64 {
			return d.errf(base+14, nil, "IEEE float with %d bits per sample is not supported: only 32 and 64", info.Bits)
		}
	default:
		return d.errf(tagOff, nil, "format tag 0x%04x (%s) is not supported: only PCM (1) and IEEE float (3)", tag, wavTagName(tag))
	}
	if info.Channels < 1 {
		return d.errf(base+2, nil, "%d channels", info.Channels)
	}
	if info.Rate < 1 {
		return d.errf(base+4, nil, "sample rate %d Hz", info.Rate)
	}
	if want := info.Channels * info.Bits / 8; align != want {
		return d.errf(base+12, nil, "block align %d, want channels*bits/8 = %d*%d/8 = %d", align, info.Channels, info.Bits, want)
	}
	return nil
}

func wavTagName(tag uint16) string {
	switch tag {
	case 2:
		return "ADPCM"
	case 6:
		return "A-law"
	case 7:
		return "mu-law"
	case 0x11:
		return "IMA ADPCM"
	case 0x55:
		return "MPEG layer 3"
	}
	return "unknown"
}

func (d *wavDecoder) readData(start, size int64, info *WAVInfo) ([]float32, error) {
	if size > maxWAVBytes {
		return nil, d.errf(start+4, nil, "data chunk of %d bytes is more than the %d this reader accepts", size, int64(maxWAVBytes))
	}
	width := info.Bits / 8
	block := int64(info.Channels * width)
	frames := size / block
	info.Frames = int(frames)
	// The declared size only bounds the work: memory follows the bytes
	// that really arrive, so a lying header cannot make a huge allocation.
	out := make([]float32, 0, min(frames, 1<<20))
	inv := float32(1) / float32(info.Channels)
	buf := make([]byte, 0, min(int64(64<<10)/block*block+block, frames*block))
	for f := int64(0); f < frames; {
		n := min(frames-f, int64(cap(buf))/block)
		b := buf[:n*block]
		got, err := io.ReadFull(d.r, b)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, d.errf(d.off+int64(got), err, "truncated: the data chunk at byte %d declares %d bytes (%d frames), the file ends after %d",
				start, size, frames, d.off+int64(got)-start-8)
		}
		d.off += int64(got)
		for i := range n {
			fr := b[i*block : (i+1)*block]
			var s float32
			for c := 0; c < info.Channels; c++ {
				s += wavSample(fr[c*width:(c+1)*width], info.Format, info.Bits)
			}
			if info.Channels > 1 {
				s *= inv
			}
			out = append(out, s)
		}
		f += n
	}
	return out, nil
}

// wavSample decodes one little-endian sample.
func wavSample(b []byte, format WAVFormat, bits int) float32 {
	if format == WAVFloat {
		if bits == 32 {
			return math.Float32frombits(binary.LittleEndian.Uint32(b))
		}
		return float32(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	switch bits {
	case 8:
		return float32(int(b[0])-128) / 128
	case 16:
		return float32(int16(binary.LittleEndian.Uint16(b))) / 32768
	case 24:
		v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
		return float32(v) / 8388608
	default:
		return float32(float64(int32(binary.LittleEndian.Uint32(b))) / 2147483648)
	}
}

// EncodeWAV writes samples in [-1, 1] as a mono 16-bit PCM WAV file at rate
// hertz: values are scaled by 32767 and rounded, values outside [-1, 1]
// are clipped. It is the inverse of ReadWAV up to the 16-bit quantisation.
func EncodeWAV(w io.Writer, samples []float32, rate int) error {
	if rate < 1 {
		return fmt.Errorf("datasets: EncodeWAV: sample rate %d Hz", rate)
	}
	n := len(samples) * 2
	if int64(n) > maxWAVBytes {
		return fmt.Errorf("datasets: EncodeWAV: %d samples are more than a WAV file holds", len(samples))
	}
	b := make([]byte, 44+n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	for i, v := range samples {
		v = max(-1, min(1, v))
		if v != v { // NaN
			v = 0
		}
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(int16(math.Round(float64(v)*32767))))
	}
	_, err := w.Write(b)
	return err
}
