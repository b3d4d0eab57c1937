package datasets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// Cache keeps tensors converted from source files (decoded event
// recordings cut into frames, audio turned into spikes) on disk, so that a
// second epoch, or a second run, reads the converted values instead of
// decoding the file again.
//
// # Keys
//
// An entry is found by its key: the source file's identity and a canonical
// description of the conversion (the transform), so that changing either
// makes a new entry. The source's identity is its absolute path, size and
// modification time (nanoseconds) by default, which costs one stat; with
// HashSource it is the SHA-256 of its bytes instead, which reads the file
// at every lookup but survives copies and touches. The entry's file name is
// the hex SHA-256 of the key, with the suffix ".sgt"; entries of sources
// that changed are never read again (delete the folder to reclaim them).
//
// # Entries
//
// An entry file holds, little-endian: the magic "SGCACHE1", the key's
// length (uint32) and bytes, the number of dimensions (uint32) and each
// (uint64), the type of the values (one byte: 1 float32, 2 uint8, used when
// every value is an integer from 0 to 255, as event counts and spikes
// mostly are, which makes the entry 4 times smaller), the values, and the
// CRC-32C (Castagnoli) of everything before it. Reading verifies all of it:
// the magic, that the key is the one asked for, the type, the length the
// shape implies and the checksum. An entry that fails is
// reported (Report, with a *FormatError naming the entry's file, the byte
// offset and what is wrong), converted again and rewritten. Entries are
// written atomically: to a temporary file in the same folder, synced, then
// renamed (NoSync leaves out the sync), so no reader ever sees a
// half-written entry under the final name, and processes sharing a folder
// at most convert a file twice.
//
// # Location
//
// NewCache("") uses DefaultCacheDir, os.UserCacheDir()/spikegrad/cache
// ($XDG_CACHE_HOME/spikegrad/cache or ~/.cache/spikegrad/cache on Linux);
// any other folder may be given. A Cache is safe for concurrent use.
type Cache struct {
	// Dir is the folder of the entries.
	Dir string
	// HashSource keys sources by the SHA-256 of their bytes instead of
	// path, size and modification time.
	HashSource bool
	// NoSync skips the fsync of each entry before its rename. A process
	// killed while writing still never leaves a partial entry under the
	// final name; a crash of the system may, and reading then finds it
	// corrupt (the checksum) and makes it again. It makes the first epoch
	// faster on disks where a sync is slow.
	NoSync bool
	// Report receives the error of each corrupt entry found (after which
	// the entry is made again); nil ignores them. Stats counts them too.
	Report func(error)

	hits, misses, corrupt atomic.Int64
}

// CacheStats counts a Cache's lookups.
type CacheStats struct {
	Hits, Misses, Corrupt int64 // entries read; converted (missing or corrupt); found corrupt
}

// cacheMagic starts every entry file.
const cacheMagic = "SGCACHE1"

// The types of an entry's values.
const (
	cacheFloat32 = 1
	cacheUint8   = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// DefaultCacheDir returns os.UserCacheDir()/spikegrad/cache.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("datasets: no cache folder: %w", err)
	}
	return filepath.Join(d, "spikegrad", "cache"), nil
}

// NewCache returns a cache in dir ("" for DefaultCacheDir), creating the
// folder.
func NewCache(dir string) (*Cache, error) {
	if dir == "" {
		var err error
		if dir, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("datasets: cache: %w", err)
	}
	return &Cache{Dir: dir}, nil
}

// Stats returns the counts of lookups so far.
func (c *Cache) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Corrupt: c.corrupt.Load()}
}

// Key returns the key of the tensor converted from the file src by the
// conversion described by transform (see Cache). It fails when src cannot
// be read.
func (c *Cache) Key(src, transform string) (string, error) {
	var b strings.Builder
	b.WriteString("spikegrad cache 1\n")
	if c.HashSource {
		f, err := os.Open(src)
		if err != nil {
			return "", fmt.Errorf("datasets: cache: %w", err)
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return "", fmt.Errorf("datasets: cache: reading %s: %w", src, err)
		}
		fmt.Fprintf(&b, "source sha256 %x\n", h.Sum(nil))
	} else {
		abs, err := filepath.Abs(src)
		if err != nil {
			return "", fmt.Errorf("datasets: cache: %w", err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return "", fmt.Errorf("datasets: cache: %w", err)
		}
		fmt.Fprintf(&b, "source %q size %d mtime %d\n", abs, fi.Size(), fi.ModTime().UnixNano())
	}
	b.WriteString("transform " + transform + "\n")
	return b.String(), nil
}

// Path returns the file of the entry with the given key.
func (c *Cache) Path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:])+".sgt")
}

