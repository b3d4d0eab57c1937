package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// Write replaces the file at path with what write produces, so that a
// reader (or a resumed run after a crash) sees either the old file or the
// complete new one, never a mix.
//
// It writes through a buffer to a temporary file in the same directory
// (named "." + base name + ".tmp" and a random suffix), syncs it to disk,
// gives it mode 0644, renames it over path, and syncs the directory so that
// the rename itself survives a crash. If write or any step before the rename
// fails (or write panics), the temporary file is removed, the old file is
// left untouched, and the error is returned wrapped with the path:
// "writing <path>: <error of write>", or "writing <path>: <step>: <error>"
// for a step of its own such as "sync" or "rename". An error from the final
// directory sync is returned too, though the new file is in place by then.
func Write(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if !renamed {
			f.Close() // may already be closed; the temporary file goes anyway
			os.Remove(tmp)
		}
	}()
	fail := func(step string, err error) error {
		return fmt.Errorf("writing %s: %s: %w", path, step, err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fail("write", err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail("chmod", err)
	}
	if err := f.Sync(); err != nil {
		return fail("sync", err)
	}
	if err := f.Close(); err != nil {
		return fail("close", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail("rename", err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return fail("sync directory", err)
	}
	return nil
}

// WriteBytes replaces the file at path with data, atomically as Write does.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// syncDir flushes a directory's entries to disk, which makes a rename in it
// durable on POSIX systems. On Windows a directory opened by os.Open cannot
// be synced, so there it does nothing.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
