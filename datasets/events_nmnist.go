package datasets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// N-MNIST's sensor: the ATIS recordings are cropped to 34 x 34 pixels
// (Orchard et al. 2015, "Converting static image datasets to spiking
// neuromorphic datasets using saccades", Frontiers in Neuroscience 9:437).
const (
	NMNISTWidth  = 34
	NMNISTHeight = 34
)

// nmnistOverflowY marks a timestamp-overflow event in the .bin format of
// N-MNIST and N-Caltech101: an "event" with y = 240 carries no pixel and
// adds 2^13 µs to the timestamps of every event after it (Orchard's
// Read_Ndataset.m, which tonic's read_mnist_file follows).
const (
	nmnistOverflowY  = 240
	nmnistOverflowUS = 1 << 13
)

// ReadNMNIST decodes one N-MNIST sample in its native .bin format from r;
// name is used in errors. The format (Orchard et al. 2015) has no header:
// 5 bytes per event, x = b0, y = b1, polarity = b2 >> 7 (1 = ON),
// timestamp = (b2 & 0x7F) << 16 | b3 << 8 | b4 in microseconds. An event
// with y = 240 is a timestamp-overflow marker, not a pixel: it adds 2^13 µs
// to every later timestamp (Orchard's Read_Ndataset.m; no N-MNIST file has
// one, the 23-bit timestamps cover 8.4 s). The stream is 34 x 34 pixels.
//
// A length that is not a multiple of 5 (a truncated file), a pixel outside
// the 34 x 34 sensor and a timestamp smaller than the one before (the format
// writes them in order and never wraps them) are *FormatError naming the
// byte offset of the event.
func ReadNMNIST(r io.Reader, name string) (*EventStream, error) {
	return readEventStream(r, name, decodeNMNIST)
}

// ReadNMNISTFile reads the N-MNIST .bin file at path (see ReadNMNIST).
func ReadNMNISTFile(path string) (*EventStream, error) {
	return readEventFile(path, decodeNMNIST)
}

func decodeNMNIST(b []byte, name string) (*EventStream, error) {
	if r := len(b) % 5; r != 0 {
		return nil, formatErr(name, len(b)-r, "truncated: %d bytes is not a whole number of 5-byte events (the last one has %d bytes)", len(b), r)
	}
	ev := make([]Event, 0, len(b)/5)
	var base, prev int64
	for off := 0; off+5 <= len(b); off += 5 {
		r := b[off : off+5 : off+5]
		x, y := r[0], r[1]
		t := base + (int64(r[2]&0x7F)<<16 | int64(r[3])<<8 | int64(r[4]))
		if y == nmnistOverflowY {
			base += nmnistOverflowUS
			continue
		}
		if x >= NMNISTWidth || y >= NMNISTHeight {
			return nil, formatErr(name, off, "event at (x %d, y %d) lies outside the %dx%d sensor", x, y, NMNISTWidth, NMNISTHeight)
		}
		if t < prev {
			return nil, formatErr(name, off, "timestamp %d µs comes before the previous event's %d µs (N-MNIST timestamps never decrease)", t, prev)
		}
		prev = t
		ev = append(ev, Event{T: t, X: uint16(x), Y: uint16(y), P: r[2] >> 7})
	}
	return &EventStream{Events: ev, Width: NMNISTWidth, Height: NMNISTHeight, Path: name}, nil
}

// NMNIST returns one split of N-MNIST found in dir, in either of two layouts:
//
//   - the full set as Orchard et al. publish it (Train.zip and Test.zip
//     unpacked): dir/Train/<digit>/<id>.bin and dir/Test/<digit>/<id>.bin,
//     60000 and 10000 samples, the folder giving the class;
//   - a subset folder: dir/<id>.bin with the labels in a text file,
//     train1K.txt for Train and test100.txt for Test (lines "<id> <class>"
//     after a "#sample #class" header; ../shared/data/nmnist-small).
//
// Samples are ordered by id. Nothing is decoded here: see EventSet.
func NMNIST(dir string, split Split) (*EventSet, error) {
	name := "nmnist " + split.String()
	sub := "Train"
	labels := "train1K.txt"
	if split == Test {
		sub, labels = "Test", "test100.txt"
	} else if split != Train {
		return nil, fmt.Errorf("datasets: nmnist: unknown split %v", split)
	}
	set := &EventSet{Name: name, Classes: 10, Width: NMNISTWidth, Height: NMNISTHeight, Read: ReadNMNISTFile}
	type idSample struct {
		id int
		s  EventSample
	}
	var all []idSample
	if st, err := os.Stat(filepath.Join(dir, sub)); err == nil && st.IsDir() {
		for digit := range 10 {
			ddir := filepath.Join(dir, sub, strconv.Itoa(digit))
			ents, err := os.ReadDir(ddir)
			if err != nil {
				return nil, fmt.Errorf("datasets: %s: %w", name, err)
			}
			for _, e := range ents {
				base, ok := strings.CutSuffix(e.Name(), ".bin")
				id, err := strconv.Atoi(base)
				if !ok || err != nil || !e.Type().IsRegular() {
					continue
				}
				all = append(all, idSample{id, EventSample{Path: filepath.Join(ddir, e.Name()), Label: digit}})
			}
		}
		if len(all) == 0 {
			return nil, fmt.Errorf("datasets: %s: no <id>.bin files under %s", name, filepath.Join(dir, sub))
		}
	} else {
		lp := filepath.Join(dir, labels)
		f, err := os.Open(lp)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("datasets: %s: %s holds neither %s/<digit>/<id>.bin (the full set) nor %s (a subset): %w", name, dir, sub, labels, err)
			}
			return nil, fmt.Errorf("datasets: %s: %w", name, err)
		}
		defer f.Close()
		pairs, err := readLabelPairs(f, lp, 10)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			all = append(all, idSample{p[0], EventSample{Path: filepath.Join(dir, strconv.Itoa(p[0])+".bin"), Label: p[1]}})
		}
	}
	slices.SortStableFunc(all, func(a, b idSample) int { return a.id - b.id })
	for i := 1; i < len(all); i++ {
		if all[i].id == all[i-1].id {
			return nil, fmt.Errorf("datasets: %s: sample id %d appears twice (%s, %s)", name, all[i].id, all[i-1].s.Path, all[i].s.Path)
		}
	}
	set.Samples = make([]EventSample, len(all))
	for i, a := range all {
		set.Samples[i] = a.s
	}
	return set, nil
}

// readLabelPairs reads lines "<id> <class>" (separated by spaces or tabs);
// lines starting with '#' and blank lines are skipped. A malformed line or a
// class outside [0, classes) is a *FormatError naming its byte offset.
func readLabelPairs(r io.Reader, name string, classes int) ([][2]int, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &FormatError{File: name, Offset: int64(len(data)), Msg: "read failed", Err: err}
	}
	var out [][2]int
	err = forEachLine(data, func(off int, line string) error {
		if len(line) == 0 || line[0] == '#' {
			return nil
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return formatErr(name, off, "line %q: want \"<id> <class>\"", line)
		}
		id, err1 := strconv.Atoi(f[0])
		c, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil || id < 0 {
			return formatErr(name, off, "line %q: id and class must be non-negative integers", line)
		}
		if c < 0 || c >= classes {
			return formatErr(name, off, "line %q: class %d outside [0, %d)", line, c, classes)
		}
		out = append(out, [2]int{id, c})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, formatErr(name, len(data), "no labels")
	}
	return out, nil
}
