package datasets

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
)

// EnvData names the environment variable that points at a folder of
// datasets: $SPIKEGRAD_DATA/<name> is searched.
const EnvData = "SPIKEGRAD_DATA"

// SystemDataDir is the system-wide folder of datasets:
// /usr/share/datasets/<name> is where Debian's dataset-fashion-mnist puts
// its files.
const SystemDataDir = "/usr/share/datasets"

// ResolveOptions controls where Resolve looks and whether it downloads.
type ResolveOptions struct {
	// Dir, if set, is searched first; it holds the files directly.
	Dir string
	// CacheDir is the user's cache of datasets, holding <name>/ folders;
	// empty means os.UserCacheDir()/spikegrad. Downloads go to
	// CacheDir/<name>.
	CacheDir string
	// SystemDir holds <name>/ folders; empty means SystemDataDir.
	SystemDir string
	// Mirrors, if set, replace the spec's mirrors (base URLs).
	Mirrors []string
	// Offline forbids downloading.
	Offline bool
	// Verify checks the decompressed content of every file found on disk
	// against the spec's RawMD5 before accepting a folder; a folder that
	// fails is reported and the search goes on. Without it a folder is
	// accepted when all files are present, and the content is checked when
	// it is loaded.
	Verify bool
	// Client makes the requests; nil means a client with a 10-minute
	// timeout per file.
	Client *http.Client
	// Progress, if set, is called while a file downloads, with the bytes
	// received so far and the total (-1 if unknown), at least once per
	// file at the end.
	Progress func(file string, done, total int64)
}

// Resolve returns a folder that holds the registered dataset name, looking
// in order at:
//
//  1. opt.Dir, if set;
//  2. $SPIKEGRAD_DATA/<name>, if the variable is set;
//  3. the user cache, os.UserCacheDir()/spikegrad/<name> (or opt.CacheDir/<name>);
//  4. /usr/share/datasets/<name> (or opt.SystemDir/<name>);
//
// and otherwise downloading the files from the dataset's mirrors into the
// user cache. A folder serves if it holds every file of the dataset,
// compressed or uncompressed (the name without ".gz"). Each download is
// checked against the file's SHA-256 and written atomically: into a
// temporary file in the same folder, synced, then renamed, so that a failed
// or interrupted download leaves no file behind under the final name.
//
// If nothing serves, the *ResolveError lists every place tried and why each
// failed.
func Resolve(name string, opt ResolveOptions) (string, error) {
	return ResolveContext(context.Background(), name, opt)
}

// ResolveContext is Resolve with a context that bounds the downloads.
func ResolveContext(ctx context.Context, name string, opt ResolveOptions) (string, error) {
	spec, err := Lookup(name)
	if err != nil {
		return "", err
	}
	return ResolveSpec(ctx, spec, opt)
}

// ResolveSpec is ResolveContext for a dataset described by spec, which need
// not be registered.
func ResolveSpec(ctx context.Context, spec DatasetSpec, opt ResolveOptions) (string, error) {
	rerr := &ResolveError{Name: spec.Name}
	places, cache := searchPlaces(spec, opt)
	for _, p := range places {
		if p.err != nil {
			rerr.Attempts = append(rerr.Attempts, Attempt{Place: p.what, Err: p.err})
			continue
		}
		err := checkDir(p.dir, spec, opt.Verify)
		if err == nil {
			return p.dir, nil
		}
		rerr.Attempts = append(rerr.Attempts, Attempt{Place: fmt.Sprintf("folder %s (%s)", p.dir, p.what), Err: err})
	}

	switch {
	case opt.Offline:
		rerr.Attempts = append(rerr.Attempts, Attempt{Place: "download", Err: errors.New("offline: downloads disabled by ResolveOptions.Offline")})
		return "", rerr
	case cache == "":
		rerr.Attempts = append(rerr.Attempts, Attempt{Place: "download", Err: errors.New("no cache folder to download into")})
		return "", rerr
	}
	return fetch(ctx, spec, opt, filepath.Join(cache, spec.Name), rerr)
}

