package strictjson

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAppendString checks the escapes of RFC 8259, section 7: the two-
// character forms for quote, backslash, \n, \r and \t, \u00XX for the other
// control characters, and everything else (including <, > and &, which
// encoding/json escapes, and UTF-8) as it is.
func TestAppendString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"loss", `"loss"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\n\r\t", `"\n\r\t"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"μ → ∞", `"μ → ∞"`},
		{"\x7f", "\"\x7f\""}, // DEL is not a control character in JSON
	} {
		got := string(AppendString([]byte("x"), c.in))
		if got != "x"+c.want {
			t.Errorf("%q: got %s, want x%s", c.in, got, c.want)
		}
		var back string
		if err := json.Unmarshal([]byte(c.want), &back); err != nil || back != c.in {
			t.Errorf("%s reads back as %q, %v", c.want, back, err)
		}
	}
}

// TestReadObject reads objects key by key and checks the errors that make
// the readers strict.
func TestReadObject(t *testing.T) {
	read := func(s string) ([]string, error) {
		dec := json.NewDecoder(strings.NewReader(s))
		var keys []string
		err := ReadObject(dec, func(key string) error {
			keys = append(keys, key)
			var v any
			return Decode(dec, &v)
		})
		return keys, err
	}
	keys, err := read(`{"b": 1, "a": [2], "c": {"b": 3}}`)
	if err != nil || strings.Join(keys, ",") != "b,a,c" {
		t.Errorf("keys %v, %v; want b,a,c in file order", keys, err)
	}
	for _, c := range []struct{ in, msg string }{
		{`{"a": 1, "a": 2}`, `duplicate key "a"`},
		{`[1]`, "found '[' where a JSON object was expected"},
		{`"a"`, "found a string where a JSON object was expected"},
		{`null`, "found null where a JSON object was expected"},
		{`true`, "found a boolean where a JSON object was expected"},
		{`1`, "found a number where a JSON object was expected"},
		{``, "JSON text ends early"},
		{`{"a": 1`, "JSON text ends early"},
		{`{"a": `, "JSON text ends early"},
		{`{1: 2}`, "invalid character"},
	} {
		if _, err := read(c.in); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one saying %q", c.in, err, c.msg)
		}
	}
}
