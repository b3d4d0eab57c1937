package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// tinySpec is a registered-like dataset of generated files: 3 training and
// 2 test images of 2x2 pixels. It returns the spec and the gzip bytes of
// each file by name.
func tinySpec(t testing.TB) (DatasetSpec, map[string][]byte) {
	t.Helper()
	dims, pixels, labels := fixtureImages()
	raws := map[string][]byte{
		"train-images-idx3-ubyte.gz": idxBytes(t, dims, pixels),
		"train-labels-idx1-ubyte.gz": idxBytes(t, []int{3}, labels),
		"t10k-images-idx3-ubyte.gz":  idxBytes(t, []int{2, 2, 2}, pixels[:8]),
		"t10k-labels-idx1-ubyte.gz":  idxBytes(t, []int{2}, labels[:2]),
	}
	files := map[string][]byte{}
	spec := DatasetSpec{Name: "tiny", Mirrors: []string{"http://127.0.0.1:9/unused/"}}
	mk := func(name string) FileSpec {
		gz := gzipBytes(t, raws[name])
		files[name] = gz
		sum := sha256.Sum256(gz)
		return FileSpec{Name: name, Size: int64(len(gz)), SHA256: hex.EncodeToString(sum[:]), RawMD5: md5Hex(raws[name])}
	}
	spec.TrainImages = mk("train-images-idx3-ubyte.gz")
	spec.TrainLabels = mk("train-labels-idx1-ubyte.gz")
	spec.TestImages = mk("t10k-images-idx3-ubyte.gz")
	spec.TestLabels = mk("t10k-labels-idx1-ubyte.gz")
	return spec, files
}

func populate(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		writeFile(t, filepath.Join(dir, name), b)
	}
}

func TestResolveOrder(t *testing.T) {
	spec, files := tinySpec(t)
	root := t.TempDir()
	explicit := filepath.Join(root, "explicit")
	env := filepath.Join(root, "env")
	cache := filepath.Join(root, "cache")
	sys := filepath.Join(root, "sys")
	populate(t, explicit, files)
	populate(t, filepath.Join(env, "tiny"), files)
	populate(t, filepath.Join(cache, "tiny"), files)
	populate(t, filepath.Join(sys, "tiny"), files)
	t.Setenv(EnvData, env)
	opt := ResolveOptions{Dir: explicit, CacheDir: cache, SystemDir: sys, Offline: true, Verify: true}
	ctx := context.Background()

	steps := []struct {
		want   string
		remove string
	}{
		{explicit, explicit},
		{filepath.Join(env, "tiny"), filepath.Join(env, "tiny")},
		{filepath.Join(cache, "tiny"), filepath.Join(cache, "tiny")},
		{filepath.Join(sys, "tiny"), ""},
	}
	for _, s := range steps {
		got, err := ResolveSpec(ctx, spec, opt)
		if err != nil || got != s.want {
			t.Fatalf("ResolveSpec = %q, %v; want %q", got, err, s.want)
		}
		if s.remove != "" {
			if err := os.RemoveAll(s.remove); err != nil {
				t.Fatal(err)
			}
		}
	}

	// A folder that lacks a file, or whose file is corrupt, is skipped and
	// reported.
	populate(t, explicit, files)
	os.Remove(filepath.Join(explicit, "t10k-labels-idx1-ubyte.gz"))
	bad := append([]byte{}, files["train-images-idx3-ubyte.gz"]...)
	populate(t, filepath.Join(cache, "tiny"), files)
	writeFile(t, filepath.Join(cache, "tiny", "train-images-idx3-ubyte.gz"), bad[:len(bad)-9])
	os.RemoveAll(filepath.Join(sys, "tiny"))
	t.Setenv(EnvData, "")
	_, err := ResolveSpec(ctx, spec, opt)
	var re *ResolveError
	if !errors.As(err, &re) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want a *ResolveError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"explicit folder", "missing t10k-labels-idx1-ubyte.gz",
		"$SPIKEGRAD_DATA: not set",
		"user cache", "train-images-idx3-ubyte.gz: byte",
		filepath.Join(sys, "tiny"), "no such file",
		"offline",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
	if len(re.Attempts) != 5 {
		t.Errorf("%d attempts, want 5 (explicit, env, cache, system, download):\n%s", len(re.Attempts), msg)
	}
}