// searchPlace is a folder where Resolve looks for a dataset.
type searchPlace struct {
	dir, what string
	err       error // set when the place could not even be named
}

// searchPlaces lists the folders that Resolve searches, in order, and
// returns the cache folder that downloads go to ("" if there is none).
func searchPlaces(spec DatasetSpec, opt ResolveOptions) (places []searchPlace, cache string) {
	if opt.Dir != "" {
		places = append(places, searchPlace{dir: opt.Dir, what: "explicit folder"})
	}
	if env := os.Getenv(EnvData); env != "" {
		places = append(places, searchPlace{dir: filepath.Join(env, spec.Name), what: "$" + EnvData})
	} else {
		places = append(places, searchPlace{what: "$" + EnvData, err: errors.New("not set")})
	}
	cache = opt.CacheDir
	if cache == "" {
		ucd, err := os.UserCacheDir()
		if err == nil {
			cache = filepath.Join(ucd, "spikegrad")
		} else {
			places = append(places, searchPlace{what: "user cache", err: err})
		}
	}
	if cache != "" {
		places = append(places, searchPlace{dir: filepath.Join(cache, spec.Name), what: "user cache"})
	}
	sys := opt.SystemDir
	if sys == "" {
		sys = SystemDataDir
	}
	places = append(places, searchPlace{dir: filepath.Join(sys, spec.Name), what: "system folder"})
	return places, cache
}

// fetch downloads the files of spec that dir lacks from the first mirror
// that serves each, checks the folder and returns it; every failure is
// added to rerr, which is the error.
func fetch(ctx context.Context, spec DatasetSpec, opt ResolveOptions, dir string, rerr *ResolveError) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		rerr.Attempts = append(rerr.Attempts, Attempt{Place: "download into " + dir, Err: err})
		return "", rerr
	}
	mirrors := spec.Mirrors
	if len(opt.Mirrors) > 0 {
		mirrors = opt.Mirrors
	}
	if len(mirrors) == 0 {
		rerr.Attempts = append(rerr.Attempts, Attempt{Place: "download", Err: errors.New("no mirrors")})
		return "", rerr
	}
	client := opt.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	lists := map[string]map[string]string{} // mirror → the digests of its ChecksumList
	for _, f := range spec.Files() {
		if _, err := findFile(dir, f.Name); err == nil {
			continue // an earlier partial run fetched this one
		}
		ok := false
		for _, m := range mirrors {
			url := strings.TrimSuffix(m, "/") + "/" + f.Name
			f := f
			if f.SHA256 == "" && f.MD5 == "" {
				if spec.ChecksumList == "" {
					rerr.Attempts = append(rerr.Attempts, Attempt{Place: url, Err: errors.New("the registry has no checksum for this file")})
					continue
				}
				list, seen := lists[m]
				if !seen {
					var err error
					list, err = fetchChecksumList(ctx, client, strings.TrimSuffix(m, "/")+"/"+spec.ChecksumList)
					if err != nil {
						rerr.Attempts = append(rerr.Attempts, Attempt{Place: strings.TrimSuffix(m, "/") + "/" + spec.ChecksumList, Err: err})
					}
					lists[m] = list
				}
				if f.MD5 = list[f.Name]; f.MD5 == "" {
					if list != nil {
						rerr.Attempts = append(rerr.Attempts, Attempt{Place: url, Err: fmt.Errorf("%s of this mirror lists no MD5 for %s", spec.ChecksumList, f.Name)})
					}
					continue
				}
			}
			err := download(ctx, client, url, dir, f, opt.Progress)
			if err == nil {
				ok = true
				break
			}
			rerr.Attempts = append(rerr.Attempts, Attempt{Place: url, Err: err})
			if ctx.Err() != nil {
				return "", rerr
			}
		}
		if !ok {
			return "", rerr
		}
	}
	if err := checkDir(dir, spec, opt.Verify); err != nil {
		rerr.Attempts = append(rerr.Attempts, Attempt{Place: fmt.Sprintf("folder %s (after download)", dir), Err: err})
		return "", rerr
	}
	return dir, nil
}