// Load returns the tensor converted from the file src by the conversion
// described by transform, and its shape: the cache's entry when it has a
// valid one, otherwise convert's result, which it then stores. convert must
// return len(data) equal to the product of shape. Load fails when src
// cannot be read, when convert fails, or when the entry cannot be written.
func (c *Cache) Load(src, transform string, convert func() (data []float32, shape []int, err error)) ([]float32, []int, error) {
	key, err := c.Key(src, transform)
	if err != nil {
		return nil, nil, err
	}
	path := c.Path(key)
	data, shape, err := readEntry(path, key)
	switch {
	case err == nil:
		c.hits.Add(1)
		return data, shape, nil
	case errors.Is(err, fs.ErrNotExist):
	case errors.Is(err, ErrFormat):
		c.corrupt.Add(1)
		if c.Report != nil {
			c.Report(err)
		}
	default:
		return nil, nil, fmt.Errorf("datasets: cache: %w", err)
	}
	c.misses.Add(1)
	data, shape, err = convert()
	if err != nil {
		return nil, nil, err
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n != len(data) || len(shape) == 0 {
		return nil, nil, fmt.Errorf("datasets: cache: converting %s gave %d values for the shape %v", src, len(data), shape)
	}
	if err := writeEntry(c.Dir, path, key, data, shape, !c.NoSync); err != nil {
		return nil, nil, err
	}
	return data, shape, nil
}

// readEntry reads and verifies the entry at path for key. A missing file
// gives an error that wraps fs.ErrNotExist, a corrupt one a *FormatError.
func readEntry(path, key string) ([]float32, []int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	bad := func(off int, format string, a ...any) error {
		return &FormatError{File: path, Offset: int64(off), Msg: "cache entry: " + fmt.Sprintf(format, a...)}
	}
	if len(b) < len(cacheMagic)+4+4+1+4 {
		return nil, nil, bad(len(b), "truncated: %d bytes", len(b))
	}
	if string(b[:len(cacheMagic)]) != cacheMagic {
		return nil, nil, bad(0, "magic %q, want %q", b[:len(cacheMagic)], cacheMagic)
	}
	body := b[:len(b)-4]
	if sum, got := binary.LittleEndian.Uint32(b[len(body):]), crc32.Checksum(body, castagnoli); sum != got {
		return nil, nil, bad(len(body), "checksum %08x, the content's is %08x", sum, got)
	}
	off := len(cacheMagic)
	klen := int(binary.LittleEndian.Uint32(body[off:]))
	off += 4
	if klen > len(body)-off-5 || string(body[off:off+klen]) != key {
		return nil, nil, bad(off, "the entry is for another key")
	}
	off += klen
	ndim := int(binary.LittleEndian.Uint32(body[off:]))
	off += 4
	if ndim < 1 || ndim > 8 || len(body)-off < 8*ndim+1 {
		return nil, nil, bad(off-4, "%d dimensions", ndim)
	}
	shape := make([]int, ndim)
	n := uint64(1)
	for i := range shape {
		d := binary.LittleEndian.Uint64(body[off:])
		if d > math.MaxInt32 || n*d > uint64(len(body)) {
			return nil, nil, bad(off, "dimension %d is %d", i, d)
		}
		shape[i], n = int(d), n*d
		off += 8
	}
	typ, size := body[off], uint64(0)
	switch typ {
	case cacheFloat32:
		size = 4
	case cacheUint8:
		size = 1
	default:
		return nil, nil, bad(off, "value type %d", typ)
	}
	off++
	if uint64(len(body)-off) != size*n {
		return nil, nil, bad(off, "%d bytes of values for the shape %v, want %d", len(body)-off, shape, size*n)
	}
	data := make([]float32, n)
	v := body[off:]
	if typ == cacheUint8 {
		for i, u := range v {
			data[i] = float32(u)
		}
	} else {
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(v[4*i:]))
		}
	}
	return data, shape, nil
}

// smallInts reports whether every value is an integer from 0 to 255.
func smallInts(data []float32) bool {
	for _, v := range data {
		if !(v >= 0 && v <= 255 && v == float32(int(v))) || math.Signbit(float64(v)) {
			return false
		}
	}
	return true
}

// writeEntry writes an entry atomically: a temporary file in dir, synced
// (with sync), renamed to path.
func writeEntry(dir, path, key string, data []float32, shape []int, sync bool) (err error) {
	b := make([]byte, 0, len(cacheMagic)+9+len(key)+8*len(shape)+4*len(data)+4)
	b = append(b, cacheMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(shape)))
	for _, d := range shape {
		b = binary.LittleEndian.AppendUint64(b, uint64(d))
	}
	if smallInts(data) {
		b = append(b, cacheUint8)
		for _, v := range data {
			b = append(b, byte(v))
		}
	} else {
		b = append(b, cacheFloat32)
		for _, v := range data {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	f, err := os.CreateTemp(dir, ".tmp-*.sgt")
	if err != nil {
		return fmt.Errorf("datasets: cache: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("datasets: cache: writing %s: %w", path, err)
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if sync {
		if err = f.Sync(); err != nil {
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