// fileServer serves files under /m/ and counts requests; broken files get
// their last byte flipped.
type fileServer struct {
	files  map[string][]byte
	mu     sync.Mutex
	broken map[string]bool
	cut    map[string]bool // send half the body, then drop the connection
	hits   int
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits++
	s.mu.Unlock()
	name, ok := strings.CutPrefix(r.URL.Path, "/m/")
	b, found := s.files[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	switch {
	case s.broken[name]:
		b = append([]byte{}, b...)
		b[len(b)-1] ^= 0xff
	case s.cut[name]:
		w.Header().Set("Content-Length", itoa(len(b)))
		w.Write(b[:len(b)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	}
	w.Header().Set("Content-Length", itoa(len(b)))
	w.Write(b)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

func noLeftovers(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("file left behind: %s", filepath.Join(dir, e.Name()))
	}
}

func TestResolveDownload(t *testing.T) {
	spec, files := tinySpec(t)
	srv := &fileServer{files: files}
	ts := httptest.NewServer(srv) // listens on 127.0.0.1
	defer ts.Close()
	t.Setenv(EnvData, "")
	cache := t.TempDir()
	var progress []string
	opt := ResolveOptions{
		CacheDir:  cache,
		SystemDir: t.TempDir(),
		// The first mirror has nothing; the second serves the files.
		Mirrors:  []string{ts.URL + "/empty/", ts.URL + "/m"},
		Progress: func(file string, done, total int64) { progress = append(progress, file) },
	}
	dir, err := ResolveSpec(context.Background(), spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(cache, "tiny") {
		t.Errorf("dir %q", dir)
	}
	if len(progress) != 4 {
		t.Errorf("progress calls %v, want one per file (each < 1 MiB)", progress)
	}
	for name, b := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(b) {
			t.Errorf("%s: %v", name, err)
		}
	}
	s, err := LoadImageSet(dir, spec, Test, ImageOptions{})
	if err != nil || s.N != 2 {
		t.Fatalf("LoadImageSet: %v", err)
	}
	// The second call finds the cache and makes no request.
	hits := srv.hits
	if _, err := ResolveSpec(context.Background(), spec, opt); err != nil || srv.hits != hits {
		t.Errorf("second resolve: %v, %d requests", err, srv.hits-hits)
	}
}

func TestResolveDownloadChecksumMismatch(t *testing.T) {
	spec, files := tinySpec(t)
	srv := &fileServer{files: files, broken: map[string]bool{"train-images-idx3-ubyte.gz": true}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	t.Setenv(EnvData, "")
	cache := t.TempDir()
	_, err := ResolveSpec(context.Background(), spec, ResolveOptions{CacheDir: cache, SystemDir: t.TempDir(), Mirrors: []string{ts.URL + "/m/"}})
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Algorithm != "sha256" || ce.Want != spec.TrainImages.SHA256 {
		t.Fatalf("got %v, want a sha256 *ChecksumError", err)
	}
	if !strings.Contains(err.Error(), ts.URL+"/m/train-images-idx3-ubyte.gz") {
		t.Errorf("error does not name the URL: %v", err)
	}
	noLeftovers(t, filepath.Join(cache, "tiny"))
}

func TestResolveDownloadInterrupted(t *testing.T) {
	spec, files := tinySpec(t)
	srv := &fileServer{files: files, cut: map[string]bool{"train-images-idx3-ubyte.gz": true}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	t.Setenv(EnvData, "")
	cache := t.TempDir()
	_, err := ResolveSpec(context.Background(), spec, ResolveOptions{CacheDir: cache, SystemDir: t.TempDir(), Mirrors: []string{ts.URL + "/m/"}})
	if err == nil || !strings.Contains(err.Error(), "after") {
		t.Fatalf("got %v, want an error naming the bytes received", err)
	}
	// Atomicity: nothing under the final name, no temporary file.
	noLeftovers(t, filepath.Join(cache, "tiny"))
}

func TestResolveRegisteredOffline(t *testing.T) {
	t.Setenv(EnvData, "")
	_, err := Resolve("mnist", ResolveOptions{CacheDir: t.TempDir(), SystemDir: t.TempDir(), Offline: true})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "offline") {
		t.Errorf("got %v", err)
	}
	if _, err := Resolve("cifar-10", ResolveOptions{}); err == nil || !strings.Contains(err.Error(), "mnist, fashion-mnist") {
		t.Errorf("unknown dataset: %v", err)
	}
}

func TestResolveRegisteredWrongBytes(t *testing.T) {
	// A mirror serving other bytes under MNIST's names fails the published
	// SHA-256 (or size) checks.
	_, files := tinySpec(t)
	ts := httptest.NewServer(&fileServer{files: files})
	defer ts.Close()
	t.Setenv(EnvData, "")
	cache := t.TempDir()
	_, err := Resolve("mnist", ResolveOptions{CacheDir: cache, SystemDir: t.TempDir(), Mirrors: []string{ts.URL + "/m/"}})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "want 9912422") {
		t.Errorf("got %v, want a size mismatch against 9912422 bytes", err)
	}
	noLeftovers(t, filepath.Join(cache, "mnist"))
}

func TestProgressLines(t *testing.T) {
	var b strings.Builder
	p := ProgressLines(&b)
	p("a.gz", 1<<20, 4<<20)
	p("b.gz", 3<<19, -1)
	want := "a.gz: 1.0 / 4.0 MiB (25%)\nb.gz: 1.5 MiB\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