// checkDir reports whether dir holds every file of spec (and, with verify,
// whether their decoded content matches RawMD5).
func checkDir(dir string, spec DatasetSpec, verify bool) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	var missing []string
	for _, f := range spec.Files() {
		p, err := findFile(dir, f.Name)
		if err != nil {
			missing = append(missing, f.Name)
			continue
		}
		if verify && f.RawMD5 != "" {
			if _, err := ReadIDXFile(p, f.RawMD5); err != nil {
				return err
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// download fetches url into dir/f.Name atomically, checking f.SHA256 (and
// f.Size, when known).
func download(ctx context.Context, client *http.Client, url, dir string, f FileSpec, progress func(string, int64, int64)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	total := resp.ContentLength
	if f.Size > 0 {
		if total >= 0 && total != f.Size {
			return fmt.Errorf("server announces %d bytes, want %d", total, f.Size)
		}
		total = f.Size
	}
	h, h5 := sha256.New(), md5.New()
	pw := &progressWriter{file: f.Name, total: total, fn: progress}
	var body io.Reader = resp.Body
	if f.Size > 0 {
		body = io.LimitReader(resp.Body, f.Size+1) // one byte more reveals an oversized body
	}
	// The checks run before the rename: a file that fails them never
	// appears under its name.
	return atomicfile.Write(filepath.Join(dir, f.Name), func(w io.Writer) error {
		n, err := io.Copy(io.MultiWriter(w, h, h5, pw), body)
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", n, err)
		}
		pw.finish()
		if f.Size > 0 && n != f.Size {
			return fmt.Errorf("received %d bytes, want %d", n, f.Size)
		}
		if got := hex.EncodeToString(h.Sum(nil)); f.SHA256 != "" && !strings.EqualFold(got, f.SHA256) {
			return &ChecksumError{File: url, Algorithm: "sha256", Want: strings.ToLower(f.SHA256), Got: got}
		}
		if got := hex.EncodeToString(h5.Sum(nil)); f.MD5 != "" && !strings.EqualFold(got, f.MD5) {
			return &ChecksumError{File: url, Algorithm: "md5", Want: strings.ToLower(f.MD5), Got: got}
		}
		return nil
	})
}

// fetchChecksumList downloads a list of MD5 digests in the format of
// md5sum(1), "<32 hex digits>  <file name>" per line (a "*" before the name
// marks binary mode), and returns the digests by file name.
func fetchChecksumList(ctx context.Context, client *http.Client, url string) (map[string]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return parseChecksumList(string(body)), nil
}

// parseChecksumList parses md5sum(1) output; lines that are not a 32-digit
// hex digest and a name are skipped.
func parseChecksumList(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) != 2 || len(fields[0]) != 32 {
			continue
		}
		if _, err := hex.DecodeString(fields[0]); err != nil {
			continue
		}
		out[strings.TrimPrefix(fields[1], "*")] = strings.ToLower(fields[0])
	}
	return out
}

// progressWriter reports download progress at most every 1 MiB.
type progressWriter struct {
	file        string
	done, total int64
	last        int64
	fn          func(string, int64, int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.fn != nil && p.done-p.last >= 1<<20 {
		p.last = p.done
		p.fn(p.file, p.done, p.total)
	}
	return len(b), nil
}

func (p *progressWriter) finish() {
	if p.fn != nil && p.last != p.done || p.fn != nil && p.done == 0 {
		p.last = p.done
		p.fn(p.file, p.done, p.total)
	}
}

// ProgressLines returns a Progress callback that writes one line per call to
// w, such as "train-images-idx3-ubyte.gz: 4.0 / 9.5 MiB (42%)".
func ProgressLines(w io.Writer) func(file string, done, total int64) {
	return func(file string, done, total int64) {
		const mib = 1 << 20
		if total > 0 {
			fmt.Fprintf(w, "%s: %.1f / %.1f MiB (%d%%)\n", file, float64(done)/mib, float64(total)/mib, done*100/total)
		} else {
			fmt.Fprintf(w, "%s: %.1f MiB\n", file, float64(done)/mib)
		}
	}
}
