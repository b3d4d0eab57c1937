package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkOnlyFiles fails unless dir holds exactly the named files: no
// temporary file may survive a write.
func checkOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("directory holds %q, want %q", got, names)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	for _, content := range []string{"first\n", "second, longer\n", ""} {
		err := Write(path, func(w io.Writer) error {
			_, err := io.WriteString(w, content)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Errorf("file holds %q, %v; want %q", got, err, content)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	checkOnlyFiles(t, dir, "config.yaml")
}

// TestWriteBytes checks that WriteBytes replaces a file with exactly the
// given bytes, also with none, and fails as Write does.
func TestWriteBytes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	// 100,000 bytes: more than the 64 KiB write buffer.
	big := make([]byte, 100_000)
	for i := range big {
		big[i] = byte(i)
	}
	for _, data := range [][]byte{[]byte("{}\n"), big, nil} {
		if err := WriteBytes(path, data); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || !slices.Equal(got, data) {
			t.Errorf("file holds %d bytes, %v; want the %d written", len(got), err, len(data))
		}
	}
	checkOnlyFiles(t, dir, "model.json")
	missing := filepath.Join(dir, "nodir", "x")
	if err := WriteBytes(missing, big); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing directory: %v", err)
	}
}

// TestWriteFailures makes each step that can fail fail: the old
// file must stay as it was and no temporary file may be left.
func TestWriteFailures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "last.safetensors")
	const old = "the previous checkpoint"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	errDisk := errors.New("disk full")
	// More than the 64 KiB buffer, so that part of it reaches the file.
	big := make([]byte, 200_000)

	err := Write(path, func(w io.Writer) error {
		w.Write(big)
		return errDisk
	})
	if want := "writing " + path + ": disk full"; !errors.Is(err, errDisk) || err.Error() != want {
		t.Errorf("error %v, want %q wrapping the writer's", err, want)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the writer's panic was swallowed")
			}
		}()
		Write(path, func(w io.Writer) error {
			w.Write(big)
			panic("writer bug")
		})
	}()
	if got, _ := os.ReadFile(path); string(got) != old {
		t.Errorf("old file now holds %d bytes", len(got))
	}
	checkOnlyFiles(t, dir, "last.safetensors")

	// The rename fails when path is a non-empty directory.
	target := filepath.Join(dir, "model")
	if err := os.MkdirAll(filepath.Join(target, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = Write(target, func(w io.Writer) error { _, err := w.Write(big); return err })
	if err == nil {
		t.Error("renaming over a directory succeeded")
	}
	checkOnlyFiles(t, dir, "last.safetensors", "model")

	// The temporary file cannot be created in a missing directory.
	missing := filepath.Join(dir, "nodir", "x")
	err = Write(missing, func(w io.Writer) error { return nil })
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing directory: %v", err)
	}
}
