package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ReadObject reads a JSON object from dec and calls field for each key, in
// order; field must consume the key's value (with Decode, for example). It
// rejects a value that is not an object and duplicate keys, and stops at the
// first error of field, which it returns unchanged.
func ReadObject(dec *json.Decoder, field func(key string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return explain(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("found %s where a JSON object was expected", describe(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return explain(err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("found %s where an object key was expected", describe(tok))
		}
		if seen[key] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		if err := field(key); err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing '}'
	return explain(err)
}

// Decode decodes the next JSON value of dec into v, as dec.Decode does, but
// reports input that ends inside the value as "JSON text ends early"
// rather than encoding/json's bare "EOF".
func Decode(dec *json.Decoder, v any) error {
	return explain(dec.Decode(v))
}

// explain replaces the end-of-input errors of encoding/json, whose text
// ("EOF") says nothing, with one that does.
func explain(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("JSON text ends early")
	}
	return err
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return "'" + v.String() + "'"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// AppendString appends s, which must be valid UTF-8, as a JSON string:
// quotes, backslashes and control characters escaped (RFC 8259, section 7),
// everything else as it is.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
