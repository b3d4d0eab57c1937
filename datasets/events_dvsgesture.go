package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DVS128 Gesture (Amir et al. 2017, "A low power, fully event-based gesture
// recognition system", CVPR): 11 classes of hand and arm gestures by 29
// subjects under 5 lightings, recorded with a DVS128.
const (
	DVSGestureClasses = 11
	DVSGestureWidth   = 128
	DVSGestureHeight  = 128
)

// DVSGesture returns one split of DVS128 Gesture from dir, the folder
// DvsGesture of the published archive: recordings user<NN>_<lighting>.aedat
// (AEDAT 3.1) each beside user<NN>_<lighting>_labels.csv, whose rows
// "class,startTime_usec,endTime_usec" cut it into labelled gestures (class
// 1 to 11 becomes Label 0 to 10; Start and End are the recording's own
// microseconds). The split's recordings are those listed in
// trials_to_train.txt or trials_to_test.txt when the file exists, else
// users 1-23 for Train and 24-29 for Test (the published split). Samples are
// ordered by file name, then start time; EventSet.Streams reads each
// recording once for all its gestures.
func DVSGesture(dir string, split Split) (*EventSet, error) {
	name := "dvsgesture " + split.String()
	var list string
	switch split {
	case Train:
		list = "trials_to_train.txt"
	case Test:
		list = "trials_to_test.txt"
	default:
		return nil, fmt.Errorf("datasets: dvsgesture: unknown split %v", split)
	}
	var files []string
	if b, err := os.ReadFile(filepath.Join(dir, list)); err == nil {
		for _, f := range strings.Fields(string(b)) {
			if strings.HasSuffix(f, ".aedat") {
				files = append(files, f)
			}
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: %w", name, err)
		}
		for _, e := range ents {
			n := e.Name()
			user, ok := dvsGestureUser(n)
			if !ok || !strings.HasSuffix(n, ".aedat") {
				continue
			}
			if (split == Train) == (user <= 23) {
				files = append(files, n)
			}
		}
	} else {
		return nil, fmt.Errorf("datasets: %s: %w", name, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("datasets: %s: no user*_*.aedat recordings in %s", name, dir)
	}
	slices.Sort(files)
	set := &EventSet{Name: name, Classes: DVSGestureClasses, Width: DVSGestureWidth, Height: DVSGestureHeight, Read: readDVSGestureFile}
	for _, f := range files {
		aedat := filepath.Join(dir, f)
		csv := strings.TrimSuffix(aedat, ".aedat") + "_labels.csv"
		b, err := os.ReadFile(csv)
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: labels of %s: %w", name, f, err)
		}
		cuts, err := parseGestureLabels(b, csv)
		if err != nil {
			return nil, err
		}
		for _, c := range cuts {
			c.Path = aedat
			set.Samples = append(set.Samples, c)
		}
	}
	return set, nil
}

// dvsGestureUser returns NN of a name "user<NN>_...".
func dvsGestureUser(n string) (int, bool) {
	rest, ok := strings.CutPrefix(n, "user")
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, "_")
	u, err := strconv.Atoi(num)
	return u, ok && err == nil
}

// parseGestureLabels reads a DVS128 Gesture label file: an optional header
// line "class,startTime_usec,endTime_usec", then one row per gesture. A bad
// row is a *FormatError naming its byte offset.
func parseGestureLabels(b []byte, name string) ([]EventSample, error) {
	var out []EventSample
	err := forEachLine(b, func(off int, s string) error {
		if s == "" || strings.HasPrefix(s, "class") {
			return nil
		}
		f := strings.Split(s, ",")
		if len(f) != 3 {
			return formatErr(name, off, "row %q: want class,startTime_usec,endTime_usec", s)
		}
		c, err1 := strconv.Atoi(strings.TrimSpace(f[0]))
		start, err2 := strconv.ParseInt(strings.TrimSpace(f[1]), 10, 64)
		end, err3 := strconv.ParseInt(strings.TrimSpace(f[2]), 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return formatErr(name, off, "row %q: class and times must be integers", s)
		}
		if c < 1 || c > DVSGestureClasses {
			return formatErr(name, off, "row %q: class %d outside 1..%d", s, c, DVSGestureClasses)
		}
		if start < 0 || end <= start {
			return formatErr(name, off, "row %q: want 0 <= start < end", s)
		}
		out = append(out, EventSample{Label: c - 1, Start: start, End: end})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, formatErr(name, len(b), "no gestures")
	}
	slices.SortStableFunc(out, func(a, b EventSample) int { return int(min(max(a.Start-b.Start, -1), 1)) })
	return out, nil
}

func readDVSGestureFile(path string) (*EventStream, error) {
	s, err := ReadAEDATFile(path)
	if err != nil {
		return nil, err
	}
	if s.Width != DVSGestureWidth || s.Height != DVSGestureHeight {
		return nil, fmt.Errorf("datasets: %s: a %dx%d recording, not DVS128 Gesture's 128x128", path, s.Width, s.Height)
	}
	return s, nil
}
